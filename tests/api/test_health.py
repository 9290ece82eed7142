"""Health, versioning, trailing slashes, security headers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from almerepas.config import API_VERSION
from tests.conftest import Backend

MakeApp = Callable[..., Flask]


def test_health_reports_database_and_migration_head(client: FlaskClient) -> None:
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert len(body["migration"]) == 12


def test_health_is_503_when_migrations_are_pending(backend: Backend, make_app: MakeApp) -> None:
    response = make_app(backend.empty_database()).test_client().get("/api/v1/health")
    assert response.status_code == 503
    assert response.get_json(force=True)["code"] == "migrations_pending"
    assert response.headers["Retry-After"]


def test_health_is_503_when_the_database_cannot_be_reached(
    tmp_path: Path, make_app: MakeApp
) -> None:
    url = f"sqlite:///{tmp_path / 'no-such-folder' / 'db.sqlite3'}"
    response = make_app(url).test_client().get("/api/v1/health")
    assert response.status_code == 503
    assert response.get_json(force=True)["code"] == "database_unavailable"


@pytest.mark.parametrize("path", ["/api/v1/health", "/api/v1/openapi.json", "/api/v1/nope", "/"])
def test_every_response_carries_the_api_version(client: FlaskClient, path: str) -> None:
    assert client.get(path).headers["API-Version"] == API_VERSION


@pytest.mark.parametrize(
    "path", ["/api/v1/health/", "/api/v1/funding-accounts/", "/api/v1/openapi.json/"]
)
def test_a_trailing_slash_is_a_404_not_a_redirect(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "Location" not in response.headers


def test_security_headers(client: FlaskClient) -> None:
    response = client.get("/api/v1/health")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
