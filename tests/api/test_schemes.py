"""Schemes, norms and postcodes through the staff API: data, validated, audited."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.income import norms
from almerepas.models import AuditEvent, MemberRole, Role
from almerepas.reference.loaders import seed_norm_rows, seed_schemes
from almerepas.schemes import catalogue as schemes
from tests.factories import assess, born, make_household, make_staff, token_headers
from tests.fixtures import FrozenClock


def headers_for(client: FlaskClient, session: Session, role: Role) -> dict[str, str]:
    user, _, _ = make_staff(session, role, app=client.application)
    return token_headers(session, user)


NEW_SCHEME: dict[str, Any] = {
    "code": "zwemles", "name_nl": "Zwemles", "name_en": "Swimming lessons",
    "description_nl": "Zwemles voor kinderen tot en met 12 jaar.",
    "description_en": "Swimming lessons for children up to 12.",
    "kind": "budget", "beneficiary": "person", "max_income_percent": 120, "min_age": 4,
    "max_age": 12, "amount": 25000, "unit": "EUR", "period": "year", "valid_from": "2027-01-01",
}  # fmt: skip


def test_an_administrator_adds_a_scheme_as_data(client: FlaskClient, reference: Session) -> None:
    admin = headers_for(client, reference, Role.administrator)
    created = client.post("/api/v1/schemes", json=NEW_SCHEME, headers=admin)
    assert created.status_code == 201, created.get_json()
    listed = client.get("/api/v1/schemes", headers=admin).get_json()
    seeded = {s["code"] for s in seed_schemes()}
    assert {s["code"] for s in listed["items"]} == seeded | {"zwemles"}

    changed = client.patch("/api/v1/schemes/zwemles", json={"amount": 30000}, headers=admin)
    assert changed.status_code == 200 and changed.get_json()["amount"] == 30000
    event = reference.scalars(select(AuditEvent).where(AuditEvent.action == "scheme.change")).one()
    assert event.changes == {"amount": [25000, 30000]}


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        # Rules between fields are the catalogue's (almerepas.schemes): invalid_scheme.
        ({"min_age": 12, "max_age": 4}, "invalid_scheme", "max_age"),
        ({"kind": "quota", "unit": "EUR"}, "invalid_scheme", "unit"),
        ({"kind": "discount", "discount_percent": None}, "invalid_scheme", "discount_percent"),
        ({"valid_to": "2026-01-01"}, "invalid_scheme", "valid_to"),
        # A value of the wrong type never reaches the catalogue: the request schema refuses it.
        ({"amount": 12.5}, "validation_failed", "amount"),
    ],
)
def test_a_scheme_that_cannot_work_is_refused(
    client: FlaskClient, reference: Session, change: dict[str, Any], code: str, field: str
) -> None:
    admin = headers_for(client, reference, Role.administrator)
    response = client.post("/api/v1/schemes", json=NEW_SCHEME | change, headers=admin)
    assert response.status_code == 400
    problem = response.get_json(force=True)
    assert problem["code"] == code
    assert [e["field"] for e in problem["errors"]] == [field]
    listed = client.get("/api/v1/schemes", headers=admin).get_json()["items"]
    assert "zwemles" not in [s["code"] for s in listed]


def test_the_code_of_a_scheme_never_changes(client: FlaskClient, reference: Session) -> None:
    admin = headers_for(client, reference, Role.administrator)
    response = client.patch("/api/v1/schemes/ov", json={"code": "bus"}, headers=admin)
    assert response.status_code == 400
    assert schemes.get_scheme(reference, "ov").code == "ov"


def test_norms_on_a_date_show_which_are_provisional(
    client: FlaskClient, reference: Session
) -> None:
    policy = headers_for(client, reference, Role.policy)
    published = client.get("/api/v1/norms?date=2025-07-01", headers=policy).get_json()["items"]
    assert published and not any(n["provisional"] for n in published)
    july_2026 = client.get("/api/v1/norms?date=2026-07-01", headers=policy).get_json()["items"]
    assert july_2026 and not any(n["provisional"] for n in july_2026)
    # A half-year not yet published, derived as a fallback, shows as provisional.
    derived = norms.derive_provisional(
        [r for r in seed_norm_rows() if r.valid_from == dt.date(2026, 7, 1)],
        valid_from=dt.date(2027, 1, 1),
        valid_to=dt.date(2027, 6, 30),
        factor=Fraction(1471, 1440),
        note="PROVISIONAL",
    )
    norms.import_norms(reference, derived)
    reference.commit()
    provisional = client.get("/api/v1/norms?date=2027-03-01", headers=policy).get_json()["items"]
    assert provisional and all(n["provisional"] for n in provisional)


def test_a_caseworker_corrects_a_postcode(client: FlaskClient, reference: Session) -> None:
    caseworker = headers_for(client, reference, Role.caseworker)
    response = client.put(
        "/api/v1/postcodes/1331", json={"district": "almere_stad"}, headers=caseworker
    )
    assert response.status_code == 200
    assert response.get_json()["confidence"] == "corrected"
    assert (
        client.put(
            "/api/v1/postcodes/1012", json={"district": "almere_stad"}, headers=caseworker
        ).status_code
        == 404
    )
    bad = client.put("/api/v1/postcodes/1331", json={"district": "amsterdam"}, headers=caseworker)
    assert bad.status_code == 400


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"beneficiary": "person"}, "beneficiary"),  # would grant the same month twice
        ({"unit": "PACK", "kind": "quota"}, "unit"),  # would stop every run at unit_mismatch
        ({"period": "year"}, "period"),
    ],
)
def test_who_a_scheme_pays_is_fixed_once_it_has_granted(
    client: FlaskClient,
    reference: Session,
    frozen_clock: FrozenClock,
    change: dict[str, Any],
    field: str,
) -> None:
    """Issue 8.3: after its first grant a scheme keeps its beneficiary, kind, unit and period."""
    frozen_clock.set(dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC))
    household = make_household(reference, [(MemberRole.applicant, born(40))])
    assess(reference, household, (100, 100), on=dt.date(2026, 3, 1))
    finance = headers_for(client, reference, Role.finance)
    ran = client.post("/api/v1/grant-runs", json={"period": "2026-03"}, headers=finance)
    assert {r["scheme"]: r["granted"] for r in ran.get_json()["runs"]}["supermarkt"] == 1

    admin = headers_for(client, reference, Role.administrator)
    refused = client.patch("/api/v1/schemes/supermarkt", json=change, headers=admin)
    assert refused.status_code == 409, refused.get_json(force=True)
    problem = refused.get_json(force=True)
    assert problem["code"] == "scheme_has_grants"
    assert field in [e["field"] for e in problem["errors"]]
    assert "nieuwe regeling" in problem["detail"]
    scheme = client.get("/api/v1/schemes", headers=admin).get_json()["items"]
    supermarkt = next(s for s in scheme if s["code"] == "supermarkt")
    assert (supermarkt["beneficiary"], supermarkt["unit"], supermarkt["period"]) == (
        "household",
        "EUR",
        "month",
    )
    # What only shapes new grants may still change, and the next run goes on as before.
    assert (
        client.patch(
            "/api/v1/schemes/supermarkt", json={"amount": 60_00}, headers=admin
        ).status_code
        == 200
    )
    again = client.post("/api/v1/grant-runs", json={"period": "2026-04"}, headers=finance)
    assert again.status_code == 201, again.get_json(force=True)


def test_a_scheme_without_grants_may_still_change_whom_it_pays(
    client: FlaskClient, reference: Session
) -> None:
    admin = headers_for(client, reference, Role.administrator)
    response = client.patch(
        "/api/v1/schemes/supermarkt", json={"beneficiary": "person"}, headers=admin
    )
    assert response.status_code == 200, response.get_json(force=True)
    assert response.get_json()["beneficiary"] == "person"
