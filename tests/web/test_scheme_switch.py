"""A scheme the gemeente has not switched on yet: the early-education fund (issue 9, item 10).

It ships in the seed as data, inactive. While it is off, no grant run grants it and neither
the eligibility page nor the API offers it; once an administrator switches it on through
``PATCH /api/v1/schemes/vroegschool`` it runs like the others.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.models import AuditEvent, Grant, Household, MemberRole, Role
from almerepas.reference.loaders import seed_schemes
from almerepas.schemes import catalogue as schemes
from tests.factories import assess, born, make_household, make_staff, token_headers
from tests.web.conftest import page

A, C = MemberRole.applicant, MemberRole.child
NAME = "Fonds vroegschoolse educatie"


def as_role(app: Flask, session: Session, role: Role) -> dict[str, str]:
    user, _, _ = make_staff(session, role, app=app)
    return token_headers(session, user)


def toddler_at(session: Session, percent: tuple[int, int], extra_cents: int = 0) -> Household:
    """A single parent with a child who turned 2 on 1 January 2026, assessed from that day."""
    household = make_household(session, [(A, born(30)), (C, born(2))])
    assessment = assess(session, household, percent)
    assessment.net_income += extra_cents
    session.flush()
    return household


def verdicts(api: FlaskClient, headers: dict[str, str], household: Household) -> list[Any]:
    response = api.get(
        f"/api/v1/households/{household.id}/eligibility?date=2026-03-15", headers=headers
    )
    assert response.status_code == 200, response.get_json()
    return [i for i in response.get_json()["items"] if i["scheme"] == "vroegschool"]


def run_year(api: FlaskClient, headers: dict[str, str]) -> dict[str, Any]:
    done = api.post("/api/v1/grant-runs", json={"period": "2026"}, headers=headers)
    assert done.status_code == 201, done.get_json()
    return {r["scheme"]: r for r in done.get_json()["runs"]}


def granted(session: Session) -> list[Grant]:
    fund = schemes.get_scheme(session, "vroegschool")
    return list(session.scalars(select(Grant).where(Grant.scheme_id == fund.id)))


def test_the_seed_ships_the_fund_switched_off() -> None:
    (fund,) = [s for s in seed_schemes() if s["code"] == "vroegschool"]
    assert fund["active"] is False
    assert (fund["max_income_percent"], fund["min_age"]) == (120, 2)
    assert all(s.get("active", True) for s in seed_schemes() if s["code"] != "vroegschool")


def test_the_early_education_fund_runs_only_once_switched_on(
    caseworker: FlaskClient, app: Flask, reference: Session
) -> None:
    api = app.test_client()
    inside = toddler_at(reference, (120, 100))
    above = toddler_at(reference, (120, 100), extra_cents=1)
    staff = as_role(app, reference, Role.caseworker)
    finance = as_role(app, reference, Role.finance)
    regelingen = f"/medewerkers/huishoudens/{inside.id}/regelingen?datum=2026-03-15"

    # Off: nobody is promised it, nobody is granted it; the other schemes run as always.
    assert NAME not in page(caseworker.get(regelingen))
    assert verdicts(api, staff, inside) == [] and verdicts(api, staff, above) == []
    runs = run_year(api, finance)
    assert "vroegschool" not in runs and runs["stadsfonds"]["not_eligible"] >= 1
    assert granted(reference) == []

    # An administrator switches it on through the scheme API, audited like any change.
    admin = as_role(app, reference, Role.administrator)
    switched = api.patch("/api/v1/schemes/vroegschool", json={"active": True}, headers=admin)
    assert switched.status_code == 200, switched.get_json()
    assert switched.get_json()["active"] is True
    event = reference.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "scheme.change", AuditEvent.entity_id == "vroegschool"
        )
    ).one()
    assert event.changes == {"active": [False, True]}

    # On: the child of 2 at exactly 120% gets it; at 120% and one cent, not.
    html = page(caseworker.get(regelingen))
    fund = html[html.index(NAME) :]
    fund = fund[: fund.index("</table>")]
    assert "Ja" in fund and "€ 500,00" in fund
    (child,) = [v for v in verdicts(api, staff, inside) if v["eligible"]]
    assert child["amount"] == 500_00
    (no,) = [v for v in verdicts(api, staff, above) if v["person_name"].startswith("Lid1")]
    assert no["eligible"] is False
    failing = [r["reason"] for r in no["rules"] if not r["ok"]]
    assert failing == [
        "Het inkomen is 120,01% van het sociaal minimum. Dat is boven de grens van 120%."
    ]

    runs = run_year(api, finance)
    assert runs["vroegschool"]["granted"] == 1
    (grant,) = granted(reference)
    assert grant.amount == 500_00 and grant.beneficiary_key.startswith("person:")
    toddler = next(m.person_id for m in inside.memberships if m.role == C)
    assert grant.person_id == toddler


def test_only_an_administrator_switches_a_scheme_on(app: Flask, reference: Session) -> None:
    api = app.test_client()
    for role in (Role.policy, Role.finance, Role.caseworker):
        refused = api.patch(
            "/api/v1/schemes/vroegschool",
            json={"active": True},
            headers=as_role(app, reference, role),
        )
        assert refused.status_code == 403
    assert schemes.get_scheme(reference, "vroegschool").active is False
