"""The signals API: finance reads the four lists with their evidence; nobody else may."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almerepas.models import AuditEvent, Role
from tests.factories import staff_headers
from tests.reports.signal_support import make_december

PERIOD = "from=2026-12-24&to=2026-12-31"


def test_finance_reads_the_signals_with_their_evidence(
    client: FlaskClient, reference: Session
) -> None:
    december = make_december(reference)
    headers = staff_headers(client, reference, Role.finance)
    response = client.get(f"/api/v1/signals?{PERIOD}", headers=headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["from"], body["to"]) == ("2026-12-24", "2026-12-31")
    assert body["thresholds"]["whole_budget_per_day"] == 5
    assert body["whole_budgets"] == []
    judo = next(d for d in body["unusual_days"] if d["partner"] == "Judoclub Oost")
    assert judo == {
        "partner_id": december.partners["judo"].id, "partner": "Judoclub Oost",
        "day": "2026-12-28", "count": 12, "amount": 60_00, "median_count": 1,
        "median_amount": 5_00, "baseline_days_used": 11, "above": ["count"],
    }  # fmt: skip
    (pair,) = body["two_places"]
    number = december.passes["E1"].number
    assert pair["pass_number"].endswith(number[-5:-1] + " " + number[-1])
    assert number not in response.get_data(as_text=True)
    assert (pair["first"]["location"], pair["second"]["location"], pair["seconds"]) == (
        "Bibliotheek locatie", "Zwembad locatie", 720,
    )  # fmt: skip
    assert pair["first"]["redemption_ids"] == december.redemptions["bieb"]
    assert {s["partner"] for s in body["expiry_spikes"]} == {
        "Sporthal Centrum", "Judoclub Oost", "Theater Poort",
    }  # fmt: skip
    views = select(func.count()).where(AuditEvent.action == "signals.view")
    assert reference.scalar(views) == 1


def test_others_get_403_and_a_wrong_period_400(client: FlaskClient, reference: Session) -> None:
    for role in (Role.caseworker, Role.policy):
        headers = staff_headers(client, reference, role)
        assert client.get(f"/api/v1/signals?{PERIOD}", headers=headers).status_code == 403
    headers = staff_headers(client, reference, Role.auditor)
    assert client.get(f"/api/v1/signals?{PERIOD}", headers=headers).status_code == 200
    backwards = client.get("/api/v1/signals?from=2026-12-31&to=2026-12-01", headers=headers)
    assert backwards.status_code == 400
    too_long = client.get("/api/v1/signals?from=2025-01-01&to=2026-12-31", headers=headers)
    assert too_long.status_code == 400
    assert (
        client.get("/api/v1/signals?from=gisteren&to=2026-12-31", headers=headers).status_code
        == 400
    )
