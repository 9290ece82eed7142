"""A hand-made year whose figures are known: five children in two districts, made the way the
app makes them (grant runs, passes, redemptions, a reversal, a settlement run, an expiry).

==========  ========  ======  =======  ===========================  ===================
child       district  pass    scanned  stadsfonds (€ 300)           supermarkt 2026-06
==========  ========  ======  =======  ===========================  ===================
a1          stad      yes     yes      € 200 at Sportclub, June     € 10 at Buurtsuper
a2          stad      yes     yes      € 50 at Sportclub, March,
                                       € 20 of it given back
a3          stad      no      no       nothing
b1          haven     yes     yes      € 100 at Buurtsuper, August
b2          haven     yes     no       nothing
==========  ========  ======  =======  ===========================  ===================

June is settled (approved); the year 2026 expired on 5 January 2027.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.audit.log import Actor
from almerepas.contracts import agreements
from almerepas.grants import expiry
from almerepas.grants import runs as grants
from almerepas.models import Grant, Household, Location, MemberRole, Partner
from almerepas.passes import operations as passes
from almerepas.redemptions import ledger as booking
from almerepas.redemptions.models import Scan
from almerepas.schemes import catalogue as schemes
from almerepas.settlements import runs
from tests.factories import TEST_ACTOR, assess, born, make_household
from tests.settlements.support import APPROVER, PREPARER, contracted, redeem_at

STAD, HAVEN = "1315 AB", "1354 AA"
MARCH = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)
JUNE = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC)
AUGUST = dt.datetime(2026, 8, 20, 10, 0, tzinfo=dt.UTC)
RUN = Actor("test")


@dataclass
class Year:
    families: dict[str, Household]
    sportclub: Partner
    buurtsuper: Partner


def child_grant(session: Session, family: Household, code: str, period: str) -> Grant:
    beneficiary = family.id
    query = select(Grant).where(Grant.scheme_id == schemes.get_scheme(session, code).id)
    query = query.where(Grant.period == period)
    for grant in session.scalars(query):
        if grant.household_id == beneficiary or any(
            m.person_id == grant.person_id and m.role == MemberRole.child
            for m in family.memberships
        ):
            return grant
    raise AssertionError(f"no {code} grant for {family.id}")


def _scan(session: Session, person_id: int, partner: Partner, place: Location, n: int) -> None:
    pass_ = passes.active_pass(session, person_id)
    assert pass_ is not None
    session.add(
        Scan(
            reference=f"scan-{n}", pass_id=pass_.id, partner_id=partner.id, location_id=place.id,
            method="card", scanned_at=MARCH, expires_at=MARCH + dt.timedelta(minutes=5),
        )
    )  # fmt: skip


def make_year(session: Session) -> Year:
    schemes.update_scheme(
        session,
        schemes.get_scheme(session, "stadsfonds"),
        {"amount": 300_00, "annual_budget": 2000_00},
        actor=TEST_ACTOR,
    )
    families = {
        name: make_household(
            session,
            [(MemberRole.applicant, born(40)), (MemberRole.child, born(12))],
            postcode=postcode,
        )
        for name, postcode in [
            ("a1", STAD), ("a2", STAD), ("a3", STAD), ("b1", HAVEN), ("b2", HAVEN)
        ]
    }  # fmt: skip
    for family in families.values():
        assess(session, family, (100, 100), on=dt.date(2026, 1, 1))
    grants.issue(
        session, period="2026", actor=RUN, today=dt.date(2026, 1, 2), schemes=["stadsfonds"]
    )
    grants.issue(
        session, period="2026-06", actor=RUN, today=dt.date(2026, 6, 1), schemes=["supermarkt"]
    )
    sportclub, gym = contracted(session, "stadsfonds", name="Sportclub Almere")
    buurtsuper, shop = contracted(session, "supermarkt", name="Buurtsuper")
    agreements.create_contract(
        session, buurtsuper, scheme=schemes.get_scheme(session, "stadsfonds"),
        location_ids=[shop.id], valid_from=dt.date(2026, 1, 1), valid_to=None,
        tariff_kind="amount_redeemed", tariff=None, actor=TEST_ACTOR,
    )  # fmt: skip
    children = {
        name: next(m.person for m in family.memberships if m.role == MemberRole.child)
        for name, family in families.items()
    }
    for n, name in enumerate(["a1", "a2", "b1", "b2"]):
        passes.issue_pass(
            session, children[name], actor=TEST_ACTOR, now=JUNE - dt.timedelta(days=200)
        )
        if name != "b2":
            _scan(session, children[name].id, sportclub, gym, n)

    def fund(name: str) -> Grant:
        return child_grant(session, families[name], "stadsfonds", "2026")

    redeem_at(session, fund("a1"), sportclub, gym, 200_00, JUNE)
    march = redeem_at(session, fund("a2"), sportclub, gym, 50_00, MARCH)
    booking.reverse(session, march, 20_00, actor=TEST_ACTOR, now=MARCH + dt.timedelta(days=1))
    redeem_at(session, fund("b1"), buurtsuper, shop, 100_00, AUGUST)
    redeem_at(
        session, child_grant(session, families["a1"], "supermarkt", "2026-06"), buurtsuper, shop,
        10_00, JUNE,
    )  # fmt: skip
    july = dt.datetime(2026, 7, 2, 9, 0, tzinfo=dt.UTC)
    run, _held = runs.prepare(session, period="2026-06", actor=PREPARER, now=july)
    runs.approve(session, run.id, actor=APPROVER, now=july, expected_hash=run.lines_hash)
    expiry.expire(session, period="2026", actor=RUN, today=dt.date(2027, 1, 5))
    session.flush()
    return Year(families, sportclub, buurtsuper)
