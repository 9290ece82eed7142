"""POST /households/{id}/assessments with the income per member and kind (issue 9, item 6):
what counts is computed and shown line by line; bad input is a 400 naming the field."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almerepas.households import members as households
from almerepas.models import AuditEvent, IncomeAssessment, IncomeLine, MemberRole, Membership, Role
from tests.api.test_households import OPEN_HOUSEHOLD_STATEMENTS, add, open_counted, register
from tests.factories import KEYS, make_household, make_staff, token_headers
from tests.fixtures import CountQueries


@pytest.fixture
def caseworker(client: FlaskClient, reference: Session) -> dict[str, str]:
    user, _, _ = make_staff(reference, Role.caseworker, app=client.application)
    return token_headers(reference, user)


def family(client: FlaskClient, headers: dict[str, str]) -> tuple[int, dict[str, int]]:
    """Sara (applicant, 35), her son Ilias (9) and a lodger, Eva; living there since 2024."""
    household = register(client, headers)
    for member in (
        {},
        {"given_name": "Ilias", "date_of_birth": "2016-05-05", "role": "child"},
        {
            "given_name": "Eva",
            "family_name": "Smit",
            "date_of_birth": "1980-02-02",
            "role": "other",
        },
    ):
        assert add(client, headers, household["id"], **member).status_code == 201
    opened = client.get(f"/api/v1/households/{household['id']}", headers=headers).get_json()
    return household["id"], {m["given_name"]: m["person_id"] for m in opened["member_history"]}


def written(session: Session) -> tuple[int, int, int]:
    def n(query: Any) -> int:
        return session.scalar(query) or 0

    return (
        n(select(func.count()).select_from(IncomeAssessment)),
        n(select(func.count()).select_from(IncomeLine)),
        n(select(func.count()).where(AuditEvent.action == "assessment.create")),
    )


def test_the_income_per_member_and_kind_makes_the_total_and_shows_how(
    client: FlaskClient, caseworker: dict[str, str]
) -> None:
    household_id, who = family(client, caseworker)
    lines = [
        {"person_id": who["Sara"], "kind": "wages", "amount": 150000},
        {"person_id": who["Sara"], "kind": "holiday_pay", "amount": 144000},  # a year's
        {"person_id": who["Sara"], "kind": "child_benefit", "amount": 30000},
        {"person_id": who["Ilias"], "kind": "wages", "amount": 20000},
        {"person_id": who["Eva"], "kind": "benefit", "amount": 90000},
    ]
    response = client.post(
        f"/api/v1/households/{household_id}/assessments",
        json={"lines": lines, "assessed_on": "2026-03-01"},
        headers=caseworker,
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    # 1.500 + 1.440 / 12 = 1.620 a month, against the single-parent norm of € 1.401,50.
    assert (body["net_income"], body["norm_amount"], body["percentage_bp"]) == (
        162000,
        140150,
        11560,
    )
    shown = [(x["person_id"], x["kind"], x["amount"], x["per"], x["counted"], x["reason"])
             for x in body["lines"]]  # fmt: skip
    assert shown == [
        (who["Sara"], "wages", 150000, "month", 150000, "counts"),
        (who["Sara"], "holiday_pay", 144000, "year", 12000, "spread_over_year"),
        (who["Sara"], "child_benefit", 30000, "month", 0, "excluded_kind"),
        (who["Ilias"], "wages", 20000, "month", 0, "minor_earnings"),
        (who["Eva"], "benefit", 90000, "month", 0, "not_in_family"),
    ]
    opened = client.get(f"/api/v1/households/{household_id}", headers=caseworker).get_json()
    assert opened["assessments"][0]["lines"] == body["lines"]

    total_only = client.post(
        f"/api/v1/households/{household_id}/assessments",
        json={"net_income": 150000, "assessed_on": "2026-04-01"},
        headers=caseworker,
    )
    assert total_only.status_code == 201, total_only.get_json()
    assert total_only.get_json()["lines"] == []


def line(who: str = "Sara", kind: str = "wages", amount: Any = 100000, **more: Any) -> Any:
    return {"person_id": who, "kind": kind, "amount": amount, **more}


@pytest.mark.parametrize(
    ("income", "field"),
    [
        ({"lines": [line(amount=-1)]}, "lines.0.amount"),
        ({"lines": [line(amount=1500.5)]}, "lines.0.amount"),
        ({"lines": [line(amount="1500")]}, "lines.0.amount"),
        ({"lines": [line(amount=True)]}, "lines.0.amount"),
        ({"lines": [line(), line(amount=10**12)]}, "lines.1.amount"),
        ({"lines": [line(kind="lottery")]}, "lines.0.kind"),
        ({"lines": [{"person_id": "Sara", "amount": 100}]}, "lines.0.kind"),
        ({"lines": [line(note="loonstrook")]}, "lines.0.note"),
        ({"lines": [line(who="stranger")]}, "lines.0.person_id"),
        ({"lines": [line(), line(who="newcomer")]}, "lines.1.person_id"),
        ({"lines": []}, "lines"),
        ({"lines": [line()], "net_income": 100000}, "net_income"),
        ({}, "net_income"),
    ],
)  # fmt: skip
def test_bad_income_lines_are_a_400_naming_the_field_and_nothing_is_written(
    client: FlaskClient,
    caseworker: dict[str, str],
    reference: Session,
    income: dict[str, Any],
    field: str,
) -> None:
    household_id, who = family(client, caseworker)
    newcomer = add(client, caseworker, household_id, given_name="Tom", role="partner",
                   valid_from="2026-04-01")  # fmt: skip
    who["newcomer"] = newcomer.get_json()["member_history"][-1]["person_id"]
    stranger = make_household(reference, [(MemberRole.applicant, dt.date(1970, 1, 1))])
    who["stranger"] = stranger.memberships[0].person_id  # of another household
    body = dict(income)
    if "lines" in body:
        body["lines"] = [{**x, "person_id": who[x["person_id"]]} for x in body["lines"]]
    before = written(reference)
    response = client.post(
        f"/api/v1/households/{household_id}/assessments",
        json={**body, "assessed_on": "2026-03-01"},
        headers=caseworker,
    )
    assert response.status_code == 400, response.get_json()
    problem = response.get_json(force=True)
    assert problem["code"] == "validation_failed"
    assert [e["field"] for e in problem["errors"]] == [field]
    assert written(reference) == before


def test_a_member_not_yet_born_on_the_assessment_date_is_a_400(
    client: FlaskClient, caseworker: dict[str, str], reference: Session
) -> None:
    household = make_household(reference, [(MemberRole.applicant, dt.date(1990, 1, 1))])
    unborn = households.create_person(
        reference, given_name="Noor", family_name="Test", date_of_birth=dt.date(2026, 5, 1),
        keys=KEYS, today=dt.date(2026, 6, 1),
    )  # fmt: skip
    reference.add(Membership(household=household, person=unborn, role=MemberRole.child,
                             valid_from=dt.date(2026, 1, 1)))  # an old row  # fmt: skip
    reference.flush()
    before = written(reference)
    response = client.post(
        f"/api/v1/households/{household.id}/assessments",
        json={"net_income": 100000, "assessed_on": "2026-03-01"},
        headers=caseworker,
    )
    assert response.status_code == 400
    problem = response.get_json(force=True)
    assert problem["code"] == "member_not_yet_born"
    assert [e["field"] for e in problem["errors"]] == ["assessed_on"]
    assert written(reference) == before


def test_opening_a_household_takes_the_same_statements_for_any_number_of_lines(
    client: FlaskClient, caseworker: dict[str, str], count_queries: CountQueries
) -> None:
    household_id, who = family(client, caseworker)
    url = f"/api/v1/households/{household_id}/assessments"
    one = [{"person_id": who["Sara"], "kind": "wages", "amount": 150000}]
    assert client.post(url, json={"lines": one, "assessed_on": "2026-01-01"},
                       headers=caseworker).status_code == 201  # fmt: skip
    _, counted = open_counted(client, caseworker, count_queries, household_id)
    assert counted.statements == OPEN_HOUSEHOLD_STATEMENTS, counted.report()

    many = [{"person_id": person, "kind": kind, "amount": 1000}
            for person in who.values() for kind in ("wages", "benefit", "holiday_pay")]  # fmt: skip
    for day in ("2026-02-01", "2026-03-01", "2026-04-01"):
        response = client.post(url, json={"lines": many, "assessed_on": day}, headers=caseworker)
        assert response.status_code == 201, response.get_json()
    opened, counted = open_counted(client, caseworker, count_queries, household_id)
    assert [len(a["lines"]) for a in opened["assessments"]] == [9, 9, 9, 1]
    assert counted.statements == OPEN_HOUSEHOLD_STATEMENTS, counted.report()
