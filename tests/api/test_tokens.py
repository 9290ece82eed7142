"""POST /tokens and DELETE /tokens/current, and what a token opens: 401, 403, expiry, logout."""

from __future__ import annotations

import datetime as dt

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.models import AuditEvent, Role, StaffUser
from tests.factories import login_headers, make_staff, staff_headers
from tests.fixtures import START, FrozenClock

AUDIT = "/api/v1/audit-events"


def post_login(client: FlaskClient, username: str, password: str, code: str) -> object:
    return client.post(
        "/api/v1/tokens", json={"username": username, "password": password, "totp_code": code}
    )


def test_log_in_and_use_the_token(
    client: FlaskClient, db: Session, frozen_clock: FrozenClock
) -> None:
    user, password, secret = make_staff(db, Role.auditor, app=client.application)
    response = post_login(client, user.username, password, pyotp.TOTP(secret).at(START))
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"token", "expires_at"}
    assert dt.datetime.fromisoformat(body["expires_at"]) == START + dt.timedelta(hours=8)

    headers = {"Authorization": f"Bearer {body['token']}"}
    assert client.get(AUDIT, headers=headers).status_code == 200


def test_refusals_do_not_reveal_whether_a_user_exists(
    client: FlaskClient, db: Session, frozen_clock: FrozenClock
) -> None:
    user, password, secret = make_staff(db, Role.auditor, app=client.application)
    code = pyotp.TOTP(secret).at(START)
    unknown = post_login(client, "niemand", password, code)
    wrong = post_login(client, user.username, "wrong password!", code)
    for response in (unknown, wrong):
        assert response.status_code == 401
        assert response.mimetype == "application/problem+json"
    assert unknown.get_json() == wrong.get_json()
    assert unknown.get_json()["code"] == "unauthorized"
    assert unknown.get_json()["title"] == "Inloggen lukt niet. Controleer uw gegevens."
    english = client.post(
        "/api/v1/tokens",
        json={"username": "niemand", "password": "x", "totp_code": "123456"},
        headers={"Accept-Language": "en"},
    )
    assert english.get_json()["title"] == "Logging in did not work. Check your details."


def test_failures_are_remembered_and_lock_the_account(
    client: FlaskClient, db: Session, frozen_clock: FrozenClock
) -> None:
    """Each refused request rolls back its work, but the failure count must survive it."""
    user, password, secret = make_staff(db, Role.auditor, app=client.application)
    code = pyotp.TOTP(secret).at(START)
    statuses = [
        post_login(client, user.username, "wrong password!", code).get_json()["code"]
        for _ in range(5)
    ]
    assert statuses == ["unauthorized"] * 4 + ["account_locked"]

    locked = post_login(client, user.username, password, code)
    assert locked.status_code == 401
    assert locked.get_json()["code"] == "account_locked"
    assert int(locked.headers["Retry-After"]) == 15 * 60 + 1

    frozen_clock.advance(minutes=15, seconds=1)
    code = pyotp.TOTP(secret).at(frozen_clock.moment)
    assert post_login(client, user.username, password, code).status_code == 201


def test_input_that_cannot_be_a_login_is_a_400(client: FlaskClient) -> None:
    response = post_login(client, "j.jansen", "secret password", "12345")
    assert response.status_code == 400
    assert [e["field"] for e in response.get_json()["errors"]] == ["totp_code"]
    response = client.post("/api/v1/tokens", json={"username": "a\x00b", "password": "x"})
    assert response.status_code == 400


def test_without_a_valid_token_the_api_says_401(
    client: FlaskClient, db: Session, frozen_clock: FrozenClock
) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer not-a-real-token"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer " + "x" * 5000},
    ):
        response = client.get(AUDIT, headers=headers)
        assert response.status_code == 401
        assert response.get_json()["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")

    headers = staff_headers(client, db, Role.auditor)
    assert client.get(AUDIT, headers=headers).status_code == 200
    frozen_clock.advance(hours=8)
    assert client.get(AUDIT, headers=headers).status_code == 401  # expired


def test_the_wrong_role_gets_403(client: FlaskClient, db: Session) -> None:
    headers = staff_headers(client, db, Role.caseworker)
    response = client.get(AUDIT, headers=headers)
    assert response.status_code == 403
    assert response.get_json()["code"] == "forbidden"


def test_logging_out_ends_the_token(client: FlaskClient, db: Session) -> None:
    user, password, secret = make_staff(db, Role.auditor, app=client.application)
    headers = login_headers(client, user.username, password, secret)
    response = client.delete(
        "/api/v1/tokens/current", headers={**headers, "X-Request-ID": "logout-test-0001"}
    )
    assert response.status_code == 204
    assert client.get(AUDIT, headers=headers).status_code == 401
    assert client.delete("/api/v1/tokens/current", headers=headers).status_code == 401

    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "staff.logout")).one()
    assert (event.actor, event.role, event.entity_id) == (
        f"staff:{user.username}",
        "auditor",
        str(user.id),
    )
    assert event.request_id == "logout-test-0001"


def test_a_page_session_cookie_does_not_open_the_api(app: Flask, db: Session) -> None:
    """The API reads only the bearer header, so a cross-site request riding a cookie gets 401."""
    from almerepas.http.guard import SESSION_TOKEN_KEY
    from almerepas.staff.tokens import issue_token

    client = app.test_client()
    user, _password, _secret = make_staff(db, Role.auditor, app=app)
    with client.session_transaction() as cookie:
        cookie[SESSION_TOKEN_KEY] = issue_token(db, user)
    assert client.get("/medewerkers/audit").status_code == 200
    assert client.get(AUDIT).status_code == 401


def test_a_successful_login_is_in_the_audit_log(client: FlaskClient, db: Session) -> None:
    user, password, secret = make_staff(db, Role.finance, app=client.application)
    login_headers(client, user.username, password, secret)
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "staff.login")).one()
    assert event.actor == f"staff:{user.username}"
    assert event.entity_id == str(user.id)
    refreshed = db.get(StaffUser, user.id, populate_existing=True)
    assert refreshed is not None and refreshed.last_login_at is not None
