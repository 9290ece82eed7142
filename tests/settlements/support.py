"""Partners under contract and redemptions at their counters, made the way the app makes them.

Everything happens in June 2026 (``JUNE``); its settlement is prepared on 2 July (``JULY``).
"""

from __future__ import annotations

import datetime as dt
from itertools import count

from sqlalchemy.orm import Session

from almerepas.audit.log import Actor
from almerepas.contracts import agreements
from almerepas.contracts.models import Location, Partner
from almerepas.grants.models import Grant
from almerepas.redemptions import ledger as booking
from almerepas.redemptions.models import Redemption
from almerepas.schemes import catalogue as schemes
from tests.factories import TEST_ACTOR, make_location, make_partner
from tests.redemptions.support import JUNE

JULY = dt.datetime(2026, 7, 2, 9, 0, tzinfo=dt.UTC)
PREPARER = Actor("staff:fien", role="finance")
APPROVER = Actor("staff:ahmed", role="finance")
_refs = count(1)


def contracted(
    session: Session,
    scheme_code: str,
    tariff_kind: str = "amount_redeemed",
    tariff: int | None = None,
    *,
    name: str = "Sportclub Almere",
    **partner: object,
) -> tuple[Partner, Location]:
    """A partner with one location and a contract for the scheme from 1 January 2026."""
    found = make_partner(session, name, **partner)
    place = make_location(session, found)
    agreements.create_contract(
        session, found, scheme=schemes.get_scheme(session, scheme_code), location_ids=[place.id],
        valid_from=dt.date(2026, 1, 1), valid_to=None, tariff_kind=tariff_kind, tariff=tariff,
        actor=TEST_ACTOR,
    )  # fmt: skip
    return found, place


def redeem_at(
    session: Session,
    grant: Grant,
    partner: Partner,
    place: Location,
    amount: int,
    at: dt.datetime = JUNE,
) -> Redemption:
    payee = booking.payee_account(session, f"partner:{partner.id}", unit=grant.scheme.unit)
    return booking.redeem(
        session, grant, amount, payee_account=payee, actor=TEST_ACTOR, now=at,
        reference=f"test:{next(_refs)}", place=booking.Place(partner.id, place.id),
    )  # fmt: skip
