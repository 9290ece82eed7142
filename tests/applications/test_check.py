"""The resident's check and the caseworker agree on every boundary household (issue 13).

The table is the boundary table of issue 9 (tests/web/test_boundaries.py): each household is
stored and assessed, and asked on the caseworker's eligibility (``household_eligibility``, the
grant run's own verdict); the same household is described to the anonymous check. Every scheme,
every beneficiary: the same verdict, the same amount, the same reasons.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almerepas.applications.check import Described, born_for_age, check_household
from almerepas.audit.log import Actor
from almerepas.core.db import Base
from almerepas.grants.report import household_eligibility
from almerepas.income import assessments, policy, rules
from almerepas.income.errors import NoNorm
from almerepas.models import MemberRole, Scheme
from tests.factories import make_household
from tests.web.test_boundaries import CASES, STATUTORY_ASSETS, Case, seed_norm

D = dt.date.fromisoformat
A, P, C = MemberRole.applicant, MemberRole.partner, MemberRole.child

Outcome = dict[tuple[str, int | None], tuple[bool, int, tuple[str, ...]]]


def _income(c: Case, scheme: Scheme) -> int:
    """The case's income: its scheme's limit of its norm, plus ``over`` cents (as issue 9)."""
    ref_day = max(
        c.asked.replace(day=1) if scheme.period == "month" else D(f"{c.asked.year}-01-01"),
        scheme.valid_from,
    )
    extra = rules.youth_supplement_on(c.income_on or ref_day) if c.supplement else 0
    limit_norm = seed_norm(c.income_norm or c.norm, c.income_on or ref_day) + extra
    assert scheme.max_income_percent is not None
    return scheme.max_income_percent * limit_norm // 100 + c.over


def test_the_table_is_big_enough() -> None:
    assert len(CASES) >= 30
    assert {c.eligible for c in CASES} == {True, False}


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_the_check_and_the_caseworker_agree(c: Case, reference: Session) -> None:
    scheme = reference.scalars(select(Scheme).where(Scheme.code == c.scheme)).one()
    for key, value in c.settings:
        policy.change_setting(reference, key, value, actor=Actor("test"))
    income = _income(c, scheme)
    assets = None if c.assets_over is None else STATUTORY_ASSETS[c.norm[0]] + c.assets_over

    family = make_household(reference, c.members)
    assessments.record_assessment(
        reference, family, net_income=income, assessed_on=D("2026-01-01"), assessed_by="test",
        youth_supplement=c.supplement, assets=assets,
    )  # fmt: skip
    index = {pid: n for n, pid in enumerate(sorted(m.person_id for m in family.memberships))}
    caseworker: Outcome = {
        (row["scheme"], None if row["person_id"] is None else index[row["person_id"]]): (
            row["eligible"],
            row["amount"],
            tuple(r["reason"].code for r in row["rules"] if not r["ok"]),
        )
        for row in household_eligibility(reference, family, c.asked)
    }

    described = [Described(role, born) for role, born in c.members]
    answers = check_household(
        reference, described, income, c.asked, assets=assets, youth_supplement=c.supplement
    )
    check: Outcome = {
        (a.scheme.code, v.member): (v.eligible, v.amount, tuple(r.code for r in v.reasons))
        for a in answers
        for v in a.verdicts
    }
    assert check == caseworker
    # and the case's own answer, so the agreement is not an agreement on nothing
    beneficiary = c.beneficiary
    assert check[(c.scheme, beneficiary)][0] is c.eligible


def _all_rows(session: Session) -> dict[str, int]:
    return {
        table.name: session.scalar(select(func.count()).select_from(table)) or 0
        for table in Base.metadata.sorted_tables
    }


def test_the_check_writes_nothing_and_adds_up_a_year(reference: Session) -> None:
    day = D("2026-03-02")
    before = _all_rows(reference)
    household = [
        Described(A, born_for_age(40, day)),
        Described(C, born_for_age(11, day)),
        Described(C, born_for_age(15, day)),
    ]
    answers = {a.scheme.code: a for a in check_household(reference, household, 100_00, day)}
    assert _all_rows(reference) == before
    # two children of the Stadsfonds's age, each € 800 a year
    assert answers["stadsfonds"].eligible
    assert answers["stadsfonds"].per_year == 2 * 80_000
    # the social supermarket: € 50 of discount a month for the household, 12 months
    assert answers["supermarkt"].per_year == 12 * 5_000
    # period products from 10: the parent and both children, 3 packs a month each
    assert answers["menstruatie"].per_year == 3 * 3 * 12
    # free travel: a right, nothing to count, but a yes
    assert answers["ov"].eligible and answers["ov"].per_year == 0


def test_why_not_names_the_limit(reference: Session) -> None:
    day = D("2026-03-02")
    answers = {
        a.scheme.code: a
        for a in check_household(reference, [Described(A, born_for_age(40, day))], 10**7, day)
    }
    assert not answers["ov"].eligible
    assert [r.code for r in answers["ov"].why_not] == ["income_above"]
    assert {r.code for r in answers["stadsfonds"].why_not} == {"income_above", "age_between"}


def test_no_adult_has_no_norm(reference: Session) -> None:
    day = D("2026-03-02")
    with pytest.raises(NoNorm):
        check_household(reference, [Described(A, born_for_age(15, day))], 0, day)


@pytest.mark.parametrize(
    ("age", "today", "born"),
    [
        (18, D("2026-03-02"), D("2007-03-03")),
        (0, D("2026-03-02"), D("2025-03-03")),
        (67, D("2028-02-29"), D("1960-03-01")),
    ],
)
def test_an_age_is_the_oldest_birth_date_with_it(age: int, today: dt.date, born: Any) -> None:
    assert born_for_age(age, today) == born
    assert rules.age_on(born, today) == age
    assert rules.age_on(born - dt.timedelta(days=1), today) == age + 1
