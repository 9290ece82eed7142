"""Redeem and reverse at a partner: the rules around the ledger operations (ledger.py).

A redemption names the scan it follows (its reference), the scheme and a whole number: cents
for a budget, units for a quota, the basket in cents for a discount, nothing for a right. The
scan reference is spent by the first redemption that uses it (one guarded UPDATE), so a replay
of it is refused however the requests race. A refusal anywhere leaves nothing, not even the
spent reference: the only write before a refusal can come is that UPDATE, which is undone on
its row (still locked by this transaction) instead of paying for a savepoint on every
redemption; a partner's first redemption of a unit, which opens its payee account, books in a
savepoint so that a refusal takes the account back too.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import cast

from sqlalchemy import (
    Date,
    Table,
    Update,
    bindparam,
    select,
    update,
)
from sqlalchemy.orm import Session

from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.contracts.models import Location, Partner
from almerepas.core import clock
from almerepas.core.errors import DomainError, NotFound, ValidationFailed
from almerepas.grants.models import Grant
from almerepas.ledger import posting as ledger
from almerepas.ledger.models import JournalEntry
from almerepas.passes.models import Pass, PassStatus
from almerepas.passes.verify import check_pass
from almerepas.redemptions import ledger as booking
from almerepas.redemptions.errors import (
    GrantExpired,
    InsufficientBudget,
    LocationNotAllowed,
    NoEntitlement,
    ReversalTooLarge,
    ReversalWindowClosed,
    ScanExpired,
    ScanUnknown,
    ScanUsed,
)
from almerepas.redemptions.here import grant_here
from almerepas.redemptions.models import Redemption, Ride, Scan
from almerepas.schemes import periods
from almerepas.schemes.models import SchemeKind

#: How long a partner may reverse a redemption, unless the app is configured otherwise.
DEFAULT_REVERSAL_DAYS = 30


def discount_for(basket: int, percent: int) -> int:
    """The discount on a basket of ``basket`` cents: ``percent`` of it, rounded half up to the
    cent (10 % of € 0,05 is € 0,01; of € 0,04 it is € 0,00), as a till rounds."""
    return (basket * percent + 50) // 100


def redeem_scanned(
    session: Session,
    *,
    partner: Partner,
    location: Location,
    reference: str,
    scheme_code: str,
    quantity: int,
    given: str | None,
    now: dt.datetime,
    actor: Actor,
) -> Redemption | Ride:
    """Redeem ``quantity`` of the scheme for the pass of the scan ``reference``.

    :raises ScanUnknown, ScanExpired, ScanUsed: the reference cannot be used (again).
    :raises LocationNotAllowed: the scan was made elsewhere, or no contract covers this location.
    :raises NotContracted: the partner has no running contract for the scheme.
    :raises NoEntitlement: the holder has no grant of the scheme this period.
    :raises ValidationFailed: ``given`` (the field ``quantity`` came in: amount, units,
        basket_amount, or None for a ride) does not fit the scheme's kind.
    :raises GrantExpired, InsufficientBudget, QuotaExhausted, InvalidAmount: from the ledger.
    """
    ledger.require_quantity(quantity)
    day = now.astimezone(clock.LOCAL).date()
    scan = _spend(session, partner, reference, now, day)
    try:
        return _redeem_spent(
            session, scan, partner, location, scheme_code, quantity, given, now, day, actor
        )
    except DomainError:
        session.connection().execute(_UNSPEND, {"scan_id": scan.id})
        raise


def _redeem_spent(
    session: Session,
    scan: _Spent,
    partner: Partner,
    location: Location,
    scheme_code: str,
    quantity: int,
    given: str | None,
    now: dt.datetime,
    day: dt.date,
    actor: Actor,
) -> Redemption | Ride:
    """redeem_scanned after the scan is spent; a refusal here has written nothing else."""
    if scan.location_id != location.id:
        raise LocationNotAllowed()
    grant, payee = grant_here(session, partner, location, scan.pass_id, scheme_code, day)
    scheme = grant.scheme
    _require_field(scheme.kind, given)
    if scheme.kind == SchemeKind.right:
        return _ride(session, scan, grant, partner, location, now, actor)
    place = booking.Place(partner.id, location.id, scan.id)
    amount = quantity
    if scheme.kind == SchemeKind.discount:
        amount = _capped_discount(session, grant, quantity, scheme.discount_percent or 0)
        place = booking.Place(partner.id, location.id, scan.id, basket_amount=quantity)
    if payee is not None:
        return booking.redeem(
            session,
            grant,
            amount,
            payee_account=payee,
            actor=actor,
            now=now,
            reference=f"scan:{scan.id}",
            place=place,
        )
    with session.begin_nested():  # the partner's first redemption of this unit: open the account
        payee = booking.payee_account(session, f"partner:{partner.id}", unit=scheme.unit)
        return booking.redeem(
            session,
            grant,
            amount,
            payee_account=payee,
            actor=actor,
            now=now,
            reference=f"scan:{scan.id}",
            place=place,
        )


#: What a redemption of each kind of scheme names: cents, packs, the basket; a ride nothing.
FIELD_FOR_KIND: dict[SchemeKind, str | None] = {
    SchemeKind.budget: "amount",
    SchemeKind.quota: "units",
    SchemeKind.discount: "basket_amount",
    SchemeKind.right: None,
}
_FIELD_WORDS = {
    "amount": "het bedrag in centen (amount)",
    "units": "het aantal stuks (units)",
    "basket_amount": "het bedrag van de boodschappen in centen (basket_amount)",
}


def _require_field(kind: SchemeKind, given: str | None) -> None:
    """Refuse a quantity named for another kind of scheme: 5 packs are not 5 cents."""
    expected = FIELD_FOR_KIND.get(kind)
    if given == expected:
        return
    if expected is None:
        detail = "Voor een rit stuurt u geen bedrag of aantal mee."
        raise ValidationFailed(detail, **_field(given or "amount", detail))
    detail = f"Stuur voor deze regeling {_FIELD_WORDS[expected]}."
    raise ValidationFailed(detail, **_field(expected, detail))


def _field(field: str, detail: str) -> dict[str, object]:
    return {"errors": [{"field": field, "in": "json", "detail": detail}]}


@dataclass(frozen=True)
class _Spent:
    id: int
    pass_id: int
    location_id: int
    device_id: int | None


def _spend(
    session: Session, partner: Partner, reference: str, now: dt.datetime, day: dt.date
) -> _Spent:
    """Mark the scan used in one guarded statement, which also checks that its pass is still
    usable (blocked since the scan: refused); say why when that is not possible."""
    row = (
        session.connection()
        .execute(
            _spend_statement(),
            {"scan_reference": reference, "scan_partner_id": partner.id, "at": now, "day": day},
        )
        .first()
    )
    if row is not None:
        return _Spent(*row)
    found = session.scalar(select(Scan).where(Scan.reference == reference))
    if found is None or found.partner_id != partner.id:
        raise ScanUnknown()  # another partner's reference is not ours to know about
    if found.used_at is not None:
        raise ScanUsed()
    if found.expires_at < now:
        raise ScanExpired()
    check_pass(found.pass_, now=now)  # raises: blocked, replaced or expired since the scan
    raise ScanUsed()  # unreachable unless the pass changed back meanwhile: scan again


@functools.cache
def _spend_statement() -> Update:
    """_spend's UPDATE, built once on the tables (its values are bound parameters)."""
    scans, passes = cast(Table, Scan.__table__), cast(Table, Pass.__table__)
    usable = (
        select(passes.c.id)
        .where(
            passes.c.id == scans.c.pass_id,
            passes.c.status == PassStatus.active,
            passes.c.valid_until >= bindparam("day", type_=Date),
        )
        .exists()
    )
    return (
        update(scans)
        .where(
            scans.c.reference == bindparam("scan_reference"),
            scans.c.partner_id == bindparam("scan_partner_id"),
            scans.c.used_at.is_(None),
            scans.c.expires_at >= bindparam("at"),
            usable,
        )
        .values(used_at=bindparam("at"))
        .returning(scans.c.id, scans.c.pass_id, scans.c.location_id, scans.c.device_id)
    )


