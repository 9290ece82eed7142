"""The figures API: the same protected tables as the pages, for policy staff only."""

from __future__ import annotations

import datetime as dt

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from almerepas.models import Role
from almerepas.reports import snapshot
from tests.factories import staff_headers
from tests.reports.support import make_year


def test_policy_staff_read_figures_with_small_counts_hidden(
    client: FlaskClient, reference: Session
) -> None:
    make_year(reference)
    headers = staff_headers(client, reference, Role.policy)
    body = client.get("/api/v1/reports/schemes?year=2026", headers=headers).get_json()
    fund = next(row for row in body["rows"] if row["scheme"] == "stadsfonds")
    assert fund["persons"] == "< 10" and fund["first_use"] == "< 10"
    assert (fund["granted_amount"], fund["spent"], fund["settled"]) == (1500_00, 330_00, 230_00)
    assert fund["budget_used"] == 17 and fund["take_up"] is None
    assert body["total"] is None

    districts = client.get(
        "/api/v1/reports/districts?year=2026&scheme=stadsfonds", headers=headers
    ).get_json()
    assert [row["district"] for row in districts["rows"]] == ["Almere Stad", "Almere Haven"]
    assert districts["total"]["eligible"] == "< 10"

    months = client.get("/api/v1/reports/months?year=2026", headers=headers).get_json()
    assert {row["month"] for row in months["rows"] if row["scheme"] == "supermarkt"} == {"2026-06"}
    partners = client.get("/api/v1/reports/partners?year=2026", headers=headers).get_json()["rows"]
    sportclub = {"partner": "Sportclub Almere", "scheme": "stadsfonds", "unit": "EUR"}
    assert {**sportclub, "redemptions": 2, "redeemed": 250_00, "reversed": 20_00} in partners


def test_a_caseworker_gets_403(client: FlaskClient, reference: Session) -> None:
    headers = staff_headers(client, reference, Role.caseworker)
    response = client.get("/api/v1/reports/schemes?year=2026", headers=headers)
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"


def test_a_wrong_year_is_a_problem(client: FlaskClient, reference: Session) -> None:
    headers = staff_headers(client, reference, Role.policy)
    response = client.get("/api/v1/reports/schemes?year=1850&district=mars", headers=headers)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert {e["field"] for e in response.get_json()["errors"]} >= {"year", "district"}


def test_the_api_says_when_the_figures_were_counted(
    client: FlaskClient, reference: Session
) -> None:
    make_year(reference)
    headers = staff_headers(client, reference, Role.policy)
    live = client.get("/api/v1/reports/partners?year=2026", headers=headers).get_json()
    assert live["counted_at"] is None

    snapshot.refresh(reference, 2026, now=dt.datetime(2027, 1, 6, 2, 30, tzinfo=dt.UTC))
    reference.commit()
    for name in ("schemes", "months", "partners", "districts"):
        query = "?year=2026&scheme=stadsfonds" if name == "districts" else "?year=2026"
        body = client.get(f"/api/v1/reports/{name}{query}", headers=headers).get_json()
        assert dt.datetime.fromisoformat(body["counted_at"]) == dt.datetime(
            2027, 1, 6, 2, 30, tzinfo=dt.UTC
        ), name
    partners = client.get("/api/v1/reports/partners?year=2026", headers=headers).get_json()
    assert partners["rows"] == live["rows"]
