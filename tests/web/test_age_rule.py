"""One age rule, everywhere (issue 9, item 4).

A scheme says how age is judged (``age_rule``): on the reference day (the first day of the
period, or the day someone arrives) or on any day of the period. The rules, the eligibility API,
the eligibility page and the grant run must give the same answer on every boundary case: a page
that promises a budget the run then refuses (or the other way round) misleads a family.
"""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.audit.log import Actor
from almerepas.grants import runs as grants
from almerepas.income import rules
from almerepas.models import Grant, MemberRole, Role, Scheme
from almerepas.reference.loaders import seed_schemes
from almerepas.schemes import catalogue as schemes
from tests.factories import (
    TEST_ACTOR,
    assess,
    born,
    make_household,
    make_staff,
    seed_scheme,
    token_headers,
)
from tests.web.conftest import page

YEAR_START, YEAR_END = dt.date(2026, 1, 1), dt.date(2026, 12, 31)
NAME = "Leeftijdsproef"
D = dt.date.fromisoformat

CASES = [
    # age_rule, child's birth date, the day asked on the page and API, eligible for 2026
    ("reference_day", D("2022-01-01"), D("2026-06-15"), True),  # turns 4 on the reference day
    ("reference_day", D("2022-01-02"), D("2026-06-15"), False),  # turns 4 the day after
    ("reference_day", D("2022-03-15"), D("2026-06-15"), False),  # turns 4 in March
    ("reference_day", D("2008-06-15"), D("2026-09-01"), True),  # turns 18 mid-year: keeps it
    ("reference_day", D("2008-01-01"), D("2026-03-01"), False),  # 18 on the reference day
    ("any_day", D("2022-01-01"), D("2026-06-15"), True),  # turns 4 on the reference day
    ("any_day", D("2022-01-02"), D("2026-01-01"), True),  # turns 4 the day after
    ("any_day", D("2022-03-15"), D("2026-02-01"), True),  # turns 4 in March, asked before
    ("any_day", D("2022-03-15"), D("2026-06-15"), True),  # turns 4 in March, asked after
    ("any_day", D("2023-01-01"), D("2026-12-31"), False),  # turns 4 only next year
    ("any_day", D("2008-01-01"), D("2026-03-01"), False),  # 18 on the reference day
    ("any_day", D("2008-01-02"), D("2026-12-31"), True),  # turns 18 the day after
    ("any_day", D("2008-06-15"), D("2026-09-01"), True),  # turns 18 mid-year
]


def _scheme(session: Session, age_rule: str) -> Scheme:
    """The sport and culture fund (4 to 17, € 800 a year, 110%), judging age by ``age_rule``."""
    data = {**seed_scheme("stadsfonds"), "code": "leeftijd", "name_nl": NAME}
    data.update(name_en=NAME, age_rule=age_rule, annual_budget=None)
    return schemes.create_scheme(session, data, actor=TEST_ACTOR)


def _on_page(html: str) -> bool:
    table = html[html.index('id="regeling-leeftijd"') :]
    table = table[: table.index("</table>")]
    row = table[table.index("Lid1 Test") :]
    return "verdict-yes" in row[: row.index("</tr>")]


@pytest.mark.parametrize(("age_rule", "child_born", "asked", "eligible"), CASES)
def test_rules_api_page_and_run_give_the_same_answer(
    caseworker: FlaskClient,
    app: Flask,
    reference: Session,
    age_rule: str,
    child_born: dt.date,
    asked: dt.date,
    eligible: bool,
) -> None:
    scheme = _scheme(reference, age_rule)
    role = MemberRole.child if rules.age_on(child_born, YEAR_START) < 18 else MemberRole.other
    family = make_household(reference, [(MemberRole.applicant, born(40)), (role, child_born)])
    assess(reference, family, (100, 100))
    child = next(m.person_id for m in family.memberships if m.role == role)

    facts = rules.Facts(
        reference_date=YEAR_START, in_almere=True, born=child_born, net_income=1, norm=100,
        period_end=YEAR_END,
    )  # fmt: skip
    assert rules.is_eligible(rules.check(scheme, facts)) is eligible, "rules"

    user, _, _ = make_staff(reference, Role.caseworker, app=app)
    found = app.test_client().get(
        f"/api/v1/households/{family.id}/eligibility?date={asked.isoformat()}",
        headers=token_headers(reference, user),
    )
    assert found.status_code == 200, found.get_json()
    (item,) = [
        i
        for i in found.get_json()["items"]
        if i["scheme"] == "leeftijd" and i["person_id"] == child
    ]
    assert item["eligible"] is eligible, "API"
    assert item["amount"] == 800_00

    html = page(
        caseworker.get(f"/medewerkers/huishoudens/{family.id}/regelingen?datum={asked:%d-%m-%Y}")
    )
    assert _on_page(html) is eligible, "page"
    assert "Zo beslist de toekenning voor de periode waarin" in html  # not "on that day"

    grants.issue(
        reference, period="2026", actor=Actor("test"), today=dt.date(2026, 12, 31),
        schemes=["leeftijd"],
    )  # fmt: skip
    granted = reference.scalars(select(Grant.person_id).where(Grant.scheme_id == scheme.id))
    assert (child in set(granted)) is eligible, "grant run"


def test_the_seed_judges_age_as_docs_eligibility_md_explains() -> None:
    """Children's schemes count a birthday anywhere in the period; the adult fund starts the
    year after someone turns 18, who keeps the children's fund that year (no double budget)."""
    shipped = {s["code"]: s.get("age_rule", "reference_day") for s in seed_schemes()}
    assert shipped["stadsfonds"] == shipped["menstruatie"] == shipped["vroegschool"] == "any_day"
    assert shipped["volwassenenfonds"] == "reference_day"


def test_a_child_who_turns_4_in_march_gets_the_seed_sport_budget(reference: Session) -> None:
    family = make_household(
        reference, [(MemberRole.applicant, born(40)), (MemberRole.child, D("2022-03-15"))]
    )
    assess(reference, family, (110, 100))
    (run,) = grants.issue(
        reference, period="2026", actor=Actor("test"), today=dt.date(2026, 11, 23),
        schemes=["stadsfonds"],
    )  # fmt: skip
    assert (run.granted, run.amount) == (1, 800_00)
