"""Boundary households through every door (issue 9, acceptance).

Each case is one household at a boundary: an income exactly at a scheme's limit (inside: the
limits are whole percentages and "exactly 110 % is inside") and one cent over it, under the
January and the July 2026 norm; a birthday on the reference day and the day after; a state
pension (AOW) cohort boundary; a young single parent with and without the youth supplement;
a lodger and a child of 18 under each setting; an asset limit. The rules, the eligibility API,
the caseworker eligibility page and the grant run must all give the answer the case states.

Amounts are not typed in: they come from the seed norm tables (``norms_2026.csv``, read by key
and date) and each scheme's ``max_income_percent`` in ``schemes.json``.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.audit.log import Actor
from almerepas.grants import runs as grants
from almerepas.grants.planning import plan
from almerepas.income import assessments, policy, rules
from almerepas.models import Grant, MemberRole, Role, Scheme
from almerepas.reference.loaders import SEED_DIR
from almerepas.schemes import periods
from almerepas.schemes.periods import add_months
from tests.factories import born, make_household, make_staff, seed_scheme, token_headers
from tests.web.conftest import page

D = dt.date.fromisoformat
A, P, C, OTHER = MemberRole.applicant, MemberRole.partner, MemberRole.child, MemberRole.other
HOUSEHOLD = None  #: the beneficiary of a household scheme
ADULT = born(40)

#: norm keys as the seed table writes them: household type, age band, children
SINGLE = ("single", "21-pension", "any")
SINGLE_YOUNG = ("single", "18-20", "any")
SINGLE_PENSION = ("single", "pension", "any")
PARENT = ("single_parent", "21-pension", "one_or_more")
PARENT_YOUNG = ("single_parent", "18-20", "one_or_more")
COUPLE = ("couple", "21-pension", "any")
COUPLE_PENSION = ("couple", "pension", "any")
COUPLE_YOUNG = ("couple", "18-20", "none")
COUPLE_YOUNG_KIDS = ("couple", "18-20", "one_or_more")
COUPLE_MIXED = ("couple_mixed", "18-20+21-pension", "none")

Key = tuple[str, str, str]


@functools.cache
def _norm_rows() -> tuple[dict[str, str], ...]:
    with (SEED_DIR / "norms_2026.csv").open(encoding="utf-8") as f:
        return tuple(csv.DictReader(f))


def seed_norm(key: Key, day: dt.date) -> int:
    """The monthly norm in cents for ``key`` on ``day``, from the seed's 2026 table."""
    (row,) = [
        r
        for r in _norm_rows()
        if (r["household_type"], r["age_band"], r["children"]) == key
        and D(r["valid_from"]) <= day <= D(r["valid_to"])
    ]
    return int(row["norm_cents"])


@dataclass(frozen=True)
class Case:
    id: str
    scheme: str
    members: list[tuple[MemberRole, dt.date]]
    asked: dt.date  #: the day asked on the page and the API; the run is for its period
    norm: Key  #: the norm the household has on the reference day
    over: int  #: cents above the limit: 0 is exactly at it (the largest income inside)
    eligible: bool
    beneficiary: int | None = 0  #: index into members; None for a household scheme
    #: the income is set against this norm (default: ``norm``) on this day (default: the
    #: reference day), to show which norm the answer rests on
    income_norm: Key | None = None
    income_on: dt.date | None = None
    #: the assessment grants the youth supplement (art. 20(3)), measured against norm + it
    supplement: bool = False
    #: policy settings changed before the case (income/policy.py)
    settings: tuple[tuple[str, Any], ...] = ()
    #: "lodger" or "adult_child" when the settings send the beneficiary to an own assessment
    outside: str | None = None
    #: with an asset limit: the assets are the household's limit plus this many cents
    assets_over: int | None = None


#: the 2026 limits of art. 34 (../shared/data/SOURCES.md), in cents
STATUTORY_ASSETS = {"single": 800_000, "single_parent": 1_600_000, "couple": 1_600_000}
MAR, JAN, SEP, JUN = D("2026-03-15"), D("2026-01-15"), D("2026-09-15"), D("2026-06-15")
ALONE = [(A, ADULT)]
PARENT_OF_11 = [(A, ADULT), (C, D("2014-06-01"))]
COUPLE_2_KIDS = [(A, ADULT), (P, ADULT), (C, D("2015-05-05")), (C, D("2019-09-09"))]
YOUNG_PARENT = [(A, D("2007-02-01")), (C, D("2025-01-01"))]  # 18-19 with a baby
LODGER = [(A, ADULT), (OTHER, born(30))]
YOUNG_COUPLE = [(A, born(19)), (P, born(19))]
YOUNG_COUPLE_CHILD = [(A, born(19)), (P, born(20)), (C, born(1))]
MIXED_COUPLE = [(A, born(19)), (P, born(30))]

