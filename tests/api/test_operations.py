"""Operations: liveness and readiness, Prometheus metrics at /metrics, and JSON request logs that
name no person (docs/operations.md)."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from almerepas.config import ConfigError, load_config
from almerepas.http.logs import JsonFormatter
from almerepas.models import Role
from tests.factories import make_staff, token_headers
from tests.fixtures import FrozenClock
from tests.partners import portal_support as portal
from tests.partners.support import (
    Counter,
    open_counter,
    redeem,
    scan,
    scan_and_redeem,
    serve_family,
)

MakeApp = Callable[..., Flask]
TOKEN = "metrics-test-token-1234"
#: Nothing listens on port 9 (discard) of loopback: the connection is refused at once.
CLOSED_PG = "postgresql+psycopg://almerepas:pw@127.0.0.1:9/almerepas"


def test_liveness_answers_without_the_database(make_app: MakeApp) -> None:
    response = make_app(CLOSED_PG).test_client().get("/api/v1/health/live")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readiness_reports_database_and_migration_head(client: FlaskClient) -> None:
    response = client.get("/api/v1/health/ready")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["database"] == "ok" and len(body["migration"]) == 12


def test_readiness_is_a_quick_503_when_postgresql_cannot_be_reached(make_app: MakeApp) -> None:
    client = make_app(CLOSED_PG).test_client()
    started = time.monotonic()
    response = client.get("/api/v1/health/ready")
    assert time.monotonic() - started < 5
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.get_json(force=True)["code"] == "database_unavailable"
    assert response.headers["Retry-After"]


def metrics_text(client: FlaskClient) -> str:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one series in the exposition text; 0 when it is not there yet."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
        if found == labels:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


@pytest.fixture
def metered(app: Flask) -> FlaskClient:
    app.config["METRICS_TOKEN"] = TOKEN
    return app.test_client()


def test_metrics_need_the_token(client: FlaskClient, metered: FlaskClient) -> None:
    assert client.get("/metrics").status_code == 404  # metered's app has the token now
    assert metered.get("/metrics").status_code == 404
    wrong = metered.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 404


def test_metrics_without_a_configured_token_do_not_exist(make_app: MakeApp) -> None:
    client = make_app(CLOSED_PG).test_client()
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


def test_a_request_is_counted_by_endpoint_and_timed(metered: FlaskClient) -> None:
    labels = {"endpoint": "health.liveness", "method": "GET", "status": "200"}
    before = sample(metrics_text(metered), "almerepas_http_requests_total", **labels)
    metered.get("/api/v1/health/live")
    metered.get("/api/v1/health/live")
    after = metrics_text(metered)
    assert sample(after, "almerepas_http_requests_total", **labels) == before + 2
    timed = {"endpoint": "health.liveness", "method": "GET"}
    assert sample(after, "almerepas_http_request_duration_seconds_count", **timed) >= 2


def test_an_unknown_path_is_one_endpoint_not_a_new_series(metered: FlaskClient) -> None:
    metered.get("/api/v1/no-such-thing/123456782")
    text = metrics_text(metered)
    assert "123456782" not in text
    assert sample(text, "almerepas_http_requests_total", endpoint="unmatched", method="GET",
                  status="404") >= 1  # fmt: skip


def test_redemptions_and_refusals_by_code_are_counted(
    metered: FlaskClient, keyed: Session, frozen_clock: FrozenClock
) -> None:
    counter: Counter = serve_family(keyed, open_counter(keyed))
    before = metrics_text(metered)
    reference = scan(metered, counter, "parent").get_json()["scan_reference"]
    done = redeem(metered, counter, reference, "menstruatie", key="till-1-0001", units=2)
    assert done.status_code == 201, done.get_json()
    replay = redeem(metered, counter, reference, "menstruatie", key="till-1-0001", units=2)
    assert replay.headers["Idempotent-Replayed"] == "true"  # the same booking: not counted again
    refused = scan_and_redeem(metered, counter, "parent", "menstruatie", units=2)
    assert refused.get_json()["code"] == "quota_exhausted"
    after = metrics_text(metered)
    assert sample(after, "almerepas_redemptions_total") == (
        sample(before, "almerepas_redemptions_total") + 1
    )
    assert sample(after, "almerepas_refusals_total", code="quota_exhausted") == (
        sample(before, "almerepas_refusals_total", code="quota_exhausted") + 1
    )


def test_the_portal_counts_its_redemptions_and_refusals_too(
    app: Flask, metered: FlaskClient, keyed: Session, frozen_clock: FrozenClock
) -> None:
    counter = portal.make_counter(keyed, schemes_here=("menstruatie",))
    holder = portal.quota_holder(keyed)
    cashier = portal.portal_client(app, counter)
    before = metrics_text(metered)
    unknown = cashier.post(
        "/partner/scan", data={"csrf_token": portal.csrf(cashier), "pass_number": "999999999999"}
    )
    assert unknown.status_code == 404
    scanned = cashier.post(
        "/partner/scan",
        data={"csrf_token": portal.csrf(cashier), "pass_number": holder.pass_.number},
    )
    html = scanned.get_data(as_text=True)
    start = html.index('name="scan_reference" value="') + len('name="scan_reference" value="')
    form = {"scan_reference": html[start : html.index('"', start)], "scheme": "menstruatie"}
    booked = cashier.post(
        "/partner/afschrijven", data={"csrf_token": portal.csrf(cashier), **form, "amount": "1"}
    )
    assert booked.status_code == 201, booked.get_data(as_text=True)
    after = metrics_text(metered)
    assert sample(after, "almerepas_redemptions_total") == (
        sample(before, "almerepas_redemptions_total") + 1
    )
    assert sample(after, "almerepas_refusals_total", code="pass_unknown") == (
        sample(before, "almerepas_refusals_total", code="pass_unknown") + 1
    )


# -- logs -------------------------------------------------------------------------------------

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def test_request_lines_carry_the_request_id_and_no_personal_data(
    client: FlaskClient, reference: Session, caplog: pytest.LogCaptureFixture
) -> None:
    user, _, _ = make_staff(reference, Role.caseworker, app=client.application)
    staff = token_headers(reference, user)
    caplog.set_level(logging.INFO, logger="almerepas.access")
    created = client.post(
        "/api/v1/households",
        json={"address": {"postcode": "1315 AB", "house_number": 12, "street": "Stadhuisplein"}},
        headers=staff,
    )
    assert created.status_code == 201, created.get_json()
    household = created.get_json()["id"]
    member = {
        "given_name": "Zoë",
        "family_name": "Vandersteenhoven",
        "bsn": "123456782",
        "date_of_birth": "1990-04-01",
        "role": "applicant",
        "valid_from": "2024-01-01",
    }
    added = client.post(f"/api/v1/households/{household}/members", json=member, headers=staff)
    assert added.status_code == 201, added.get_json()
    found = client.post("/api/v1/households/_search", json={"bsn": "123456782"}, headers=staff)
    assert found.status_code == 200, found.get_json()
    client.get("/api/v1/households?q=Vandersteenhoven", headers=staff)
    page = client.get("/mijn/inloggen", headers={"Accept": "text/html"})
    token = CSRF.search(page.get_data(as_text=True))
    assert token, "no CSRF token on the login page"
    login = client.post(
        "/mijn/inloggen",
        data={"contact": "zoe.vandersteenhoven@example.nl", "csrf_token": token.group(1)},
        headers={"Accept": "text/html", "X-Request-ID": "req-login-0001"},
    )
    assert login.headers["X-Request-ID"] == "req-login-0001"

    lines = [JsonFormatter().format(r) for r in caplog.records if r.name == "almerepas.access"]
    assert len(lines) >= 6
    everything = "\n".join(lines)
    for personal in ("123456782", "Vandersteenhoven", "Zo", "example.nl", "zoe."):
        assert personal not in everything
    parsed = [json.loads(line) for line in lines]
    last = parsed[-1]
    assert last["request_id"] == "req-login-0001"
    assert last["endpoint"] == "holder.login" and last["method"] == "POST"
    assert isinstance(last["status"], int) and isinstance(last["duration_ms"], float)
    assert {"households.create_household", "holder.login"} <= {p["endpoint"] for p in parsed}


def test_logs_are_json_in_production_and_text_elsewhere_unless_chosen(tmp_path: Path) -> None:
    production = {
        "ALMEREPAS_ENV": "production",
        "ALMEREPAS_SECRET_KEY": "s" * 40,
        "ALMEREPAS_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "ALMEREPAS_HASH_KEY": "h" * 40,
        "ALMEREPAS_SMTP_HOST": "mail.example",
        "ALMEREPAS_SEPA_DEBTOR_IBAN": "NL12BNGH0285010000",
    }
    assert load_config(tmp_path, environ=production)["LOG_FORMAT"] == "json"
    assert load_config(tmp_path, environ={})["LOG_FORMAT"] == "text"
    chosen = {**production, "ALMEREPAS_LOG_FORMAT": "text"}
    assert load_config(tmp_path, environ=chosen)["LOG_FORMAT"] == "text"
    with pytest.raises(ConfigError, match="ALMEREPAS_LOG_FORMAT"):
        load_config(tmp_path, environ={"ALMEREPAS_LOG_FORMAT": "xml"})
