"""Rate limits: logging in, one-time codes, scans and the anonymous check refuse the n+1st try
within the window with a 429 that says when to come back; Redis counts across app servers."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from almerepas.http.limits import LIMITED
from tests.fixtures import RedisServer, free_port

LIMITS = {
    "RATELIMIT_ENABLED": True,
    "RATE_LIMIT_LOGIN": "3 per minute",
    "RATE_LIMIT_CODES": "3 per minute",
    "RATE_LIMIT_SCAN": "3 per minute",
    "RATE_LIMIT_CHECK": "3 per minute",
}
WRONG_LOGIN = {"username": "niemand", "password": "fout wachtwoord", "totp_code": "000000"}


@pytest.fixture
def limited(
    make_app: Callable[..., Flask],
    database_url: str,
    session_factory: Callable[[], Session],
    reference: Session,
) -> Callable[..., Flask]:
    """Apps on the test database with small limits (the suite runs without limits)."""

    def build(**config: Any) -> Flask:
        app = make_app(database_url, **{**LIMITS, **config})
        app.extensions["almerepas.sessionmaker"] = session_factory
        app.config["OUTBOX_HAND_OVER"] = "close"
        return app

    return build


def form_post(client: FlaskClient, path: str, data: dict[str, str]) -> TestResponse:
    form = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert match, f"no CSRF token on {path}"
    return client.post(path, data={**data, "csrf_token": match.group(1)})


def test_the_fourth_api_login_in_a_minute_is_refused_with_when_to_return(
    limited: Callable[..., Flask],
) -> None:
    client = limited().test_client()
    for _ in range(3):
        assert client.post("/api/v1/tokens", json=WRONG_LOGIN).status_code == 401
    refused = client.post("/api/v1/tokens", json=WRONG_LOGIN)
    assert refused.status_code == 429
    assert refused.content_type.startswith("application/problem+json")
    assert refused.get_json()["code"] == "too_many_requests"
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["API-Version"]


def test_the_login_page_says_so_in_dutch_and_still_shows_itself(
    limited: Callable[..., Flask],
) -> None:
    client = limited().test_client()
    for _ in range(3):
        response = form_post(client, "/inloggen", {"username": "niemand", "password": "x"})
        assert response.status_code != 429
    refused = form_post(client, "/inloggen", {"username": "niemand", "password": "x"})
    assert refused.status_code == 429
    assert "Te veel verzoeken" in refused.get_data(as_text=True)
    assert refused.headers["Retry-After"]
    # Only trying is limited: the page itself still opens.
    assert client.get("/inloggen").status_code == 200


def test_each_device_has_its_own_count(limited: Callable[..., Flask]) -> None:
    client = limited().test_client()
    kassa_1 = {"Authorization": "Bearer almdev_een"}
    kassa_2 = {"Authorization": "Bearer almdev_twee"}
    body = {"code": "ALM1"}
    for _ in range(3):
        assert client.post("/api/v1/partner/scans", json=body, headers=kassa_1).status_code != 429
    assert client.post("/api/v1/partner/scans", json=body, headers=kassa_1).status_code == 429
    assert client.post("/api/v1/partner/scans", json=body, headers=kassa_2).status_code != 429


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/recht", {"kinderen": "", "inkomen": "1000"}),
        ("/mijn/inloggen", {"contact": "anna@example.nl"}),
    ],
)
def test_the_anonymous_check_and_code_requests_are_limited(
    limited: Callable[..., Flask], path: str, data: dict[str, str]
) -> None:
    client = limited().test_client()
    for _ in range(3):
        assert form_post(client, path, data).status_code != 429
    assert form_post(client, path, data).status_code == 429


def test_without_limits_nothing_is_refused(limited: Callable[..., Flask]) -> None:
    client = limited(RATELIMIT_ENABLED=False).test_client()
    for _ in range(6):
        assert client.post("/api/v1/tokens", json=WRONG_LOGIN).status_code == 401


def test_every_limited_endpoint_takes_posts(limited: Callable[..., Flask]) -> None:
    """The table names endpoints by name; one that is renamed must not lose its limit quietly."""
    app = limited()
    methods = {rule.endpoint: rule.methods or set() for rule in app.url_map.iter_rules()}
    assert {endpoint for endpoint in LIMITED if "POST" in methods.get(endpoint, set())} == set(
        LIMITED
    )


def test_two_app_servers_count_together_in_redis(
    limited: Callable[..., Flask], redis_server: RedisServer
) -> None:
    first = limited(REDIS_URL=redis_server.url).test_client()
    second = limited(REDIS_URL=redis_server.url).test_client()
    assert first.post("/api/v1/tokens", json=WRONG_LOGIN).status_code == 401
    assert second.post("/api/v1/tokens", json=WRONG_LOGIN).status_code == 401
    assert first.post("/api/v1/tokens", json=WRONG_LOGIN).status_code == 401
    assert second.post("/api/v1/tokens", json=WRONG_LOGIN).status_code == 429
    # The count is in Redis, under the app's prefix (not in either process).
    keys = redis.Redis.from_url(redis_server.url).keys("*almerepas*")
    assert keys


def test_when_redis_is_gone_the_service_keeps_answering(limited: Callable[..., Flask]) -> None:
    client = limited(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0").test_client()
    for _ in range(3):
        assert client.post("/api/v1/tokens", json=WRONG_LOGIN).status_code == 401
    # Counted in memory meanwhile: the limit still holds.
    assert client.post("/api/v1/tokens", json=WRONG_LOGIN).status_code == 429