_scans = cast(Table, Scan.__table__)
#: a refused redemption gives its scan back: the row is locked by this transaction since _spend
_UNSPEND = update(_scans).where(_scans.c.id == bindparam("scan_id")).values(used_at=None)


def _capped_discount(session: Session, grant: Grant, basket: int, percent: int) -> int:
    """The discount on the basket, no more than is left this period (read under a lock)."""
    if grant.account is None:
        raise NoEntitlement()
    left = ledger.lock_balances(session, [grant.account.id]).get(grant.account.id, 0)
    if booking.expired_now(session, grant):  # an expiry run took it while we waited
        raise GrantExpired()
    amount = min(discount_for(basket, percent), left)
    if amount <= 0:
        raise InsufficientBudget()
    return amount


def _ride(
    session: Session,
    scan: _Spent,
    grant: Grant,
    partner: Partner,
    location: Location,
    now: dt.datetime,
    actor: Actor,
) -> Ride:
    """One ride on a right: nothing to take from a balance, so a ride row and no ledger entry."""
    if grant.expired_at is not None or now.astimezone(clock.LOCAL).date() > _period_end(grant):
        raise GrantExpired()
    ride = Ride(
        partner_id=partner.id,
        ride_ref=f"scan:{scan.id}",
        location_id=location.id,
        device_id=scan.device_id,
        pass_id=scan.pass_id,
        grant_id=grant.id,
        ridden_at=now,
        received_at=now,
        result="ok",
        online=True,
    )
    session.add(ride)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="redemptions.ride",
        entity_type="ride",
        entity_id=ride.id,
        changes={"grant": grant.id, "partner": partner.id},
    )
    return ride


