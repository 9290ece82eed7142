"""Driving a single sign-on through Flask's test client and the provider's pages."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from almerepas.models import AuditEvent
from tests.oidc.conftest import BSN, PUBLIC_URL, STAFF_CLIENT, FakeProvider, OidcProvider
from tests.web.conftest import BROWSER_ACCEPT


def browser(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT"] = BROWSER_ACCEPT
    return client


def go_to_provider(client: FlaskClient, start: str) -> str:
    """Click the login button: the app answers with a redirect to the provider."""
    answer = client.get(start)
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    return answer.headers["Location"]


def come_back(client: FlaskClient, callback_url: str) -> TestResponse:
    """The browser, sent back by the provider, opens our callback."""
    assert callback_url.startswith(PUBLIC_URL), callback_url
    parts = urlsplit(callback_url)
    return client.get(f"{parts.path}?{parts.query}")


def sso_login(
    client: FlaskClient, provider: OidcProvider, start: str, account: str
) -> TestResponse:
    """The whole round: our button, the provider's login and consent, our callback."""
    return come_back(client, provider.log_in(go_to_provider(client, start), account))


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def audit_rows(db: Session, prefix: str) -> list[tuple[str, str, dict[str, object] | None]]:
    """(action, actor, changes) of the audit events whose action starts with ``prefix``."""
    db.expire_all()
    rows = db.execute(
        select(AuditEvent.action, AuditEvent.actor, AuditEvent.changes)
        .where(AuditEvent.action.like(f"{prefix}%"))
        .order_by(AuditEvent.id)
    )
    return [(action, actor, changes) for action, actor, changes in rows]


def signed(key: RSAKey, claims: dict[str, Any], kid: str | None = None) -> str:
    """An ID token the fake provider hands out: ``claims`` signed with ``key`` (RS256)."""
    header = {"alg": "RS256", "kid": kid or str(key.kid)}
    return jwt.encode(header, claims, key)


def claims_for(
    fake: FakeProvider, nonce: str, now: dt.datetime, client_id: str = STAFF_CLIENT[0]
) -> dict[str, Any]:
    """A good ID token's claims from ``fake`` for "jan", a caseworker (and a resident's BSN)."""
    moment = int(now.timestamp())
    return {
        "iss": fake.issuer,
        "aud": client_id,
        "sub": "jan",
        "nonce": nonce,
        "iat": moment,
        "exp": moment + 300,
        "name": "Jan Jansen",
        "roles": ["GG-Almerepas-Consulent"],
        "bsn": BSN,
    }
