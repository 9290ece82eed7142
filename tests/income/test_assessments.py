"""Income assessments: recorded on the household's composition, never after it left Almere."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almerepas.households import members as households
from almerepas.households.errors import HouseholdMovedOut
from almerepas.income import assessments
from almerepas.income.errors import MemberNotYetBorn
from almerepas.models import HouseholdType, IncomeAssessment, MemberRole, Membership
from tests.factories import KEYS, make_household


@pytest.mark.parametrize(
    ("assessed_on", "valid_from"),
    [(dt.date(2026, 7, 1), None), (dt.date(2026, 6, 1), dt.date(2026, 7, 1))],
)
def test_no_assessment_starts_after_the_household_moved_out(
    reference: Session, assessed_on: dt.date, valid_from: dt.date | None
) -> None:
    household = make_household(reference, [(MemberRole.applicant, dt.date(1990, 1, 1))])
    households.move_out_of_almere(reference, household, day=dt.date(2026, 6, 30))
    with pytest.raises(HouseholdMovedOut):
        assessments.record_assessment(
            reference, household, net_income=100000, assessed_on=assessed_on,
            valid_from=valid_from, assessed_by="test",
        )  # fmt: skip
    recorded = assessments.record_assessment(
        reference, household, net_income=100000, assessed_on=dt.date(2026, 6, 30),
        assessed_by="test",
    )  # fmt: skip
    assert recorded.valid_from == dt.date(2026, 6, 30)


def test_a_member_born_after_the_assessment_date_is_refused_and_nothing_is_written(
    reference: Session,
) -> None:
    """A membership from before the birth (possible before moved_in_before_birth) counted the
    unborn child: the assessment got the single-parent norm. Refused now, at the date."""
    household = make_household(reference, [(MemberRole.applicant, dt.date(1990, 1, 1))])
    unborn = households.create_person(
        reference, given_name="Noor", family_name="Test", date_of_birth=dt.date(2026, 5, 1),
        keys=KEYS, today=dt.date(2026, 6, 1),
    )  # fmt: skip
    reference.add(  # as an old row: add_member refuses it now
        Membership(household=household, person=unborn, role=MemberRole.child,
                   valid_from=dt.date(2026, 1, 1))
    )  # fmt: skip
    reference.flush()
    with pytest.raises(MemberNotYetBorn) as refused:
        assessments.record_assessment(
            reference, household, net_income=100000, assessed_on=dt.date(2026, 3, 1),
            assessed_by="test",
        )  # fmt: skip
    assert refused.value.extensions["errors"][0]["field"] == "assessed_on"
    assert reference.scalar(select(func.count()).select_from(IncomeAssessment)) == 0

    after = assessments.record_assessment(
        reference, household, net_income=100000, assessed_on=dt.date(2026, 5, 1),
        assessed_by="test",
    )  # fmt: skip
    assert after.household_type == HouseholdType.single_parent
