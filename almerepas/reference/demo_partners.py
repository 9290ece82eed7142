"""The demo's partners (the gemeente's data folder names them; Almere's are a sport club, a
supermarket and a chemist) under contract, each with a manager who can log in, and redemptions
at their counters, so a settlement run can be tried.

A yearly scheme's redemptions of the last ended month are ready to settle (two finance users
approve each other's runs); this month's are owed but not yet settleable. Loading twice changes
nothing: a partner is found by its KvK number, a redemption by its reference.
"""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.audit.log import Actor
from almerepas.contracts import agreements, devices, users
from almerepas.contracts import partners as partner_records
from almerepas.contracts.models import Location, Partner, PartnerUser
from almerepas.core import clock, gemeente
from almerepas.core.crypto import Keyring
from almerepas.core.gemeente import DemoPartner
from almerepas.grants.models import Grant
from almerepas.redemptions import ledger as booking
from almerepas.redemptions.errors import GrantExpired, InsufficientBudget, QuotaExhausted
from almerepas.redemptions.models import Redemption
from almerepas.schemes import catalogue, periods
from almerepas.schemes.models import Period, Scheme


def _partner(
    session: Session, spec: DemoPartner, actor: Actor, keys: Keyring, password: str
) -> tuple[Partner, Location, bool]:
    found = session.scalar(select(Partner).where(Partner.kvk_number == spec.kvk_number))
    if found is not None:
        location = session.scalars(select(Location).where(Location.partner_id == found.id)).one()
        return found, location, False
    partner = partner_records.create_partner(
        session,
        {"name": spec.name, "kvk_number": spec.kvk_number, "iban": spec.iban,
         "payout_method": spec.payout_method, "stripe_account": spec.stripe_account},
        actor=actor,
    )  # fmt: skip
    place, street, number, postcode, kind = spec.place
    location = partner_records.add_location(
        session,
        partner,
        {"name": place, "street": street, "house_number": number, "postcode": postcode,
         "kind": kind},
        actor=actor,
    )  # fmt: skip
    agreements.create_contract(
        session, partner, scheme=catalogue.get_scheme(session, spec.scheme),
        location_ids=[location.id], valid_from=dt.date(2020, 1, 1), valid_to=None,
        tariff_kind=spec.tariff_kind, tariff=spec.tariff, actor=actor,
    )  # fmt: skip
    users.create_partner_user(
        session, partner,
        {"username": spec.manager, "display_name": f"Beheer {spec.name}", "role": "manager",
         "password": password},
        keys=keys, actor=actor,
    )  # fmt: skip
    devices.create_device(
        session, partner, {"name": "Kassa 1", "location_id": location.id}, keys=keys, actor=actor
    )
    return partner, location, True


def _grants(session: Session, scheme: Scheme, period: str) -> list[Grant]:
    return list(
        session.scalars(
            select(Grant)
            .where(Grant.scheme_id == scheme.id, Grant.period == period, Grant.expired_at.is_(None))
            .order_by(Grant.id)
            .limit(12)
        )
    )


def _redeem(session: Session, grant: Grant, partner: Partner, location: Location,
            amount: int, at: dt.datetime, reference: str, actor: Actor) -> bool:  # fmt: skip
    if session.scalar(select(Redemption.id).where(Redemption.reference == reference)):
        return False
    try:
        payee = booking.payee_account(session, f"partner:{partner.id}", unit=grant.scheme.unit)
        booking.redeem(
            session, grant, amount, payee_account=payee, actor=actor, now=at,
            reference=reference, place=booking.Place(partner.id, location.id),
        )  # fmt: skip
    except (GrantExpired, InsufficientBudget, QuotaExhausted):
        return False
    return True


def partners_step(
    session: Session, *, today: dt.date, seed: int, keys: Keyring, actor: Actor, password: str
) -> str:
    """The gemeente's demo partners (its data folder) and their redemptions: last month at
    those with a yearly scheme, this month at all."""
    rng = random.Random(seed)  # noqa: S311 - demo amounts, not secrets
    made = redeemed = 0
    this_month = f"{today:%Y-%m}"
    last_month = f"{today.replace(day=1) - dt.timedelta(days=1):%Y-%m}"
    for spec in gemeente.current().demo_partners:
        partner, location, new = _partner(session, spec, actor, keys, password)
        made += new
        scheme = catalogue.get_scheme(session, spec.scheme)
        moments = []
        if scheme.period == Period.year:
            span = periods.parse(last_month)
            moments.append((f"{today.year}", span.start + dt.timedelta(days=9), last_month))
        label = f"{today.year}" if scheme.period == Period.year else this_month
        moments.append((label, today, this_month))
        for grant_period, day, month in moments:
            if day.year != today.year:
                continue  # the demo's grants are this year's
            at = clock.local_moment(day, dt.time(11, 0))
            for n, grant in enumerate(_grants(session, scheme, grant_period)):
                amount = rng.choice((7_50, 12_00, 25_00, 3_40)) if scheme.unit == "EUR" else 1
                reference = f"demo:{partner.kvk_number}:{month}:{n}"
                redeemed += _redeem(session, grant, partner, location, amount, at, reference, actor)
    return f"{made} partners, {redeemed} redemptions" if made or redeemed else "unchanged"


def partner_logins(session: Session, *, keys: Keyring) -> list[tuple[str, str]]:
    """(username, TOTP secret) of the demo partners' managers."""
    names = [spec.manager for spec in gemeente.current().demo_partners]
    found = session.scalars(select(PartnerUser).where(PartnerUser.username.in_(names)))
    return [
        (u.username, keys.decrypt(u.totp_secret_encrypted))
        for u in found
        if u.totp_secret_encrypted is not None
    ]
