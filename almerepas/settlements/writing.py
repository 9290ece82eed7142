"""How a prepared run writes its payments, windows and lines: the redemptions' and reversals'
lines as the database summed them (pricing.py). Flush, never commit.
"""

from __future__ import annotations

import typing
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from almerepas.contracts.models import Contract, Partner, PayoutMethod
from almerepas.ledger import bulk
from almerepas.settlements import summing, windows
from almerepas.settlements.collect import Source
from almerepas.settlements.models import (
    PaymentStatus,
    SettlementLine,
    SettlementPayment,
    SettlementRun,
)
from almerepas.settlements.windows import Span


@dataclass
class Tally:
    """A partner's sources in a run: how many, their total, whether one has no price."""

    count: int = 0
    total: int = 0
    unfit: bool = False


def tallies(sums: Sequence[summing.Summed]) -> dict[int, Tally]:
    """The redemptions and reversals per partner, counted and totalled."""
    found: dict[int, Tally] = defaultdict(Tally)
    for line in sums:
        tally = found[line.partner_id]
        tally.count += line.sources
        tally.total += line.amount or 0
        tally.unfit = tally.unfit or line.amount is None
    return dict(found)


def lines(
    session: Session,
    run: SettlementRun,
    spans: Sequence[Span],
    sums: Sequence[summing.Summed],
    paid: dict[int, Tally],
    rides: Sequence[Source],
) -> list[tuple[str, int]]:
    """The paid partners' windows and lines (``sums`` and ``rides``); the lines' keys and
    amounts. Another run that writes windows of the same partner at once is ``settlement_busy``
    (the caller turns the unique window into that)."""
    payment_of = {
        pid: payment_id
        for pid, payment_id in session.execute(
            select(SettlementPayment.partner_id, SettlementPayment.id).where(
                SettlementPayment.run_id == run.id, SettlementPayment.partner_id.is_not(None)
            )
        )
        if pid is not None
    }
    windows.record(session, run.id, [s for s in spans if s.partner_id in paid])
    rows = [_summed_row(run.id, payment_of[s.partner_id], s) for s in sums if s.partner_id in paid]
    rows += [_line_row(run.id, payment_of[s.partner_id], s) for s in rides if s.partner_id in paid]
    bulk.insert_rows(session, typing.cast(Table, SettlementLine.__table__), LINE_COLUMNS, rows)
    return [(row[_KEY], row[_AMOUNT]) for row in rows]


#: The columns a run writes of a line, in the order of ``_summed_row`` and ``_line_row``.
LINE_COLUMNS = (
    "run_id", "payment_id", "partner_id", "source_key", "kind", "contract_id", "scheme_id",
    "location_id", "ride_id", "occurred_at", "quantity", "amount", "sources",
)  # fmt: skip
_KEY, _AMOUNT = LINE_COLUMNS.index("source_key"), LINE_COLUMNS.index("amount")


def _summed_row(run_id: int, payment_id: int, s: summing.Summed) -> tuple[Any, ...]:
    key = f"{s.kind.value}s:{run_id}:{s.contract_id}:{s.location_id or 0}"
    return (
        run_id, payment_id, s.partner_id, key, s.kind, s.contract_id, s.scheme_id, s.location_id,
        None, s.occurred_at, s.quantity, s.amount, s.sources,
    )  # fmt: skip


def _line_row(run_id: int, payment_id: int, s: Source) -> tuple[Any, ...]:
    return (
        run_id, payment_id, s.partner_id, s.key, s.kind, s.contract_id, s.scheme_id, s.location_id,
        s.ride_id, s.occurred_at, s.quantity, s.amount, 1,
    )  # fmt: skip


class Payee(NamedTuple):
    """What a run needs of a partner to hold it back or pay it: no ORM object for 500 of them."""

    id: int
    payout_method: PayoutMethod
    iban: str
    bic: str | None
    stripe_account: str | None


def payees(session: Session, partner_ids: Collection[int]) -> dict[int, Payee]:
    """The partners' accounts as they are now (at least of ``partner_ids``: for many, of every
    partner with a contract, which is cheaper than sending 500 ids)."""
    query = select(
        Partner.id, Partner.payout_method, Partner.iban, Partner.bic, Partner.stripe_account
    )
    if len(partner_ids) > 20:
        query = query.where(Partner.id.in_(select(Contract.partner_id)))
    else:
        query = query.where(Partner.id.in_(list(partner_ids)))
    return {row.id: Payee(*row) for row in session.execute(query)}


def payments(
    session: Session, run: SettlementRun, partners: dict[int, Payee], paid: dict[int, Tally]
) -> None:
    """One pending payment per paid partner, to the account it has now, written in one COPY:
    its id is reserved first so that its EndToEndId (``ALM-<run>-<payment>``) is in the row."""
    if not paid:
        return
    table = typing.cast(Table, SettlementPayment.__table__)
    rows = []
    for payment_id, (pid, tally) in zip(
        bulk.reserve_ids(session, table, len(paid)), paid.items(), strict=True
    ):
        partner = partners[pid]
        sepa = partner.payout_method == PayoutMethod.sepa
        rows.append(
            (
                payment_id, run.id, pid, partner.payout_method, tally.total,
                PaymentStatus.pending, f"ALM-{run.id}-{payment_id}",
                partner.iban if sepa else None, partner.bic if sepa else None,
                None if sepa else partner.stripe_account,
            )
        )  # fmt: skip
    bulk.insert_rows(session, table, PAYMENT_COLUMNS, rows)


#: The columns a run writes of a partner's payment, in the order of ``payments``' rows.
PAYMENT_COLUMNS = (
    "id", "run_id", "partner_id", "method", "amount", "status", "end_to_end_id", "iban", "bic",
    "stripe_account",
)  # fmt: skip
