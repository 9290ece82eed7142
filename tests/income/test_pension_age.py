"""The state pension (AOW) age is fixed per birth cohort (AOW art. 7a): a person's pension date
follows from their birth date alone, and once reached it is never lost."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from almerepas.income import rules as eligibility
from almerepas.income.errors import NoNorm
from almerepas.income.models import AgeBand, Children, HouseholdType

d = dt.date
ONE_DAY = dt.timedelta(days=1)

# Born on the last day of a cohort and on the first day of the next, with the day each reaches
# pension age: 67 for those who reach it in 2024-2027, 67 years and 3 months in 2028 and 2029
# (rijksoverheid.nl, "Wanneer gaat mijn AOW in?").
BOUNDARIES = [
    (d(1957, 3, 1), d(2024, 3, 1)),  # first of the 2024 cohort
    (d(1957, 12, 31), d(2024, 12, 31)),
    (d(1958, 1, 1), d(2025, 1, 1)),
    (d(1958, 12, 31), d(2025, 12, 31)),
    (d(1959, 1, 1), d(2026, 1, 1)),
    (d(1959, 12, 31), d(2026, 12, 31)),
    (d(1960, 1, 1), d(2027, 1, 1)),
    (d(1960, 12, 31), d(2027, 12, 31)),  # last to reach 67 without the extra 3 months
    (d(1961, 1, 1), d(2028, 4, 1)),  # first at 67 years and 3 months
    (d(1961, 9, 30), d(2028, 12, 30)),
    (d(1961, 10, 1), d(2029, 1, 1)),
    (d(1962, 9, 30), d(2029, 12, 30)),  # last cohort the law has fixed
]


@pytest.mark.parametrize(("born", "pension_day"), BOUNDARIES)
def test_pension_age_is_reached_on_the_cohort_date(born: dt.date, pension_day: dt.date) -> None:
    assert eligibility.pension_date(born) == pension_day
    assert not eligibility.has_pension_age(born, pension_day - ONE_DAY)
    assert eligibility.has_pension_age(born, pension_day)


def test_born_late_1960_stays_at_pension_age_in_2028() -> None:
    # Reached 67 on 2027-11-15 under the 2027 rule; the 67y3m of 2028 is for later cohorts.
    born = d(1960, 11, 15)
    assert not eligibility.has_pension_age(born, d(2027, 11, 14))
    assert eligibility.has_pension_age(born, d(2027, 11, 15))
    assert eligibility.has_pension_age(born, d(2028, 1, 1))
    assert eligibility.has_pension_age(born, d(2028, 2, 14))
    single = (HouseholdType.single, AgeBand.pension, Children.any)
    assert eligibility.norm_key([born], 0, d(2028, 1, 1)) == single
    couple = (HouseholdType.couple, AgeBand.pension, Children.any)
    assert eligibility.norm_key([born, d(1990, 1, 1)], 0, d(2028, 1, 1)) == couple


def _near_boundaries() -> list[dt.date]:
    births = {b + k * ONE_DAY for b, _ in BOUNDARIES for k in (-2, -1, 0, 1, 2)}
    births |= {d(1960, m, 15) for m in range(9, 13)}
    return sorted(births)


@pytest.mark.parametrize("born", _near_boundaries())
def test_being_at_pension_age_never_flips_back(born: dt.date) -> None:
    day, seen, flips = d(2024, 1, 1), False, 0
    while day <= d(2029, 12, 31):
        now = eligibility.has_pension_age(born, day)
        assert now or not seen, f"born {born}: below pension age again on {day}"
        flips += now != seen
        seen = now
        day += ONE_DAY
    assert flips <= 1


def test_born_before_the_table_has_pension_age_from_2024() -> None:
    # Born before 1957-03-01: reached a lower pension age in 2023 or earlier.
    assert eligibility.has_pension_age(d(1957, 2, 28), d(2024, 1, 1))
    assert eligibility.has_pension_age(d(1950, 6, 1), d(2024, 1, 1))
    with pytest.raises(NoNorm):
        eligibility.has_pension_age(d(1957, 2, 28), d(2023, 12, 31))


def test_born_after_the_table_is_not_guessed() -> None:
    # The law fixes the pension age five years ahead; it is at least 67 years and 3 months.
    born = d(1962, 10, 1)
    assert not eligibility.has_pension_age(born, d(2029, 12, 31))
    with pytest.raises(NoNorm):
        eligibility.has_pension_age(born, d(2030, 1, 1))
    assert not eligibility.has_pension_age(d(1990, 1, 1), d(2029, 12, 31))


def test_every_cohort_in_the_table_reaches_pension_age_in_its_year() -> None:
    cohorts = eligibility.pension_cohorts()
    for before, after in itertools.pairwise(cohorts):
        assert after.born_from == before.born_to + ONE_DAY
    for cohort in cohorts:
        assert cohort.source.startswith("https://")
        assert eligibility.pension_date(cohort.born_from).year == cohort.year
        assert eligibility.pension_date(cohort.born_to).year == cohort.year
