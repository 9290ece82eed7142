"""Every page forbids framing, plugins, foreign scripts and a foreign <base>; production adds HSTS
and Secure cookies."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

PAGES = ["/", "/recht", "/inloggen", "/mijn/inloggen", "/partner/inloggen", "/api/v1/health"]


@pytest.mark.parametrize("path", PAGES)
def test_the_policy_of_every_page(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    parts = response.headers["Content-Security-Policy"].split(";")
    policy = dict(part.strip().split(" ", 1) for part in parts)
    assert policy["default-src"] == "'self'"
    assert "script-src" not in policy  # so scripts come from 'self' only, never inline
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # Development and tests run on http: no HSTS to pin a browser to https on localhost.
    assert "Strict-Transport-Security" not in response.headers


def test_with_secure_cookies_the_browser_is_told_to_stay_on_https(
    make_app: Callable[..., Flask], database_url: str
) -> None:
    app = make_app(database_url, SESSION_COOKIE_SECURE=True)
    response = app.test_client().get("/inloggen")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    cookie = response.headers["Set-Cookie"]  # the CSRF token's session
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