# fmt: off
CASES = [
    # -- the income limit under the January and the July norm: a single adult ---------------
    Case("ov-jan-norm-at", "ov", ALONE, MAR, SINGLE, 0, True),
    Case("ov-jan-norm-over", "ov", ALONE, MAR, SINGLE, 1, False),
    Case("ov-jul-norm-at", "ov", ALONE, SEP, SINGLE, 0, True),
    Case("ov-jul-norm-over", "ov", ALONE, SEP, SINGLE, 1, False),
    # one cent over the January limit is inside the July one: September judges on July's norm
    Case("ov-sep-over-jan-limit", "ov", ALONE, SEP, SINGLE, 1, True, income_on=MAR),
    Case("supermarkt-jan-norm-at", "supermarkt", ALONE, MAR, SINGLE, 0, True, HOUSEHOLD),
    Case("supermarkt-jan-norm-over", "supermarkt", ALONE, MAR, SINGLE, 1, False, HOUSEHOLD),
    Case("supermarkt-jul-norm-at", "supermarkt", ALONE, SEP, SINGLE, 0, True, HOUSEHOLD),
    Case("supermarkt-jul-norm-over", "supermarkt", ALONE, SEP, SINGLE, 1, False, HOUSEHOLD),
    Case("volwassenenfonds-at", "volwassenenfonds", ALONE, JUN, SINGLE, 0, True),
    Case("volwassenenfonds-over", "volwassenenfonds", ALONE, JUN, SINGLE, 1, False),
    # -- a single parent: the children's funds ----------------------------------------------
    Case("stadsfonds-parent-at", "stadsfonds", PARENT_OF_11, JUN, PARENT, 0, True, 1),
    Case("stadsfonds-parent-over", "stadsfonds", PARENT_OF_11, JUN, PARENT, 1, False, 1),
    Case("menstruatie-jan-norm-at", "menstruatie", PARENT_OF_11, MAR, PARENT, 0, True, 1),
    Case("menstruatie-jan-norm-over", "menstruatie", PARENT_OF_11, MAR, PARENT, 1, False, 1),
    Case("menstruatie-jul-norm-at", "menstruatie", PARENT_OF_11, SEP, PARENT, 0, True, 1),
    Case("menstruatie-jul-norm-over", "menstruatie", PARENT_OF_11, SEP, PARENT, 1, False, 1),
    # -- couples ------------------------------------------------------------------------------
    Case("stadsfonds-couple-at", "stadsfonds", COUPLE_2_KIDS, JUN, COUPLE, 0, True, 3),
    Case("stadsfonds-couple-over", "stadsfonds", COUPLE_2_KIDS, JUN, COUPLE, 1, False, 3),
    Case("supermarkt-couple-jul-at", "supermarkt", COUPLE_2_KIDS, SEP, COUPLE, 0, True,
         HOUSEHOLD),
    Case("supermarkt-couple-jul-over", "supermarkt", COUPLE_2_KIDS, SEP, COUPLE, 1, False,
         HOUSEHOLD),
    Case("ov-young-couple-at", "ov", YOUNG_COUPLE, MAR, COUPLE_YOUNG, 0, True),
    Case("ov-young-couple-over", "ov", YOUNG_COUPLE, MAR, COUPLE_YOUNG, 1, False),
    Case("supermarkt-young-couple-child-at", "supermarkt", YOUNG_COUPLE_CHILD, MAR,
         COUPLE_YOUNG_KIDS, 0, True, HOUSEHOLD),
    Case("supermarkt-young-couple-child-over", "supermarkt", YOUNG_COUPLE_CHILD, MAR,
         COUPLE_YOUNG_KIDS, 1, False, HOUSEHOLD),
    Case("ov-mixed-couple-jul-at", "ov", MIXED_COUPLE, SEP, COUPLE_MIXED, 0, True),
    Case("ov-mixed-couple-jul-over", "ov", MIXED_COUPLE, SEP, COUPLE_MIXED, 1, False),
    # -- birthdays on the reference day and the day after --------------------------------------
    # the adult fund starts on 1 March 2026 and judges age on that day; an 18-year-old is no
    # longer a minor child, so the parent is then a single person (the same amount); the child
    # of 18 needs an assessment of their own, unless the gemeente counts adult children in
    Case("volwassenenfonds-18-on-ref-day", "volwassenenfonds",
         [(A, ADULT), (C, D("2008-03-01"))], JUN, SINGLE, 0, False, 1, outside="adult_child"),
    Case("volwassenenfonds-18-on-ref-day-counted-in", "volwassenenfonds",
         [(A, ADULT), (C, D("2008-03-01"))], JUN, SINGLE, 0, True, 1,
         settings=(("adult_children", "household"),)),
    Case("volwassenenfonds-18-on-ref-day-counted-in-over", "volwassenenfonds",
         [(A, ADULT), (C, D("2008-03-01"))], JUN, SINGLE, 1, False, 1,
         settings=(("adult_children", "household"),)),
    Case("volwassenenfonds-18-day-after", "volwassenenfonds",
         [(A, ADULT), (C, D("2008-03-02"))], JUN, PARENT, 0, False, 1),
    # the children's funds count a birthday on any day of the period
    Case("stadsfonds-18-on-ref-day", "stadsfonds",
         [(A, ADULT), (C, D("2008-01-01"))], JUN, SINGLE, 0, False, 1, outside="adult_child"),
    Case("stadsfonds-18-day-after", "stadsfonds",
         [(A, ADULT), (C, D("2008-01-02"))], JUN, PARENT, 0, True, 1),
    Case("stadsfonds-4-on-ref-day", "stadsfonds",
         [(A, ADULT), (C, D("2022-01-01"))], JUN, PARENT, 0, True, 1),
    Case("stadsfonds-4-on-last-day", "stadsfonds",
         [(A, ADULT), (C, D("2022-12-31"))], JUN, PARENT, 0, True, 1),
    Case("stadsfonds-4-day-after-period", "stadsfonds",
         [(A, ADULT), (C, D("2023-01-01"))], JUN, PARENT, 0, False, 1),
    Case("menstruatie-10-on-ref-day", "menstruatie",
         [(A, ADULT), (C, D("2016-03-01"))], MAR, PARENT, 0, True, 1),
    Case("menstruatie-10-day-after", "menstruatie",
         [(A, ADULT), (C, D("2016-03-02"))], MAR, PARENT, 0, True, 1),
    Case("menstruatie-10-on-last-day", "menstruatie",
         [(A, ADULT), (C, D("2016-03-31"))], MAR, PARENT, 0, True, 1),
    Case("menstruatie-10-day-after-period", "menstruatie",
         [(A, ADULT), (C, D("2016-04-01"))], MAR, PARENT, 0, False, 1),
    # turning 21 on the reference day moves a single person to the adult norm
    Case("ov-21-on-ref-day", "ov", [(A, D("2005-03-01"))], MAR, SINGLE, 0, True),
    Case("ov-21-day-after", "ov", [(A, D("2005-03-02"))], MAR, SINGLE_YOUNG, 0, False,
         income_norm=SINGLE),
    # -- state pension (AOW) age: the pension norm from the day it is reached ------------------
    Case("ov-aow-on-ref-day", "ov", [(A, D("1959-03-01"))], MAR, SINGLE_PENSION, 0, True),
    Case("ov-aow-on-ref-day-over", "ov", [(A, D("1959-03-01"))], MAR, SINGLE_PENSION, 1, False),
    Case("ov-aow-day-after", "ov", [(A, D("1959-03-02"))], MAR, SINGLE, 0, False,
         income_norm=SINGLE_PENSION),
    # the cohort of 1958 reached 67 in 2025, that of 1959 in 2026 (state_pension_age.csv)
    Case("ov-aow-cohort-1958-last-day", "ov", [(A, D("1958-12-31"))], JAN, SINGLE_PENSION, 0,
         True),
    Case("ov-aow-cohort-1959-first-day", "ov", [(A, D("1959-01-01"))], JAN, SINGLE_PENSION, 0,
         True),
    Case("ov-aow-cohort-1959-second-day", "ov", [(A, D("1959-01-02"))], JAN, SINGLE, 0, False,
         income_norm=SINGLE_PENSION),
    Case("ov-aow-jul-norm-on-ref-day", "ov", [(A, D("1959-09-01"))], SEP, SINGLE_PENSION, 0,
         True),
    Case("ov-aow-jul-norm-day-after", "ov", [(A, D("1959-09-02"))], SEP, SINGLE, 0, False,
         income_norm=SINGLE_PENSION),
    Case("ov-couple-partner-aow-on-ref-day", "ov",
         [(A, born(60)), (P, D("1959-03-01"))], MAR, COUPLE_PENSION, 0, True),
    Case("ov-couple-partner-aow-day-after", "ov",
         [(A, born(60)), (P, D("1959-03-02"))], MAR, COUPLE, 0, False,
         income_norm=COUPLE_PENSION),
    # -- a young single parent: the youth norm, plus the supplement of art. 20(3) when her
    #    parents cannot support her; without it the same income is above the limit
    Case("supermarkt-young-parent-at", "supermarkt", YOUNG_PARENT, MAR,
         PARENT_YOUNG, 0, True, HOUSEHOLD),
    Case("supermarkt-young-parent-over", "supermarkt", YOUNG_PARENT, MAR,
         PARENT_YOUNG, 1, False, HOUSEHOLD),
    Case("supermarkt-young-parent-supplement-at", "supermarkt", YOUNG_PARENT, MAR,
         PARENT_YOUNG, 0, True, HOUSEHOLD, supplement=True),
    Case("supermarkt-young-parent-supplement-over", "supermarkt", YOUNG_PARENT, MAR,
         PARENT_YOUNG, 1, False, HOUSEHOLD, supplement=True),
    Case("ov-young-parent-supplement-jul-at", "ov", YOUNG_PARENT, SEP, PARENT_YOUNG, 0,
         True, supplement=True),
    Case("ov-young-parent-supplement-jul-over", "ov", YOUNG_PARENT, SEP, PARENT_YOUNG, 1,
         False, supplement=True),
    # a gemeente that does not use the youth norm measures her against the adult one
    Case("ov-young-parent-adult-norm-at", "ov", YOUNG_PARENT, MAR, PARENT, 0, True,
         settings=(("youth_norm", "adult"),)),
    Case("ov-young-parent-adult-norm-over", "ov", YOUNG_PARENT, MAR, PARENT, 1, False,
         settings=(("youth_norm", "adult"),)),
    # the band changes on the 21st birthday, not at the next assessment: assessed in January
    # at 20, judged in July at 21 against the adult norm
    Case("ov-turns-21-after-assessment", "ov", [(A, D("2005-04-10"))], SEP, SINGLE, 0, True),
    Case("ov-turns-21-after-assessment-over", "ov", [(A, D("2005-04-10"))], SEP, SINGLE, 1,
         False),
    # -- a lodger (role other) does not change the norm; by default he needs an assessment of
    #    his own for a person scheme; a gemeente may count him in
    Case("supermarkt-lodger-at", "supermarkt", LODGER, MAR, SINGLE, 0, True, HOUSEHOLD),
    Case("supermarkt-lodger-over", "supermarkt", LODGER, MAR, SINGLE, 1, False, HOUSEHOLD),
    Case("ov-for-the-lodger-own-assessment", "ov", LODGER, SEP, SINGLE, 0, False, 1,
         outside="lodger"),
    Case("ov-for-the-applicant-with-a-lodger", "ov", LODGER, SEP, SINGLE, 0, True, 0),
    Case("ov-for-the-lodger-counted-in-at", "ov", LODGER, SEP, SINGLE, 0, True, 1,
         settings=(("lodgers", "household"),)),
    Case("ov-for-the-lodger-counted-in-over", "ov", LODGER, SEP, SINGLE, 1, False, 1,
         settings=(("lodgers", "household"),)),
    # -- an asset limit: exactly at it is inside, one cent over is out --------------------------
    Case("ov-assets-at-limit", "ov", ALONE, MAR, SINGLE, 0, True, assets_over=0,
         settings=(("asset_limit", STATUTORY_ASSETS),)),
    Case("ov-assets-over-limit", "ov", ALONE, MAR, SINGLE, 0, False, assets_over=1,
         settings=(("asset_limit", STATUTORY_ASSETS),)),
    Case("supermarkt-couple-assets-at-limit", "supermarkt", COUPLE_2_KIDS, SEP, COUPLE, 0, True,
         HOUSEHOLD, assets_over=0, settings=(("asset_limit", STATUTORY_ASSETS),)),
    Case("supermarkt-couple-assets-over-limit", "supermarkt", COUPLE_2_KIDS, SEP, COUPLE, 0,
         False, HOUSEHOLD, assets_over=1, settings=(("asset_limit", STATUTORY_ASSETS),)),
]
# fmt: on


