"""Income assessments: recorded on the household's composition, never after it left Almere."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from almerepas.households import members as households
from almerepas.households.errors import HouseholdMovedOut
from almerepas.income import assessments
from almerepas.models import MemberRole
from tests.factories import make_household


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
