"""Declarations in settlement runs: each approved one is paid to its holder's IBAN, once.

A run of every partner (not a run for one partner) takes the declarations approved before its
cutoff that no run pays yet, one SEPA payment each. ``settlement_payment.reimbursement_id`` is
unique: two runs prepared at once cannot both take one (the second is ``settlement_busy``),
and a cancelled run's payments are deleted, which frees its declarations for the next run.

The ledger: a caseworker's approval took the amount from the budget into
``payable:reimbursements:eur`` (reimbursements/deciding.py). The run's approval then books, per
scheme, ``expense:<scheme>`` -> ``owed:holders``, its payout ``owed:holders`` -> in transit, and
its confirmation in transit -> the bank, the same steps a partner's money takes.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from almerepas.contracts.models import PayoutMethod
from almerepas.grants.models import Grant
from almerepas.ledger.posting import Leg
from almerepas.reimbursements.models import Reimbursement, ReimbursementStatus
from almerepas.schemes.models import Scheme
from almerepas.settlements import accounts
from almerepas.settlements.models import PaymentStatus, SettlementPayment, SettlementRun


def source_key(declaration_id: int) -> str:
    """How a declaration appears among a run's lines in its ``lines_hash``."""
    return f"reimbursement:{declaration_id}"


def unpaid(session: Session, *, cutoff: dt.datetime) -> list[Reimbursement]:
    """Declarations approved before the cutoff that no run pays yet, oldest first."""
    paid = select(SettlementPayment.reimbursement_id).where(
        SettlementPayment.reimbursement_id.is_not(None)
    )
    return list(
        session.scalars(
            select(Reimbursement)
            .where(
                Reimbursement.status == ReimbursementStatus.approved,
                Reimbursement.decided_at < cutoff,
                Reimbursement.id.not_in(paid),
            )
            .order_by(Reimbursement.id)
        )
    )


def insert_payments(
    session: Session, run: SettlementRun, declarations: Sequence[Reimbursement]
) -> None:
    """One pending SEPA payment per declaration; the caller catches the unique constraint."""
    if not declarations:
        return
    rows = [
        {
            "run_id": run.id,
            "reimbursement_id": d.id,
            "method": PayoutMethod.sepa,
            "amount": d.amount,
            "status": PaymentStatus.pending,
            "iban": d.iban,
        }
        for d in declarations
    ]
    session.execute(insert(SettlementPayment), rows)
    for payment in session.scalars(
        select(SettlementPayment).where(
            SettlementPayment.run_id == run.id, SettlementPayment.reimbursement_id.is_not(None)
        )
    ):
        payment.end_to_end_id = f"ALM-{run.id}-{payment.id}"
    session.flush()


def expense_legs(session: Session, run: SettlementRun, *, sign: int) -> list[Leg]:
    """Per scheme: its expense becomes what is owed to the holders (reversed when cancelled)."""
    sums: dict[int, int] = defaultdict(int)
    query = (
        select(Grant.scheme_id, SettlementPayment.amount)
        .join(Reimbursement, Reimbursement.id == SettlementPayment.reimbursement_id)
        .join(Grant, Grant.id == Reimbursement.grant_id)
        .where(SettlementPayment.run_id == run.id)
    )
    for scheme_id, amount in session.execute(query):
        sums[scheme_id] += amount
    legs = []
    for scheme_id, amount in sorted(sums.items()):
        expense = accounts.expense(session, session.get_one(Scheme, scheme_id))
        owed = accounts.owed_holders(session)
        legs.append(Leg(expense, owed, amount) if sign > 0 else Leg(owed, expense, amount))
    return legs


def payments_of(session: Session, ids: Sequence[int]) -> dict[int, SettlementPayment]:
    """The payment of each of these declarations that a run has taken, by declaration id."""
    if not ids:
        return {}
    found = session.scalars(
        select(SettlementPayment).where(SettlementPayment.reimbursement_id.in_(list(ids)))
    )
    return {p.reimbursement_id: p for p in found if p.reimbursement_id is not None}
