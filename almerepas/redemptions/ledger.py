"""Redeem from a grant and reverse a redemption, on the ledger. Flush, never commit.

Concurrency (docs/redemption.md): a redemption takes from the grant's entitlement account with
the ledger's one guarded UPDATE (``balance = balance - x WHERE balance - x >= 0``), never a read
then a write. The expiry run (grants.expiry.expire) locks the same row before it takes what is
left with that same UPDATE, so a redemption and an expiry of one grant wait for each other and
neither fails because of the other. A reversal locks the entitlement row too before it decides
where the money goes: to the entitlement while the grant runs, to the scheme's funding account
once the grant has expired.

Payees have no cached balance (``Account.cached`` is false): a redemption updates one row, the
grant's own, and no row that every redemption would update.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.core import clock
from almerepas.core.inserted import attach
from almerepas.grants.funding import ensure_funding
from almerepas.grants.models import Grant
from almerepas.ledger import posting as ledger
from almerepas.ledger.errors import InsufficientBalance
from almerepas.ledger.models import Account, AccountKind, EntryKind, JournalEntry
from almerepas.ledger.posting import EUR, Leg
from almerepas.redemptions.errors import (
    GrantExpired,
    InsufficientBudget,
    NotRedeemable,
    QuotaExhausted,
    ReversalTooLarge,
)
from almerepas.redemptions.models import Redemption, Reversal
from almerepas.schemes import periods
from almerepas.schemes.models import SchemeKind


@dataclass(frozen=True)
class Place:
    """Where a redemption happened: the partner, its location and the scan it came from."""

    partner_id: int
    location_id: int
    scan_id: int | None = None
    #: a discount: the basket it was computed from, in cents
    basket_amount: int | None = None


def payee_account(session: Session, code: str, *, unit: str = EUR) -> Account:
    """The ledger account a payee's redemptions go to, opened on first use, without a cached
    balance. Money (EUR) is a payable; units of a quota are consumed. The partners issue links
    payees to partners; until then the caller names the payee by ``code``."""
    kind = AccountKind.payable if unit == EUR else AccountKind.consumed
    return ledger.ensure_account(
        session,
        code=f"{kind.value}:{code}:{unit.lower()}",
        name=f"{code} ({unit})"[:200],
        kind=kind,
        unit=unit,
        cached=False,
    )


def _ended(grant: Grant, now: dt.datetime) -> bool:
    return now.astimezone(clock.LOCAL).date() > periods.parse(grant.period).end


def expired_now(session: Session, grant: Grant) -> bool:
    """Whether the grant has expired, as committed (not as this session last saw it)."""
    expired_at = session.scalar(select(Grant.expired_at).where(Grant.id == grant.id))
    return expired_at is not None


def redeem(
    session: Session,
    grant: Grant,
    amount: int,
    *,
    payee_account: Account,
    actor: Actor,
    now: dt.datetime,
    reference: str,
    place: Place | None = None,
) -> Redemption:
    """Take ``amount`` (cents, or units of a quota) from the grant and give it to the payee.

    :raises InvalidAmount: ``amount`` is not a whole number above zero.
    :raises NotRedeemable: the grant is a right, without a balance.
    :raises GrantExpired: the grant's period ended before ``now``, or an expiry run took it.
    :raises InsufficientBudget: a budget or discount has less left than ``amount``.
    :raises QuotaExhausted: a quota has fewer units left than ``amount``.
    :raises EntryExists: a redemption with this ``reference`` was booked before.

    ``place`` says where it happened (a partner's scan); without it, nowhere in particular.
    """
    ledger.require_quantity(amount)
    account = grant.account
    if account is None:
        raise NotRedeemable()
    if grant.expired_at is not None or _ended(grant, now):
        raise GrantExpired()
    try:
        entry = ledger.post_entry(
            session,
            kind=EntryKind.redemption,
            natural_key=f"redemption:{reference}",
            legs=[Leg(account, payee_account, amount)],
            actor=actor.name,
            effective_at=now,
        )
    except InsufficientBalance:
        # The guarded UPDATE waited for an expiry run that took everything: say so.
        if expired_now(session, grant):
            raise GrantExpired() from None
        if grant.scheme.kind == SchemeKind.quota:
            raise QuotaExhausted() from None
        raise InsufficientBudget() from None
    values = {
        "grant_id": grant.id,
        "entry_id": entry.id,
        "amount": amount,
        "reversed": 0,
        "payee_account_id": payee_account.id,
        "reference": reference,
        "created_at": now,
        "partner_id": place.partner_id if place else None,
        "location_id": place.location_id if place else None,
        "scan_id": place.scan_id if place else None,
        "basket_amount": place.basket_amount if place else None,
    }
    redemption_id = session.connection().scalar(_INSERT_REDEMPTION, values)
    redemption = attach(session, Redemption(id=redemption_id, **values))
    set_committed_value(redemption, "grant", grant)
    set_committed_value(redemption, "entry", entry)
    set_committed_value(redemption, "payee_account", payee_account)
    audit.append(
        session,
        actor=actor,
        action="redemptions.redeem",
        entity_type="redemption",
        entity_id=redemption.id,
        changes={"grant": grant.id, "amount": amount, "payee": payee_account.code},
    )
    return redemption


_redemptions = cast(Table, Redemption.__table__)
_INSERT_REDEMPTION = insert(_redemptions).returning(_redemptions.c.id)


def reverse(
    session: Session, redemption: Redemption, amount: int, *, actor: Actor, now: dt.datetime
) -> JournalEntry:
    """Give ``amount`` of a redemption back: to the grant while it runs, to the scheme's
    funding account once it has expired (its period is over; the entitlement takes nothing).

    :raises InvalidAmount: ``amount`` is not a whole number above zero.
    :raises ReversalTooLarge: more than what is left of the redemption after earlier reversals.
    """
    ledger.require_quantity(amount)
    grant = redemption.grant
    account = grant.account
    if account is None:  # cannot happen: redeem() refuses a grant without an account
        raise NotRedeemable()
    with session.begin_nested():
        # One guarded statement: two reversals at once can never give back more than was taken.
        reversed_now = session.scalar(
            update(Redemption)
            .where(Redemption.id == redemption.id)
            .where(Redemption.reversed + amount <= Redemption.amount)
            .values(reversed=Redemption.reversed + amount)
            .returning(Redemption.reversed)
            .execution_options(synchronize_session=False)
        )
        if reversed_now is None:
            raise ReversalTooLarge()
        # Lock the entitlement as the expiry run does, then read whether it has expired: an
        # expiry that ran meanwhile has committed, one that comes later waits for us and takes
        # what we gave back.
        ledger.lock_balances(session, [account.id])
        if expired_now(session, grant):
            target = ensure_funding(session, grant.scheme, periods.parse(grant.period).start.year)
        else:
            target = account
        entry = ledger.post_entry(
            session,
            kind=EntryKind.reversal,
            natural_key=f"reversal:{redemption.id}:{reversed_now}",
            legs=[Leg(redemption.payee_account, target, amount)],
            actor=actor.name,
            effective_at=now,
        )
        # Its own row, so settlement can pay it back exactly once (a negative line).
        session.add(
            Reversal(redemption_id=redemption.id, entry_id=entry.id, amount=amount, created_at=now)
        )
        session.flush()
    session.expire(redemption, ["reversed"])
    audit.record(
        session,
        actor=actor,
        action="redemptions.reverse",
        entity_type="redemption",
        entity_id=redemption.id,
        changes={"amount": amount, "to": target.code},
    )
    return entry
