"""Who is on the outreach list: unused budgets after the configured weeks, ending passes; not
a right, not a used budget, not a household that moved away, not someone already reminded."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from almerepas.grants import runs as grants
from almerepas.households.members import move_out_of_almere
from almerepas.income.assessments import assessment_on
from almerepas.outreach import listing
from almerepas.outreach.models import Reason
from almerepas.redemptions import ledger as redemptions
from almerepas.schemes import catalogue
from tests.factories import TEST_ACTOR
from tests.fixtures import FrozenClock
from tests.outreach.support import (
    MARCH,
    family,
    grant_budgets,
    on,
    redeem,
    stadsfonds_id,
)


def test_unused_budgets_after_eight_weeks_by_household(
    reference: Session, frozen_clock: FrozenClock
) -> None:
    db = reference
    unused, used, reversed_, moved = (family(db, n) for n in ("Anna", "Bram", "Cem", "Dirk"))
    grant_budgets(db)
    on(frozen_clock, dt.date(2026, 2, 10))
    redeem(db, used)
    redemptions.reverse(db, redeem(db, reversed_), 25_00, actor=TEST_ACTOR, now=frozen_clock.now())
    move_out_of_almere(db, moved, day=dt.date(2026, 2, 1))
    db.flush()
    scheme = stadsfonds_id(db)

    assert listing.outreach_list(db, dt.date(2026, 2, 25), weeks=8) == []  # week 8 not over yet
    found = listing.outreach_list(db, MARCH, weeks=8)
    assert [(c.household_id, c.reason, c.period) for c in found] == [
        (unused.id, Reason.unused, "2026"),
        (reversed_.id, Reason.unused, "2026"),  # given back in full: not used
    ]
    first = found[0]
    assert first.key == f"unused:household:{unused.id}:scheme:{scheme}:2026"
    assert first.person_ids == (unused.memberships[1].person.id,)  # the child, not the parent
    assert first.until == dt.date(2026, 12, 31)
    assert [c.household_id for c in listing.outreach_list(db, MARCH, weeks=10)] == []


def test_a_right_is_never_listed_but_a_monthly_quota_is(
    reference: Session, frozen_clock: FrozenClock
) -> None:
    db = reference
    household = family(db, "Eva")
    grants.issue(
        db, period="2026-03", actor=TEST_ACTOR, today=dt.date(2026, 3, 1),
        schemes=["ov", "menstruatie"],
    )  # fmt: skip
    found = listing.outreach_list(db, MARCH, weeks=0)
    codes = {c.key.split(":")[4] for c in found if c.household_id == household.id}
    assert codes == {str(catalogue.get_scheme(db, "menstruatie").id)}


def test_a_household_whose_pass_ends_soon_is_listed_once_per_assessment(
    reference: Session,
) -> None:
    db = reference
    household = family(db, "Fleur")
    assessment = assessment_on(db, household.id, dt.date(2026, 1, 1))
    assert assessment is not None
    day = assessment.valid_to - dt.timedelta(days=20)
    found = [c for c in listing.outreach_list(db, day, weeks=8) if c.reason == Reason.expiring]
    assert [(c.household_id, c.key, c.until) for c in found] == [
        (household.id, f"expiring:assessment:{assessment.id}", assessment.valid_to)
    ]
    early = assessment.valid_to - dt.timedelta(weeks=9)
    assert [
        c for c in listing.outreach_list(db, early, weeks=8) if c.reason == Reason.expiring
    ] == []
