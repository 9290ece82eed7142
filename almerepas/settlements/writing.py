"""How a prepared run writes its payments and lines: the redemptions' and reversals' lines in
one INSERT ... SELECT (pricing.py), then checked against what the run decided to pay. Flush,
never commit.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import String, cast, insert, literal, select, update
from sqlalchemy.orm import Session

from almerepas.contracts.models import Partner, PayoutMethod
from almerepas.settlements import pricing
from almerepas.settlements.collect import Source
from almerepas.settlements.errors import SettlementBusy
from almerepas.settlements.models import (
    PaymentStatus,
    SettlementLine,
    SettlementPayment,
    SettlementRun,
)


@dataclass
class Tally:
    """A partner's sources in a run: how many, their total, whether one has no price."""

    count: int = 0
    total: int = 0
    unfit: bool = False


def tallies(session: Session, cutoff: dt.datetime, partner_id: int | None) -> dict[int, Tally]:
    """The redemptions and reversals per partner, counted and totalled by the database."""
    found = pricing.totals(session, cutoff=cutoff, partner_id=partner_id)
    return {pid: Tally(count, total, unfit) for pid, (count, total, unfit) in found.items()}


def lines(
    session: Session,
    run: SettlementRun,
    cutoff: dt.datetime,
    partner_id: int | None,
    paid: dict[int, Tally],
    rides: Sequence[Source],
) -> list[tuple[str, int]]:
    """The paid partners' lines; their sources and amounts, checked against ``paid``.

    The lines are priced again as they are written: should another run have taken or released
    a source in between (it commits between our two statements), the counts or totals differ and
    the run is ``settlement_busy``, as when both write the same source at once.
    """
    payment_of = {
        pid: payment_id
        for pid, payment_id in session.execute(
            select(SettlementPayment.partner_id, SettlementPayment.id).where(
                SettlementPayment.run_id == run.id, SettlementPayment.partner_id.is_not(None)
            )
        )
        if pid is not None
    }
    pricing.insert_lines(
        session, run_id=run.id, cutoff=cutoff, partner_id=partner_id, payments=payment_of
    )
    rows = [_line_row(run.id, payment_of[s.partner_id], s) for s in rides if s.partner_id in paid]
    if rows:
        session.execute(insert(SettlementLine), rows)
    found: dict[int, Tally] = defaultdict(Tally)
    written = []
    query = select(SettlementLine.partner_id, SettlementLine.source_key, SettlementLine.amount)
    for pid, key, amount in session.execute(query.where(SettlementLine.run_id == run.id)):
        found[pid].count += 1
        found[pid].total += amount
        written.append((key, amount))
    if found != paid:
        raise SettlementBusy()
    return written


def _line_row(run_id: int, payment_id: int, s: Source) -> dict[str, object]:
    return {
        "run_id": run_id,
        "payment_id": payment_id,
        "partner_id": s.partner_id,
        "source_key": s.key,
        "kind": s.kind,
        "contract_id": s.contract_id,
        "scheme_id": s.scheme_id,
        "location_id": s.location_id,
        "redemption_id": s.redemption_id,
        "reversal_id": s.reversal_id,
        "ride_id": s.ride_id,
        "occurred_at": s.occurred_at,
        "quantity": s.quantity,
        "amount": s.amount,
    }


def payments(
    session: Session, run: SettlementRun, partners: dict[int, Partner], paid: dict[int, Tally]
) -> None:
    """One pending payment per paid partner, to the account it has now."""
    if not paid:
        return
    rows = []
    for pid, tally in paid.items():
        partner = partners[pid]
        sepa = partner.payout_method == PayoutMethod.sepa
        rows.append(
            {
                "run_id": run.id,
                "partner_id": pid,
                "method": partner.payout_method,
                "amount": tally.total,
                "status": PaymentStatus.pending,
                "iban": partner.iban if sepa else None,
                "bic": partner.bic if sepa else None,
                "stripe_account": None if sepa else partner.stripe_account,
            }
        )
    session.execute(insert(SettlementPayment), rows)
    end_to_end = (
        literal("ALM-", String)
        + cast(SettlementPayment.run_id, String)
        + "-"
        + cast(SettlementPayment.id, String)
    )
    session.execute(
        update(SettlementPayment)
        .where(SettlementPayment.run_id == run.id, SettlementPayment.partner_id.is_not(None))
        .values(end_to_end_id=end_to_end)
        .execution_options(synchronize_session=False)
    )