def _period(scheme: Scheme, asked: dt.date) -> tuple[str, dt.date, dt.date]:
    """The run's period for the day asked, and its reference day (the later of the period's
    first day and the scheme's start) and last day."""
    if scheme.period == "month":
        start = asked.replace(day=1)
        return f"{asked:%Y-%m}", start, add_months(start, 1) - dt.timedelta(days=1)
    start = dt.date(asked.year, 1, 1)
    return str(asked.year), max(start, scheme.valid_from), dt.date(asked.year, 12, 31)


def _on_page(html: str, code: str, who: str) -> bool:
    table = html[html.index(f'id="regeling-{code}"') :]
    table = table[: table.index("</table>")]
    row = table[table.index(who) :]
    return "verdict-yes" in row[: row.index("</tr>")]


def test_the_table_covers_enough_boundaries() -> None:
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)
    assert {c.eligible for c in CASES} == {True, False}


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_rules_api_page_and_run_agree(
    c: Case, caseworker: FlaskClient, app: Flask, reference: Session
) -> None:
    scheme = reference.scalars(select(Scheme).where(Scheme.code == c.scheme)).one()
    limit = scheme.max_income_percent
    assert limit is not None
    assert limit == seed_scheme(c.scheme)["max_income_percent"]
    period, ref_day, period_end = _period(scheme, c.asked)
    for key, value in c.settings:
        policy.change_setting(reference, key, value, actor=Actor("test"))
    extra = rules.youth_supplement_on(c.income_on or ref_day) if c.supplement else 0
    limit_norm = seed_norm(c.income_norm or c.norm, c.income_on or ref_day) + extra
    income = limit * limit_norm // 100 + c.over
    assert rules.within_limit(income - c.over, limit_norm, limit)
    assert not rules.within_limit(income - c.over + 1, limit_norm, limit)
    asset_limit = STATUTORY_ASSETS[c.norm[0]] if c.assets_over is not None else None
    assets = None if asset_limit is None else asset_limit + (c.assets_over or 0)

    family = make_household(reference, c.members)
    assessments.record_assessment(
        reference, family, net_income=income, assessed_on=D("2026-01-01"), assessed_by="test",
        youth_supplement=c.supplement, assets=assets,
    )  # fmt: skip
    person = (
        None
        if c.beneficiary is None
        else sorted(m.person_id for m in family.memberships)[c.beneficiary]
    )
    who = "Het hele huishouden" if c.beneficiary is None else f"Lid{c.beneficiary} Test"

    facts = rules.Facts(
        reference_date=ref_day, in_almere=True,
        born=None if c.beneficiary is None else c.members[c.beneficiary][1],
        net_income=income, norm=seed_norm(c.norm, ref_day) + extra, period_end=period_end,
        outside_family=c.outside, assets=assets, asset_limit=asset_limit,
    )  # fmt: skip
    assert rules.is_eligible(rules.check(scheme, facts)) is c.eligible, "rules"
    # ... and these are the facts the run gathers: its reference day and the norm of the case
    span = periods.span_for(scheme.period, periods.parse(period))
    (planned,) = [
        p for p in plan(reference, scheme, span, household_id=family.id) if p.person_id == person
    ]
    (income_rule,) = [r for r in planned.results if r.rule == "income"]
    assert planned.reference_date == ref_day
    if c.outside is None:
        assert income_rule.reason.param("bp") == rules.percentage_bp(income, facts.norm or 0)
    else:
        assert income_rule.reason == rules.Reason.of("own_assessment_needed", who=c.outside)

    user, _, _ = make_staff(reference, Role.caseworker, app=app)
    found = app.test_client().get(
        f"/api/v1/households/{family.id}/eligibility?date={c.asked.isoformat()}",
        headers=token_headers(reference, user),
    )
    assert found.status_code == 200, found.get_json()
    (item,) = [
        i for i in found.get_json()["items"] if i["scheme"] == c.scheme and i["person_id"] == person
    ]
    assert item["eligible"] is c.eligible, ("API", item["rules"])

    html = page(
        caseworker.get(f"/medewerkers/huishoudens/{family.id}/regelingen?datum={c.asked:%d-%m-%Y}")
    )
    assert _on_page(html, c.scheme, who) is c.eligible, "page"

    grants.issue(
        reference, period=period, actor=Actor("test"), today=dt.date(2026, 12, 31),
        schemes=[c.scheme],
    )  # fmt: skip
    granted = reference.scalars(
        select(Grant).where(Grant.scheme_id == scheme.id, Grant.period == period)
    ).all()
    mine = [
        g for g in granted if (g.person_id == person if person else g.household_id == family.id)
    ]
    assert bool(mine) is c.eligible, "grant run"
