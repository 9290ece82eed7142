"""Scan: a partner checks a pass and learns only what this holder may use here, and how much.

The answer names no income, tier, BSN, address, age or other scheme: only the schemes this
partner has a contract for at this location, with what is left of each this period, and the
partner's own offers. A partner without a contract learns "geldige Almerepas" and its offers.
Every scan is kept (``Scan``): its reference lets the redemption that follows name the pass
without the rotating code, for ``SCAN_LIFETIME``, once.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.contracts.models import Device, Location, Offer, Partner
from almerepas.contracts.offers import current_offers
from almerepas.core import clock
from almerepas.core.crypto import Keyring
from almerepas.passes.models import Pass
from almerepas.passes.numbers import normalise_number
from almerepas.passes.verify import check_pass, verify_code
from almerepas.redemptions.errors import PassUnknown
from almerepas.redemptions.here import covered_schemes, holder_grants
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
        pass_id, method = verified.pass_id, verified.kind
        pass_ = session.get(Pass, pass_id)
        if pass_ is None:  # cannot happen: a credential's pass exists (foreign key)
            raise PassUnknown()
    else:
        number = normalise_number(pass_number or "")
        pass_ = session.scalar(select(Pass).where(Pass.number == number)) if number else None
        if pass_ is None:
            raise PassUnknown()
        check_pass(pass_, now=now)
        method = "number"
    day = now.astimezone(clock.LOCAL).date()
    scan = Scan(
        reference=secrets.token_urlsafe(18),
        pass_id=pass_.id,
        partner_id=partner.id,
        location_id=location.id,
        device_id=device.id if device is not None else None,
        method=method,
        scanned_at=now,
        expires_at=now + SCAN_LIFETIME,
    )
    session.add(scan)
    session.flush()
    return ScanOutcome(
        scan=scan,
        redeemables=_redeemables(session, partner, location, pass_.person_id, day),
        offers=[o for o in current_offers(session, day) if o.partner_id == partner.id],
    )


def _redeemables(
    session: Session, partner: Partner, location: Location, person_id: int, day: dt.date
) -> list[Redeemable]:
    grants = holder_grants(session, person_id, day, covered_schemes(partner, location, day))
    found = []
    for grant in grants:
        if grant.expired_at is not None:
            continue
        scheme = grant.scheme
        found.append(
            Redeemable(
                scheme_code=scheme.code,
                name_nl=scheme.name_nl,
                name_en=scheme.name_en,
                kind=scheme.kind,
                unit=scheme.unit,
                left=grant.account.balance if grant.account is not None else None,
                discount_percent=scheme.discount_percent,
            )
        )
    return sorted(found, key=lambda r: r.scheme_code)
