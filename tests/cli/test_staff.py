"""`almerepas staff create`: an account that can log in, a secret shown once, an audit event."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pyotp
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.models import AuditEvent, StaffUser


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
