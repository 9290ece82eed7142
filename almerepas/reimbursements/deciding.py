"""Deciding a declaration: approve (the budget pays it) or reject with a reason. Flush only.

Approval takes the amount from the budget with the ledger's guarded UPDATE, never beyond what
is left; the entry's natural key ``reimbursement:<id>`` books it once, and the row lock on the
declaration makes a second caseworker wait and then see that it was decided. The money is then
owed to the holder: the next settlement run pays it by SEPA (settlements/reimbursed.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.core import clock
from almerepas.core.errors import NotFound
from almerepas.core.i18n import N_
from almerepas.ledger.errors import InsufficientBalance
from almerepas.ledger.models import Account, EntryKind
from almerepas.ledger.posting import Leg, post_entry
from almerepas.redemptions.ledger import expired_now, payee_account
from almerepas.reimbursements.errors import (
    ReimbursementBudgetExpired,
    ReimbursementDecided,
    ReimbursementOverBudget,
)
from almerepas.reimbursements.models import Reimbursement, ReimbursementStatus
from almerepas.schemes import periods

#: why a declaration is rejected: a key, and the sentence the holder reads
REJECT_REASONS = {
    "receipt_unreadable": N_(
        "Op het bonnetje kunnen wij niet lezen wat u betaald hebt en wanneer."
    ),
    "not_for_this_budget": N_("Dit tegoed is niet voor wat u betaald hebt."),
    "not_paid_by_household": N_("Het bonnetje laat niet zien dat u of uw gezin het betaald heeft."),
    "other": N_("Een andere reden. Hieronder leest u welke."),
}


def holders_payable(session: Session) -> Account:
    """Where approved declarations wait to be paid: one account for every holder."""
    return payee_account(session, "reimbursements")


def get(session: Session, reimbursement_id: int, *, lock: bool = False) -> Reimbursement:
    query = select(Reimbursement).where(Reimbursement.id == reimbursement_id)
    if lock:
        # Wait for another caseworker's decision, and see it rather than what we read before.
        query = query.with_for_update().execution_options(populate_existing=True)
    found = session.scalar(query)
    if found is None:
        raise NotFound()
    return found


def _open(session: Session, reimbursement_id: int) -> Reimbursement:
    declaration = get(session, reimbursement_id, lock=True)
    if declaration.status != ReimbursementStatus.submitted:
        raise ReimbursementDecided()
    return declaration


def approve(
    session: Session, reimbursement_id: int, *, actor: Actor, now: dt.datetime
) -> Reimbursement:
    """Take the amount from the budget; the holder is paid in the next settlement run.

    :raises ReimbursementDecided: it was approved or rejected before.
    :raises ReimbursementOverBudget: the budget has less left than the amount.
    :raises ReimbursementBudgetExpired: the budget's period is over, or an expiry run took it.
    """
    declaration = _open(session, reimbursement_id)
    grant = declaration.grant
    account = grant.account
    ended = now.astimezone(clock.LOCAL).date() > periods.parse(grant.period).end
    if account is None or grant.expired_at is not None or ended:
        raise ReimbursementBudgetExpired()
    try:
        entry = post_entry(
            session,
            kind=EntryKind.redemption,
            natural_key=f"reimbursement:{declaration.id}",
            legs=[Leg(account, holders_payable(session), declaration.amount)],
            actor=actor.name,
            effective_at=now,
            memo=f"Declaratie {declaration.id}",
        )
    except InsufficientBalance:
        if expired_now(session, grant):
            raise ReimbursementBudgetExpired() from None
        raise ReimbursementOverBudget() from None
    declaration.entry_id = entry.id
    changes = {"amount": declaration.amount, "grant": grant.id, "entry": entry.id}
    _decided(
        session, declaration, ReimbursementStatus.approved, changes,
        action="reimbursement.approve", actor=actor, now=now,
    )  # fmt: skip
    return declaration


def reject(
    session: Session,
    reimbursement_id: int,
    *,
    reason: str,
    note: str,
    actor: Actor,
    now: dt.datetime,
) -> Reimbursement:
    """Refuse it with a reason from the list; the receipt may then be declared again.

    :raises ReimbursementDecided: it was approved or rejected before.
    """
    if reason not in REJECT_REASONS:
        raise ValueError(f"unknown reason {reason!r}")
    declaration = _open(session, reimbursement_id)
    declaration.reason = reason
    declaration.note = note.strip()[:1000] or None
    _decided(
        session, declaration, ReimbursementStatus.rejected, {"reason": reason},
        action="reimbursement.reject", actor=actor, now=now,
    )  # fmt: skip
    return declaration


def _decided(
    session: Session,
    declaration: Reimbursement,
    status: ReimbursementStatus,
    changes: Mapping[str, object],
    *,
    action: str,
    actor: Actor,
    now: dt.datetime,
) -> None:
    declaration.status = status
    declaration.decided_by = actor.name
    declaration.decided_at = now
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=action,
        entity_type="reimbursement",
        entity_id=declaration.id,
        changes=changes,
    )
