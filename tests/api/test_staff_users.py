"""/api/v1/staff-users: administrators only, no secret ever listed, each change audited and
the refusals with their codes."""

from __future__ import annotations

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.core import clock
from almerepas.models import AuditEvent, Role, StaffUser
from almerepas.staff.accounts import LOCKOUT
from tests.factories import make_staff, token_headers

BASE = "/api/v1/staff-users"


@pytest.fixture
def boss(app: Flask, db: Session) -> tuple[StaffUser, dict[str, str]]:
    user, _password, _secret = make_staff(db, Role.administrator, app=app)
    return user, token_headers(db, user)


def actions(db: Session, user_id: int) -> list[tuple[str, str]]:
    query = select(AuditEvent.action, AuditEvent.actor).where(
        AuditEvent.entity_type == "staff_user", AuditEvent.entity_id == str(user_id)
    )
    return [(a, b) for a, b in db.execute(query.order_by(AuditEvent.id))]


def test_only_administrators_manage_accounts(app: Flask, client: FlaskClient, db: Session) -> None:
    auditor, _pw, _secret = make_staff(db, Role.auditor, app=app)
    response = client.get(BASE, headers=token_headers(db, auditor))
    assert response.status_code == 403
    assert response.get_json()["code"] == "forbidden"


def test_create_then_log_in_with_what_was_shown_once(
    client: FlaskClient, db: Session, boss: tuple[StaffUser, dict[str, str]]
) -> None:
    me, headers = boss
    body = {"username": "n.nieuw", "display_name": "Nel Nieuw", "role": "caseworker"}
    response = client.post(BASE, json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    made = response.get_json()
    assert made["role"] == "caseworker" and made["active"] is True
    login = client.post(
        "/api/v1/tokens",
        json={
            "username": "n.nieuw",
            "password": made["initial_password"],
            "totp_code": pyotp.TOTP(made["totp_secret"]).now(),
        },
    )
    assert login.status_code == 201

    listed = client.get(BASE, headers=headers).get_json()["items"]
    text = str(listed) + str(client.get(f"{BASE}/{made['id']}", headers=headers).get_json())
    for secret in (made["initial_password"], made["totp_secret"], "argon2", "totp"):
        assert secret not in text
    assert actions(db, made["id"])[0] == ("staff.create", f"staff:{me.username}")
    again = client.post(BASE, json=body, headers=headers)
    assert (again.status_code, again.get_json()["code"]) == (409, "username_taken")


def test_role_change_and_own_role_refused(
    app: Flask, client: FlaskClient, db: Session, boss: tuple[StaffUser, dict[str, str]]
) -> None:
    me, headers = boss
    other, _pw, _secret = make_staff(db, Role.finance, app=app)
    response = client.patch(f"{BASE}/{other.id}", json={"role": "policy"}, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["role"] == "policy"
    assert actions(db, other.id)[-1] == ("staff.role_change", f"staff:{me.username}")
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "staff.role_change")).one()
    assert event.changes == {"role": ["finance", "policy"]}

    own = client.patch(f"{BASE}/{me.id}", json={"role": "auditor"}, headers=headers)
    assert (own.status_code, own.get_json()["code"]) == (409, "own_role_change")
    off = client.patch(f"{BASE}/{me.id}", json={"active": False}, headers=headers)
    assert (off.status_code, off.get_json()["code"]) == (409, "own_account_disable")
    assert (me.role, me.active) == (Role.administrator, True)


def test_a_disabled_users_token_stops_working_and_comes_back_only_by_logging_in(
    app: Flask, client: FlaskClient, db: Session, boss: tuple[StaffUser, dict[str, str]]
) -> None:
    _me, headers = boss
    user, _pw, _secret = make_staff(db, Role.caseworker, app=app)
    theirs = token_headers(db, user)
    assert client.get("/api/v1/schemes", headers=theirs).status_code == 200
    off = client.patch(f"{BASE}/{user.id}", json={"active": False}, headers=headers)
    assert off.status_code == 200 and off.get_json()["active"] is False
    assert client.get("/api/v1/schemes", headers=theirs).status_code == 401
    on = client.patch(f"{BASE}/{user.id}", json={"active": True}, headers=headers)
    assert on.get_json()["active"] is True
    assert client.get("/api/v1/schemes", headers=theirs).status_code == 401
    assert [a for a, _ in actions(db, user.id)][-2:] == ["staff.disable", "staff.enable"]


def test_second_factor_reset_and_unlock(
    app: Flask, client: FlaskClient, db: Session, boss: tuple[StaffUser, dict[str, str]]
) -> None:
    _me, headers = boss
    user, password, old = make_staff(db, Role.finance, app=app)
    user.locked_until = clock.now() + LOCKOUT
    db.flush()
    assert client.get(f"{BASE}/{user.id}", headers=headers).get_json()["locked"] is True

    unlocked = client.post(f"{BASE}/{user.id}/unlock", headers=headers)
    assert unlocked.status_code == 200 and unlocked.get_json()["locked"] is False
    reset = client.post(f"{BASE}/{user.id}/second-factor-reset", headers=headers)
    assert reset.status_code == 200
    new = reset.get_json()["totp_secret"]
    assert new != old and "otpauth://" in reset.get_json()["provisioning_uri"]
    login = {"username": user.username, "password": password}
    refused = client.post("/api/v1/tokens", json={**login, "totp_code": pyotp.TOTP(old).now()})
    assert refused.status_code == 401
    accepted = client.post("/api/v1/tokens", json={**login, "totp_code": pyotp.TOTP(new).now()})
    assert accepted.status_code == 201
    done = [action for action, _actor in actions(db, user.id)]
    assert done[1:3] == ["staff.unlock", "staff.second_factor_reset"]


def test_an_unknown_account_is_not_found(
    client: FlaskClient, boss: tuple[StaffUser, dict[str, str]]
) -> None:
    _me, headers = boss
    response = client.post(f"{BASE}/999999/unlock", headers=headers)
    assert (response.status_code, response.get_json()["code"]) == (404, "not_found")
