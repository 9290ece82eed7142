"""Eligibility at every boundary: ages on the reference date, income limits, the norm key."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from flask import Flask
from flask_babel import Babel
from hypothesis import given
from hypothesis import strategies as st

from almerepas.http.reasons import reason_text
from almerepas.income import rules as eligibility
from almerepas.income.errors import NoNorm
from almerepas.income.rules import Facts, Reason
from almerepas.models import (
    AgeBand,
    Beneficiary,
    Children,
    HouseholdType,
    Period,
    Scheme,
    SchemeKind,
)

DAY = dt.date(2027, 1, 1)


def scheme(**kw: object) -> Scheme:
    defaults: dict[str, object] = dict(
        code="x", name_nl="x", name_en="x", description_nl="", description_en="",
        kind=SchemeKind.budget, beneficiary=Beneficiary.person, max_income_percent=110,
        min_age=4, max_age=17, amount=100, unit="EUR", period=Period.year, pooled=False,
        valid_from=dt.date(2024, 1, 1), valid_to=None,
    )  # fmt: skip
    return Scheme(**(defaults | kw))


@pytest.mark.parametrize(
    ("income", "norm", "limit", "inside"),
    [
        (110_000, 100_000, 110, True),  # exactly 110%: inside
        (110_001, 100_000, 110, False),  # one cent over
        (120_000, 100_000, 120, True),  # exactly 120%: inside
        (120_001, 100_000, 120, False),
        (100_000, 100_000, 100, True),
        (136_906 * 11 // 10, 136_906, 110, True),  # 110% of a real norm, rounded down
        (136_906 * 11 // 10 + 1, 136_906, 110, False),
    ],
)
def test_income_limits_include_the_limit_itself(
    income: int, norm: int, limit: int, inside: bool
) -> None:
    assert eligibility.within_limit(income, norm, limit) is inside
    # The shown percentage never looks inside when the income is not.
    assert (eligibility.percentage_bp(income, norm) <= limit * 100) is inside


@given(st.integers(0, 10**9), st.integers(1, 10**7), st.sampled_from([100, 110, 120, 130]))
def test_percentage_and_limit_always_agree(income: int, norm: int, limit: int) -> None:
    assert eligibility.within_limit(income, norm, limit) == (
        eligibility.percentage_bp(income, norm) <= limit * 100
    )


@pytest.mark.parametrize(
    ("born", "age"),
    [
        (dt.date(2023, 1, 1), 4),  # fourth birthday on the reference date: 4
        (dt.date(2023, 1, 2), 3),  # a day later: still 3
        (dt.date(2009, 1, 1), 18),
        (dt.date(2009, 1, 2), 17),  # turns 18 the day after the reference date: still 17
    ],
)
def test_age_is_counted_on_the_reference_date(born: dt.date, age: int) -> None:
    assert eligibility.age_on(born, DAY) == age


def test_leap_day_birthdays() -> None:
    assert eligibility.age_on(dt.date(2012, 2, 29), dt.date(2030, 2, 28)) == 17
    assert eligibility.age_on(dt.date(2012, 2, 29), dt.date(2030, 3, 1)) == 18


@pytest.mark.parametrize(
    ("born", "ok"),
    [(dt.date(2023, 1, 1), True), (dt.date(2023, 1, 2), False),
     (dt.date(2009, 1, 2), True), (dt.date(2009, 1, 1), False)],
)  # fmt: skip
def test_age_range_is_inclusive_on_both_ends(born: dt.date, ok: bool) -> None:
    facts = Facts(reference_date=DAY, in_almere=True, born=born, net_income=1, norm=100)
    results = {r.rule: r for r in eligibility.check(scheme(), facts)}
    assert results["age"].ok is ok
    assert results["age"].reason.param("age") == eligibility.age_on(born, DAY)


@pytest.fixture
def in_dutch() -> Iterator[None]:
    """A request without a catalogue: the faces' words come out as their Dutch message ids."""
    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        yield


def test_every_failing_rule_says_why_in_plain_words(in_dutch: None) -> None:
    facts = Facts(reference_date=DAY, in_almere=False, born=dt.date(2000, 1, 1),
                  net_income=125_000, norm=100_000)  # fmt: skip
    results = eligibility.check(scheme(max_income_percent=120), facts)
    failing = {r.rule: r.reason for r in results if not r.ok}
    assert set(failing) == {"residence", "income", "age"}
    assert failing["income"] == Reason.of("income_above", bp=125_00, max=120)
    assert reason_text(failing["income"]) == (
        "Het inkomen is 125% van het sociaal minimum. Dat is boven de grens van 120%."
    )
    assert failing["age"] == Reason.of("age_between", low=4, high=17, age=27)
    assert reason_text(failing["age"]) == "Voor 4 tot en met 17 jaar. Deze persoon is 27."
    assert reason_text(failing["residence"]) == "Woont niet (meer) in Almere."
    assert not eligibility.is_eligible(results)


def test_no_assessment_means_no_income_based_scheme() -> None:
    facts = Facts(reference_date=DAY, in_almere=True, born=dt.date(2015, 5, 5))
    results = {r.rule: r for r in eligibility.check(scheme(), facts)}
    assert not results["income"].ok
    assert results["income"].reason == Reason.of("no_assessment")


def test_scheme_validity_dates() -> None:
    facts = Facts(reference_date=DAY, in_almere=True, born=dt.date(2015, 5, 5),
                  net_income=1, norm=100)  # fmt: skip
    ended = scheme(valid_to=dt.date(2026, 12, 31))
    assert not eligibility.is_eligible(eligibility.check(ended, facts))
    assert eligibility.is_eligible(eligibility.check(scheme(), facts))


H, A, C, d = HouseholdType, AgeBand, Children, dt.date


@pytest.mark.parametrize(
    ("adults", "children", "expected"),
    [
        ([d(1990, 6, 1)], 0, (H.single, A.adult, C.any)),
        ([d(1990, 6, 1)], 2, (H.single_parent, A.adult, C.one_or_more)),
        ([d(2007, 6, 1)], 0, (H.single, A.young, C.any)),
        ([d(1990, 6, 1), d(1991, 6, 1)], 1, (H.couple, A.adult, C.any)),
        ([d(2007, 6, 1), d(2007, 8, 1)], 0, (H.couple, A.young, C.none)),
        ([d(2007, 6, 1), d(2007, 8, 1)], 1, (H.couple, A.young, C.one_or_more)),
        ([d(2007, 6, 1), d(1995, 8, 1)], 0, (H.couple_mixed, A.mixed, C.none)),
        ([d(1950, 6, 1), d(1990, 8, 1)], 0, (H.couple, A.pension, C.any)),
        ([d(1950, 6, 1)], 0, (H.single, A.pension, C.any)),
    ],
)
def test_norm_key_follows_the_household(
    adults: list[dt.date], children: int, expected: tuple[object, ...]
) -> None:
    assert eligibility.norm_key(adults, children, DAY) == expected


def test_pension_age_is_data_and_counts_months() -> None:
    # Born 1960: 67 (in 2027); born 1961: 67 years and 3 months (income/state_pension_age.csv).
    assert eligibility.has_pension_age(dt.date(1960, 1, 1), dt.date(2027, 1, 1))
    assert not eligibility.has_pension_age(dt.date(1961, 1, 1), dt.date(2028, 1, 1))
    assert eligibility.has_pension_age(dt.date(1961, 1, 1), dt.date(2028, 4, 1))


def test_an_applicant_under_18_has_no_norm() -> None:
    with pytest.raises(NoNorm):
        eligibility.norm_key([dt.date(2010, 1, 1)], 0, DAY)
