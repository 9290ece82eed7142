"""Every error is application/problem+json with a stable code: never a 500 for bad input."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from almerepas.core import migrate
from almerepas.core.db import make_engine
from almerepas.core.redaction import redact
from almerepas.http.logs import JsonFormatter, make_formatter
from almerepas.models import Role
from tests.api import probe
from tests.factories import make_household, make_staff, token_headers

PROBLEM = "application/problem+json"


@pytest.fixture
def app(app: Flask) -> Flask:
    app.extensions["almerepas.api"].register_blueprint(probe.blp, url_prefix="/api/v1")
    return app


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body: dict[str, Any] = response.get_json(force=True)
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:almerepas:problem:{code}"
    assert body["title"] and body["detail"]
    return body


def test_valid_body_is_accepted(client: FlaskClient) -> None:
    response = client.post("/api/v1/probe", json={"amount": 5, "note": "ok"})
    assert response.status_code == 201
    assert response.get_json() == {"amount": 5, "note": "ok"}


def test_validation_errors_name_every_failing_field(client: FlaskClient) -> None:
    response = client.post("/api/v1/probe", json={"amount": 1.5, "note": "x" * 30})
    body = assert_problem(response, 400, "validation_failed")
    assert {e["field"] for e in body["errors"]} == {"amount", "note"}
    assert all(e["in"] == "json" for e in body["errors"])


def test_unknown_fields_are_refused(client: FlaskClient) -> None:
    response = client.post("/api/v1/probe", json={"amount": 5, "is_admin": True})
    body = assert_problem(response, 400, "validation_failed")
    assert [e["field"] for e in body["errors"]] == ["is_admin"]


def test_malformed_json_is_a_400(client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/probe", data='{"amount": 5,', headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 400, "malformed_json")


def test_a_body_that_is_not_json_is_a_415(client: FlaskClient) -> None:
    response = client.post("/api/v1/probe", data="amount=5")
    assert_problem(response, 415, "unsupported_media_type")


def test_an_oversize_body_is_a_413(client: FlaskClient, app: Flask) -> None:
    big = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post("/api/v1/probe", json={"amount": 5, "note": big})
    assert_problem(response, 413, "payload_too_large")


def test_a_domain_refusal_carries_its_code(client: FlaskClient) -> None:
    response = client.post("/api/v1/probe", json={"amount": 5000})
    assert_problem(response, 409, "insufficient_balance")


def test_an_unexpected_exception_is_a_500_without_internals(client: FlaskClient) -> None:
    response = client.get("/api/v1/probe/crash", headers={"X-Request-ID": "req-12345678"})
    body = assert_problem(response, 500, "internal_error")
    assert body["request_id"] == "req-12345678"
    assert response.headers["X-Request-ID"] == "req-12345678"
    text = response.get_data(as_text=True)
    for leak in ("SELECT", "household", "123456782", "Traceback", "RuntimeError"):
        assert leak not in text


@pytest.mark.parametrize("formatter", [JsonFormatter(), make_formatter("text")])
def test_the_logged_error_keeps_its_traceback_without_the_bsn_it_quoted(
    client: FlaskClient, caplog: pytest.LogCaptureFixture, formatter: logging.Formatter
) -> None:
    with caplog.at_level(logging.ERROR, logger="almerepas"):
        client.get("/api/v1/probe/crash", headers={"X-Request-ID": "req-12345678"})
    (record,) = [r for r in caplog.records if r.name == "almerepas.http.problems"]
    line = formatter.format(record)
    assert "unexpected error [req-12345678]" in line and "RuntimeError" in line
    assert "WHERE bsn = '***'" in line and "123456782" not in line


@pytest.mark.parametrize(
    ("text", "logged"),
    [
        ("Key (email)=(anna.devries@example.nl) exists", "Key (email)=(<adres>) exists"),
        ("bsn 123 456 782 and 123.456.782", "bsn *** and ***"),
        ("order 123456789 and pass 8000000000123", "order 123456789 and pass 8000000000123"),
    ],
)
def test_redaction_takes_out_addresses_and_bsns_only(text: str, logged: str) -> None:
    assert redact(text) == logged


def test_not_found_and_wrong_method(client: FlaskClient) -> None:
    assert_problem(client.get("/api/v1/nothing-here"), 404, "not_found")
    response = client.delete("/api/v1/health")
    assert_problem(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_an_accept_header_we_cannot_serve_is_a_406(client: FlaskClient) -> None:
    response = client.get("/api/v1/health", headers={"Accept": "application/xml"})
    assert_problem(response, 406, "not_acceptable")


def test_error_texts_follow_the_language(client: FlaskClient) -> None:
    nl = client.get("/api/v1/nothing-here").get_json(force=True)
    en = client.get("/api/v1/nothing-here", headers={"Accept-Language": "en"}).get_json(force=True)
    assert nl["title"] == "Dit bestaat niet"
    assert en["title"] == "This does not exist"
    assert nl["code"] == en["code"] == "not_found"


def test_pages_get_an_html_error_page(client: FlaskClient) -> None:
    response = client.get("/bestaat-niet", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Dit bestaat niet" in response.get_data(as_text=True)


def test_a_busy_sqlite_database_is_a_503_with_retry_after(
    tmp_path: Path, make_app: Callable[..., Flask]
) -> None:
    url = f"sqlite:///{tmp_path / 'busy.sqlite3'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    app = make_app(url, SQLITE_BUSY_TIMEOUT_MS=50)
    app.extensions["almerepas.api"].register_blueprint(probe.blp, url_prefix="/api/v1")
    with engine.connect() as holder:  # BEGIN IMMEDIATE: holds the write lock
        holder.execute(text("SELECT 1"))
        response = app.test_client().post("/api/v1/probe", json={"amount": 5})
    engine.dispose()
    assert_problem(response, 503, "database_busy")
    assert response.headers["Retry-After"] == "2"


@pytest.mark.parametrize(
    ("path", "role"),
    [
        ("/api/v1/schemes", Role.policy),
        ("/api/v1/postcodes", Role.caseworker),
        ("/api/v1/health", None),
        ("/api/v1/households/{id}", Role.caseworker),
        ("/api/v1/households", Role.caseworker),
    ],
)
def test_every_view_refuses_unknown_query_keys(
    client: FlaskClient, reference: Session, path: str, role: Role | None
) -> None:
    """Also views that declare no query arguments: a typo (?pagesize=) is never ignored."""
    headers = {}
    if role is not None:
        user, _, _ = make_staff(reference, role, app=client.application)
        headers = token_headers(reference, user)
    path = path.replace("{id}", str(make_household(reference, []).id))
    response = client.get(path, query_string={"sort": "code", "pagesize": "5"}, headers=headers)
    body = assert_problem(response, 400, "validation_failed")
    assert sorted((e["field"], e["in"]) for e in body["errors"]) == [
        ("pagesize", "query"),
        ("sort", "query"),
    ]
    # ?lang= is the one key every view takes (docs/errors.md): the language of the answer.
    english = client.get(path, query_string={"lang": "en", "x": "1"}, headers=headers)
    assert english.get_json(force=True)["title"] == "The input is not correct"
    assert client.get(path, query_string={"lang": "en"}, headers=headers).status_code == 200


def test_unknown_query_keys_come_after_the_login_check(client: FlaskClient) -> None:
    """As on views with query arguments: who may not call a view learns nothing about its keys."""
    assert_problem(client.get("/api/v1/schemes?sort=code"), 401, "unauthorized")
    assert_problem(client.get("/api/v1/households?sort=code"), 401, "unauthorized")


def test_a_view_without_query_arguments_documents_the_400(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    for path in ("/schemes", "/postcodes", "/health", "/households/{household_id}"):
        assert "400" in document["paths"][path]["get"]["responses"], path
