"""Helpers for the caseworker page tests: a logged-in browser session per role, forms with CSRF."""

from __future__ import annotations

import html as html_module
import re
from collections.abc import Callable

import html5lib
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from almerepas.http.guard import SESSION_TOKEN_KEY
from almerepas.models import AuditEvent, Role
from almerepas.staff.tokens import issue_token
from tests.factories import make_staff

#: A BSN that passes the eleven test; pages must only ever show it as ******333.
BSN = "111222333"
OTHER_BSN = "123456782"

#: What Chromium sends: pages then get HTML error pages, not problem+json.
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

SignIn = Callable[[Role], FlaskClient]


@pytest.fixture
def sign_in(app: Flask, reference: Session) -> SignIn:
    """A test client with a page session for a new staff member with ``role``.

    The token goes straight into the session cookie (what /inloggen does after the password and
    the code); test_access logs in through the real form once.
    """

    def signed_in(role: Role) -> FlaskClient:
        user, _password, _secret = make_staff(reference, role, app=app)
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT"] = BROWSER_ACCEPT
        with client.session_transaction() as cookie:
            cookie[SESSION_TOKEN_KEY] = issue_token(reference, user)
        return client

    return signed_in


@pytest.fixture
def caseworker(sign_in: SignIn) -> FlaskClient:
    return sign_in(Role.caseworker)


def page(response: TestResponse) -> str:
    """The HTML of a page, after checking that it parses strictly and needs no JavaScript."""
    assert response.mimetype == "text/html", response.status
    html = response.get_data(as_text=True)
    html5lib.HTMLParser(strict=True).parse(html)
    assert "<script" not in html
    return html


def submit(client: FlaskClient, path: str, data: dict[str, str]) -> TestResponse:
    """POST a form the way a browser does: with the CSRF token of this session."""
    home = client.get("/medewerkers").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', home)
    assert match, "no CSRF token on the staff home page"
    return client.post(path, data={**data, "csrf_token": match.group(1)})


def actions(session: Session) -> list[str]:
    """The audit log's actions about households, oldest first (not staff or reference data)."""
    others = ("staff.%", "scheme.%", "norms.%")
    query = select(AuditEvent.action).where(*(AuditEvent.action.not_like(p) for p in others))
    return list(session.scalars(query.order_by(AuditEvent.id)))


def field_error(html: str, name: str) -> str:
    """The inline message of a field, checking that it is tied to the field for screen readers."""
    match = re.search(rf'<p class="field-error" id="{name}-error">([^<]+)</p>', html)
    assert match, f"no inline error at {name}"
    assert f'aria-describedby="{name}-error"' in html
    assert f'href="#{name}"' in html  # and the summary on top links to the field
    return html_module.unescape(match.group(1))


def location(response: TestResponse) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return response.headers["Location"]


def main_of(html: str) -> str:
    """The page's own content, without the staff header (which has a logout form everywhere)."""
    start, end = html.index("<main"), html.index("</main>")
    return html[start:end]
