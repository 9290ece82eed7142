"""Scan: a partner checks a pass and learns only what this holder may use here, and how much.

The answer names no income, tier, BSN, address, age or other scheme: only the schemes this
partner has a contract for at this location, with what is left of each this period, and the
partner's own offers. A partner without a contract learns "geldige stadspas" and its offers.
Every scan is kept (``Scan``): its reference lets the redemption that follows name the pass
without the rotating code, for ``SCAN_LIFETIME``, once.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from almerepas.contracts.models import Device, Location, Offer, Partner
from almerepas.contracts.offers import partner_offers
from almerepas.core import clock
from almerepas.core.crypto import Keyring
from almerepas.core.inserted import attach
from almerepas.passes.models import Pass
from almerepas.passes.numbers import normalise_number
from almerepas.passes.verify import check_pass, verify_code
from almerepas.redemptions.errors import PassUnknown
from almerepas.redemptions.here import grants_here
from almerepas.redemptions.models import Scan
from almerepas.schemes.models import SchemeKind

#: Long enough for a cashier to ring up a basket; short enough that a reference found later
#: in a log is worth nothing.
SCAN_LIFETIME = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class Redeemable:
    """One scheme this holder may use here, with what is left of it this period."""

    scheme_code: str
    name_nl: str
    name_en: str
    kind: SchemeKind
    #: "EUR", or the unit of a quota ("pak")
    unit: str
    #: cents or units left; None for a right (free travel: unlimited while valid)
    left: int | None
    discount_percent: int | None


@dataclass(frozen=True)
class ScanOutcome:
    scan: Scan
    redeemables: list[Redeemable]
    offers: list[Offer]


def scan_pass(
    session: Session,
    *,
    partner: Partner,
    location: Location,
    device: Device | None,
    code: str | None = None,
    pass_number: str | None = None,
    now: dt.datetime,
    keys: Keyring,
) -> ScanOutcome:
    """Check a code (or a typed pass number) at ``location`` and record the scan.

    :raises CredentialRefused: the code is refused (its own code: expired, replayed, ...).
    :raises PassUnknown: no pass has this number.
    """
    if code is not None:
        verified = verify_code(session, code, now=now, keys=keys)
        method, pass_ = verified.kind, verified.pass_
    else:
        pass_ = _typed_pass(session, pass_number or "", now)
        method = "number"
    day = now.astimezone(clock.LOCAL).date()
    scan = _record_scan(
        session,
        {
            "reference": secrets.token_urlsafe(18),
            "pass_id": pass_.id,
            "partner_id": partner.id,
            "location_id": location.id,
            "device_id": device.id if device is not None else None,
            "method": method,
            "scanned_at": now,
            "expires_at": now + SCAN_LIFETIME,
            "used_at": None,
        },
    )
    set_committed_value(scan, "pass_", pass_)
    set_committed_value(scan, "partner", partner)
    set_committed_value(scan, "location", location)
    return ScanOutcome(
        scan=scan,
        redeemables=_redeemables(session, partner, location, pass_.person_id, day),
        offers=partner_offers(session, partner.id, day),
    )


def _record_scan(session: Session, values: dict[str, Any]) -> Scan:
    """Insert the scan with one Core statement built once, and attach it as if loaded."""
    session.flush()  # what the caller added goes first, as a flush of the scan would
    scan_id = session.connection().scalar(_INSERT_SCAN, values)
    return attach(session, Scan(id=scan_id, **values))


_scans = cast(Table, Scan.__table__)
_INSERT_SCAN = insert(_scans).returning(_scans.c.id)


def _typed_pass(session: Session, typed: str, now: dt.datetime) -> Pass:
    number = normalise_number(typed)
    found = session.scalar(select(Pass).where(Pass.number == number)) if number else None
    if found is None:
        raise PassUnknown()
    check_pass(found, now=now)
    return found


def _redeemables(
    session: Session, partner: Partner, location: Location, person_id: int, day: dt.date
) -> list[Redeemable]:
    found = [
        Redeemable(
            scheme_code=row.code,
            name_nl=row.name_nl,
            name_en=row.name_en,
            kind=row.kind,
            unit=row.unit,
            left=row.balance,
            discount_percent=row.discount_percent,
        )
        for row in grants_here(session, person_id, day, partner.id, location.id)
        if row.expired_at is None
    ]
    return sorted(found, key=lambda r: r.scheme_code)
