"""`almerepas staff create`: an account that can log in, a secret shown once, an audit event."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pyotp
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.models import AuditEvent, Role, StaffUser
from almerepas.staff.tokens import issue_token, user_for_token
from tests.factories import make_staff


def test_staff_create_makes_an_account_that_can_log_in(runner: FlaskCliRunner, db: Session) -> None:
    args = ["staff", "create", "--username", "k.kok", "--role", "finance", "--name"]
    result = runner.invoke(args=[*args, "Karin Kok", "--password", "een lang wachtwoord"])
    assert result.exit_code == 0, result.output
    secret = re.search(r"TOTP-sleutel: ([A-Z2-7]+)", result.output)
    uri = re.search(r"(otpauth://\S+)", result.output)
    assert secret and uri
    assert parse_qs(urlparse(uri.group(1)).query)["secret"] == [secret.group(1)]
    assert "Almerepas" in uri.group(1) and "k.kok" in uri.group(1)
    assert "een lang wachtwoord" not in result.output

    user = db.scalars(select(StaffUser).where(StaffUser.username == "k.kok")).one()
    assert (user.display_name, user.role.value) == ("Karin Kok", "finance")
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "staff.create")).one()
    assert event.actor == "cli:staff create"
    assert event.entity_id == str(user.id)
    assert event.changes == {
        "display_name": [None, "Karin Kok"],
        "role": [None, "finance"],
        "username": [None, "k.kok"],
    }

    client = runner.app.test_client()
    response = client.post(
        "/api/v1/tokens",
        json={
            "username": "k.kok",
            "password": "een lang wachtwoord",
            "totp_code": pyotp.TOTP(secret.group(1)).now(),
        },
    )
    assert response.status_code == 201


def test_staff_create_asks_for_the_password_when_not_given(
    runner: FlaskCliRunner, db: Session
) -> None:
    args = ["staff", "create", "--username", "p.prompt", "--role", "auditor", "--name", "P"]
    result = runner.invoke(args=args, input="geheim wachtwoord\ngeheim wachtwoord\n")
    assert result.exit_code == 0, result.output
    assert db.scalar(select(StaffUser.id).where(StaffUser.username == "p.prompt")) is not None


def test_staff_create_refuses_a_short_password_and_writes_nothing(
    runner: FlaskCliRunner, db: Session
) -> None:
    args = ["staff", "create", "--username", "s.short", "--role", "auditor", "--name", "S"]
    result = runner.invoke(args=[*args, "--password", "te kort"])
    assert result.exit_code != 0
    assert "minstens 12 tekens" in result.output
    assert db.scalar(select(StaffUser.id).where(StaffUser.username == "s.short")) is None
    result = runner.invoke(
        args=[*args[:4], "--role", "baas", "--name", "S", "--password", "x" * 12]
    )
    assert result.exit_code == 2  # not one of the roles


def test_managing_commands_act_as_an_administrator_and_are_audited(
    runner: FlaskCliRunner, db: Session
) -> None:
    boss, _pw, _secret = make_staff(db, Role.administrator, app=runner.app)
    user, _pw, old_secret = make_staff(db, Role.caseworker, app=runner.app)
    token = issue_token(db, user)
    as_boss = ["--as", boss.username]

    dry = runner.invoke(args=["staff", "disable", user.username, *as_boss, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    db.expire_all()
    assert user.active and user_for_token(db, token) is not None

    for args in (
        ["disable", user.username],
        ["enable", user.username],
        ["role", user.username, "finance"],
        ["unlock", user.username],
        ["reset-2fa", user.username],
    ):
        result = runner.invoke(args=["staff", *args, *as_boss])
        assert result.exit_code == 0, result.output
    db.expire_all()
    assert (user.active, user.role) == (True, Role.finance)
    assert user_for_token(db, token) is None
    new_secret = re.search(r"TOTP-sleutel: ([A-Z2-7]+)", result.output)
    assert new_secret and new_secret.group(1) != old_secret

    query = select(AuditEvent.action, AuditEvent.actor).where(
        AuditEvent.entity_type == "staff_user", AuditEvent.entity_id == str(user.id)
    )
    rows = list(db.execute(query.order_by(AuditEvent.id)))[1:]
    assert [(a, b) for a, b in rows] == [
        (action, f"staff:{boss.username}")
        for action in (
            "staff.disable",
            "staff.enable",
            "staff.role_change",
            "staff.unlock",
            "staff.second_factor_reset",
        )
    ]


def test_managing_commands_refuse_a_non_administrator_and_ones_own_role(
    runner: FlaskCliRunner, db: Session
) -> None:
    boss, _pw, _secret = make_staff(db, Role.administrator, app=runner.app)
    clerk, _pw, _secret = make_staff(db, Role.caseworker, app=runner.app)
    refused = runner.invoke(args=["staff", "disable", boss.username, "--as", clerk.username])
    assert refused.exit_code == 1 and "(forbidden)" in refused.output
    own = runner.invoke(args=["staff", "role", boss.username, "auditor", "--as", boss.username])
    assert own.exit_code == 1 and "(own_role_change)" in own.output
    db.expire_all()
    assert (boss.active, boss.role) == (True, Role.administrator)


def test_reset_password_gives_a_new_password_once_and_ends_the_sessions(
    runner: FlaskCliRunner, db: Session
) -> None:
    boss, _pw, _secret = make_staff(db, Role.administrator, app=runner.app)
    user, old_password, secret = make_staff(db, Role.finance, app=runner.app)
    token = issue_token(db, user)
    args = ["staff", "reset-password", user.username, "--as", boss.username]

    dry = runner.invoke(args=[*args, "--dry-run"])
    assert dry.exit_code == 0 and "Wachtwoord:" not in dry.output
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    new_password = re.search(r"Wachtwoord: (\S+)", result.output)
    assert new_password and len(new_password.group(1)) >= 12
    db.expire_all()
    assert user_for_token(db, token) is None

    client = runner.app.test_client()

    def log_in(password: str) -> int:
        code = pyotp.TOTP(secret).now()
        body = {"username": user.username, "password": password, "totp_code": code}
        return client.post("/api/v1/tokens", json=body).status_code

    assert log_in(old_password) == 401
    assert log_in(new_password.group(1)) == 201
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "staff.password_reset")).one()
    assert (event.actor, event.entity_id) == (f"staff:{boss.username}", str(user.id))
    assert event.changes == {"tokens_ended": 1}
