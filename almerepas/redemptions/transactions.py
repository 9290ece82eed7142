"""One partner's own transactions: its redemptions and the rides let through at its locations.

Read-only; every query is filtered on the partner first, so nothing of another partner can
come along whatever the other filters say.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.contracts.models import Contract, Location, Partner
from almerepas.core import clock
from almerepas.grants.models import Grant
from almerepas.redemptions.models import Redemption, Ride
from almerepas.schemes.models import Scheme

#: At most this many rows on a page or in an export: a year of a busy partner fits.
LIMIT = 5000


@dataclass(frozen=True)
class Filters:
    since: dt.date | None = None  #: from this day on (local)
    until: dt.date | None = None  #: to and including this day (local)
    location_id: int | None = None
    scheme_code: str | None = None


@dataclass(frozen=True)
class Transaction:
    #: "redemption" or "ride"
    type: str
    id: int
    at: dt.datetime
    location: str
    scheme: Scheme
    #: cents (budget, discount) or units (quota); None for a ride
    amount: int | None
    #: how much of ``amount`` was given back
    reversed: int
    #: a discount: the basket in cents
    basket_amount: int | None


def _bounds(filters: Filters) -> tuple[dt.datetime | None, dt.datetime | None]:
    start = clock.local_moment(filters.since) if filters.since else None
    end = clock.local_moment(filters.until + dt.timedelta(days=1)) if filters.until else None
    return start, end


def partner_transactions(
    session: Session, partner: Partner, filters: Filters, *, limit: int = LIMIT
) -> list[Transaction]:
    """The partner's redemptions and rides that match ``filters``, newest first."""
    start, end = _bounds(filters)
    redemptions = (
        select(Redemption, Location.name, Scheme)
        .join(Location, Location.id == Redemption.location_id)
        .join(Grant, Grant.id == Redemption.grant_id)
        .join(Scheme, Scheme.id == Grant.scheme_id)
        .where(Redemption.partner_id == partner.id)
        .order_by(Redemption.created_at.desc(), Redemption.id.desc())
        .limit(limit)
    )
    rides = (
        select(Ride, Location.name, Scheme)
        .join(Location, Location.id == Ride.location_id)
        .join(Grant, Grant.id == Ride.grant_id)
        .join(Scheme, Scheme.id == Grant.scheme_id)
        .where(Ride.partner_id == partner.id, Ride.result == "ok")
        .order_by(Ride.ridden_at.desc(), Ride.id.desc())
        .limit(limit)
    )
    if start is not None:
        redemptions = redemptions.where(Redemption.created_at >= start)
        rides = rides.where(Ride.ridden_at >= start)
    if end is not None:
        redemptions = redemptions.where(Redemption.created_at < end)
        rides = rides.where(Ride.ridden_at < end)
    if filters.location_id is not None:
        redemptions = redemptions.where(Redemption.location_id == filters.location_id)
        rides = rides.where(Ride.location_id == filters.location_id)
    if filters.scheme_code:
        redemptions = redemptions.where(Scheme.code == filters.scheme_code)
        rides = rides.where(Scheme.code == filters.scheme_code)
    found = [
        Transaction(
            "redemption", r.id, r.created_at, name, scheme, r.amount, r.reversed, r.basket_amount
        )
        for r, name, scheme in session.execute(redemptions)
    ] + [
        Transaction("ride", ride.id, ride.ridden_at, name, scheme, None, 0, None)
        for ride, name, scheme in session.execute(rides)
    ]
    return sorted(found, key=lambda t: (t.at, t.id), reverse=True)[:limit]


def partner_schemes(session: Session, partner: Partner) -> list[Scheme]:
    """The schemes the partner ever had a contract for: the choices of the scheme filter."""
    return list(
        session.scalars(
            select(Scheme)
            .join(Contract, Contract.scheme_id == Scheme.id)
            .where(Contract.partner_id == partner.id)
            .distinct()
            .order_by(Scheme.code)
        )
    )
