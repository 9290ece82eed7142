"""What a holder's own grants were just used for, and where: the live line on the holder's pages.

Within seconds of a redemption at a partner the holder's page shows "Zojuist gebruikt bij
Sportclub Centrum: € 12,00", so a cashier can look at the customer's screen, and a pass shown
from a screenshot gives itself away (its page shows nothing new).

Read-only, per pass: a redemption belongs to the pass whose scan it spent, a ride names its
pass. It lives here, not in ``holders/``, because redemptions sit above the holder's layer; the
holder's page asks only for a pass the holder may see.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.contracts.models import Partner
from almerepas.grants.models import Grant
from almerepas.redemptions.models import Redemption, Ride, Scan
from almerepas.schemes.models import Scheme

#: How long a use counts as "just now" on the holder's page.
RECENT = dt.timedelta(minutes=5)
LIMIT = 10


@dataclass(frozen=True)
class RecentUse:
    id: str  #: ``r12`` for a redemption, ``t5`` for a ride: stable for the page's script
    at: dt.datetime
    partner_name: str
    scheme: Scheme
    #: cents (budget, discount), units (quota); None for a ride
    amount: int | None
    unit: str


def recent_uses(
    session: Session, pass_id: int, *, now: dt.datetime, window: dt.timedelta = RECENT
) -> list[RecentUse]:
    """Redemptions (through a scan of this pass) and rides on this pass at a partner in the last
    ``window``, newest first. Only rides that were let through."""
    since = now - window
    redemptions = session.execute(
        select(Redemption, Partner.name, Scheme)
        .join(Scan, Scan.id == Redemption.scan_id)
        .join(Partner, Partner.id == Redemption.partner_id)
        .join(Grant, Grant.id == Redemption.grant_id)
        .join(Scheme, Scheme.id == Grant.scheme_id)
        .where(Scan.pass_id == pass_id, Redemption.created_at >= since)
        .order_by(Redemption.created_at.desc(), Redemption.id.desc())
        .limit(LIMIT)
    ).all()
    rides = session.execute(
        select(Ride, Partner.name, Scheme)
        .join(Partner, Partner.id == Ride.partner_id)
        .join(Grant, Grant.id == Ride.grant_id)
        .join(Scheme, Scheme.id == Grant.scheme_id)
        .where(Ride.pass_id == pass_id, Ride.result == "ok", Ride.ridden_at >= since)
        .order_by(Ride.ridden_at.desc(), Ride.id.desc())
        .limit(LIMIT)
    ).all()
    found = [
        RecentUse(f"r{r.id}", r.created_at, name, scheme, r.amount, scheme.unit)
        for r, name, scheme in redemptions
    ] + [
        RecentUse(f"t{ride.id}", ride.ridden_at, name, scheme, None, scheme.unit)
        for ride, name, scheme in rides
    ]
    return sorted(found, key=lambda use: use.at, reverse=True)[:LIMIT]