def _period_end(grant: Grant) -> dt.date:
    return periods.parse(grant.period).end


def get_redemption(
    session: Session, partner: Partner, redemption_id: int, location: Location | None = None
) -> Redemption:
    """One of the partner's own redemptions (at ``location``, for a device bound to one);
    another partner's, or another location's, is as unknown as a missing one."""
    redemption = session.get(Redemption, redemption_id)
    if (
        redemption is None
        or redemption.partner_id != partner.id
        or (location is not None and redemption.location_id != location.id)
    ):
        raise NotFound(detail=f"Er is geen betaling met nummer {redemption_id}.")
    return redemption


def reverse_at_partner(
    session: Session,
    *,
    partner: Partner,
    redemption_id: int,
    amount: int | None,
    location: Location | None = None,
    now: dt.datetime,
    actor: Actor,
    window_days: int = DEFAULT_REVERSAL_DAYS,
) -> tuple[Redemption, JournalEntry]:
    """Give back ``amount`` (None: all that is left) of one of the partner's redemptions.

    :raises NotFound: not one of this partner's redemptions (at ``location``, when given).
    :raises ReversalWindowClosed: made more than ``window_days`` days before ``now``.
    :raises ReversalTooLarge: more than is left of it after earlier reversals.
    """
    redemption = get_redemption(session, partner, redemption_id, location)
    if now - redemption.created_at > dt.timedelta(days=window_days):
        raise ReversalWindowClosed()
    if amount is None:
        amount = redemption.amount - redemption.reversed
        if amount <= 0:
            raise ReversalTooLarge()
    entry = booking.reverse(session, redemption, amount, actor=actor, now=now)
    return redemption, entry


def left_after(redemption: Redemption) -> int | None:
    """What was left on the grant right after ``redemption``, in this transaction: the balance
    the ledger's guarded UPDATE returned (no further query)."""
    account = redemption.grant.account
    return account.balance if account is not None else None


def left_of(session: Session, grant: Grant) -> int | None:
    """What is left on a grant now (cents or units); None for a right."""
    if grant.account is None:
        return None
    return ledger.balance_of(session, grant.account)
