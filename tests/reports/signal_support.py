"""A December with planted patterns and clean look-alikes, for the signals (docs/reports.md).

One household with fourteen children, each with a 2026 Stadsfonds budget of € 300 (it expires on
31 December). Every time is 10:00 UTC (11:00 in Almere) unless said otherwise. The period looked
at is 24 to 31 December, with ``TEST_THRESHOLDS``.

=================  ======================================================  =================
partner            what happens                                            listed
=================  ======================================================  =================
Sportclub Noord    24 Dec: three budgets taken to zero (A1 € 300, A2 €     1 (whole budgets)
                   300, A3 the € 200 left after € 100 at the Muziekschool)
Dansschool Haven   one whole budget on 24 Dec, another on 27 Dec           no
Zwemclub West      24 Dec: three of € 299, each leaves € 1                 no
Sporthal Centrum   six of € 5 every day, 17 to 31 Dec (steady, high)       no
Judoclub Oost      one of € 5 a day from 17 Dec, twelve on 28 Dec          3 (unusual day)
Theater Poort      one € 5 a day 17-21 Dec, and 22, 24, 26, 28 Dec; three  2 (expiry spike)
                   a day on 29, 30 and 31 Dec
Bibliotheek/       pass E1: 10:00 at the Bibliotheek (a € 5 redemption),   4 (two places)
Zwembad            10:12 at the Zwembad; pass E2: the two places four
                   hours apart; pass E3: the Bibliotheek twice in 5 min     no (E2, E3)
=================  ======================================================  =================
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from itertools import count

from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.audit.log import Actor
from almerepas.contracts.models import Location, Partner
from almerepas.grants import runs as grants
from almerepas.models import Grant, MemberRole, Person
from almerepas.passes import operations as passes
from almerepas.passes.models import Pass
from almerepas.redemptions import ledger as booking
from almerepas.redemptions.models import Redemption, Scan
from almerepas.reports.signals import Thresholds
from almerepas.schemes import catalogue as schemes
from tests.factories import TEST_ACTOR, assess, born, make_household, make_location, make_partner

FIRST, LAST = dt.date(2026, 12, 24), dt.date(2026, 12, 31)
TEST_THRESHOLDS = Thresholds(
    whole_budget_per_day=3,
    expiry_days=3,
    baseline_days=7,
    factor=3,
    min_count=4,
    min_amount=1000_00,
    two_places_minutes=30,
)
CHILDREN = ["A1", "A2", "A3", "B1", "B2", "C1", "C2", "C3", "D1", "D2", "D3", "D4", "E1", "E2"]
_refs = count(1)


def at(day: int, hour: int = 10, minute: int = 0, month: int = 12) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=dt.UTC)


@dataclass
class December:
    partners: dict[str, Partner]
    places: dict[str, Location]
    grants: dict[str, Grant]
    passes: dict[str, Pass]
    redemptions: dict[str, list[int]] = field(default_factory=dict)
    scans: dict[str, int] = field(default_factory=dict)


def _redeem(
    session: Session, d: December, child: str, partner: str, amount: int, when: dt.datetime,
    scan: Scan | None = None,
) -> Redemption:  # fmt: skip
    grant = d.grants[child]
    payee = booking.payee_account(session, f"partner:{d.partners[partner].id}")
    place = booking.Place(d.partners[partner].id, d.places[partner].id, scan.id if scan else None)
    found = booking.redeem(
        session, grant, amount, payee_account=payee, actor=TEST_ACTOR, now=when,
        reference=f"signal:{next(_refs)}", place=place,
    )  # fmt: skip
    d.redemptions.setdefault(partner, []).append(found.id)
    return found


def _scan(
    session: Session, d: December, name: str, child: str, partner: str, when: dt.datetime
) -> Scan:
    scan = Scan(
        reference=f"signal-scan-{next(_refs)}", pass_id=d.passes[child].id,
        partner_id=d.partners[partner].id, location_id=d.places[partner].id, method="card",
        scanned_at=when, expires_at=when + dt.timedelta(minutes=5),
    )  # fmt: skip
    session.add(scan)
    session.flush()
    d.scans[name] = scan.id
    return scan


def make_december(session: Session) -> December:
    schemes.update_scheme(
        session, schemes.get_scheme(session, "stadsfonds"), {"amount": 300_00}, actor=TEST_ACTOR
    )
    family = make_household(
        session,
        [(MemberRole.applicant, born(40)), *[(MemberRole.child, born(12)) for _ in CHILDREN]],
    )
    assess(session, family, (100, 100), on=dt.date(2026, 1, 1))
    grants.issue(
        session, period="2026", actor=Actor("test"), today=dt.date(2026, 1, 2),
        schemes=["stadsfonds"],
    )  # fmt: skip
    kids: list[Person] = [m.person for m in family.memberships if m.role == MemberRole.child]
    by_person = {
        g.person_id: g
        for g in session.scalars(select(Grant).where(Grant.period == "2026"))
        if g.person_id is not None
    }
    names = {
        "muziek": "Muziekschool De Klank", "noord": "Sportclub Noord",
        "dans": "Dansschool Haven", "zwem": "Zwemclub West", "centrum": "Sporthal Centrum",
        "judo": "Judoclub Oost", "theater": "Theater Poort", "bieb": "Bibliotheek",
        "zwembad": "Zwembad",
    }  # fmt: skip
    partners = {key: make_partner(session, name) for key, name in names.items()}
    places = {
        key: make_location(session, partner, f"{partner.name} locatie")
        for key, partner in partners.items()
    }
    d = December(
        partners,
        places,
        {name: by_person[kid.id] for name, kid in zip(CHILDREN, kids, strict=True)},
        {},
    )
    for name, kid in zip(CHILDREN, kids, strict=True):
        if name.startswith("E"):
            d.passes[name] = passes.issue_pass(session, kid, actor=TEST_ACTOR, now=at(1, month=6))
    # Sportclub Noord: three budgets taken whole on one day, one of them after earlier use.
    _redeem(session, d, "A3", "muziek", 100_00, at(20, month=11))
    for minute, child in ((0, "A1"), (5, "A2"), (10, "A3")):
        _redeem(
            session, d, child, "noord", booking_left(session, d.grants[child]), at(24, 10, minute)
        )
    # Dansschool Haven: one whole budget a day; Zwemclub West: three that leave € 1 each.
    _redeem(session, d, "B1", "dans", 300_00, at(24))
    _redeem(session, d, "B2", "dans", 300_00, at(27))
    for child in ("C1", "C2", "C3"):
        _redeem(session, d, child, "zwem", 299_00, at(24))
    for day in range(17, 32):
        # Sporthal Centrum: a steady six a day.
        for n in range(6):
            _redeem(session, d, "D1" if n < 3 else "D2", "centrum", 5_00, at(day, 10, n))
        # Judoclub Oost: one a day, twelve on the 28th, none on the 31st.
        for n in range({28: 12, 31: 0}.get(day, 1)):
            _redeem(session, d, "D3", "judo", 5_00, at(day, 10, n))
        # Theater Poort: three a day in the last three days of the budgets.
        for n in range(3 if day >= 29 else 1 if day <= 21 or day % 2 == 0 else 0):
            _redeem(session, d, "D4", "theater", 5_00, at(day, 10, n))
    # One pass at two places twelve minutes apart; one four hours apart; one place twice.
    first = _scan(session, d, "E1-bieb", "E1", "bieb", at(24, 10, 0))
    _redeem(session, d, "E1", "bieb", 5_00, at(24, 10, 1), scan=first)
    _scan(session, d, "E1-zwembad", "E1", "zwembad", at(24, 10, 12))
    _scan(session, d, "E2-bieb", "E2", "bieb", at(26, 10, 0))
    _scan(session, d, "E2-zwembad", "E2", "zwembad", at(26, 14, 0))
    other = make_household(session, [(MemberRole.applicant, born(30))])
    e3 = passes.issue_pass(
        session, other.memberships[0].person, actor=TEST_ACTOR, now=at(1, month=6)
    )
    d.passes["E3"] = e3
    _scan(session, d, "E3-1", "E3", "bieb", at(26, 11, 0))
    _scan(session, d, "E3-2", "E3", "bieb", at(26, 11, 5))
    session.flush()
    return d


def booking_left(session: Session, grant: Grant) -> int:
    """What is left on the grant's budget now."""
    assert grant.account is not None
    session.refresh(grant.account)
    return grant.account.balance
