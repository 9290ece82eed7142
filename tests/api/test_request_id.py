"""A client's X-Request-ID reaches the audit log and the response only when it is well formed."""

from __future__ import annotations

import uuid

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.models import AuditEvent, Role
from tests.factories import make_staff
from tests.fixtures import FrozenClock

GOOD = [
    "req-12345678",
    "550e8400-e29b-41d4-a716-446655440000",
    "A_b-c_D-1234",
    "r" * 64,
]

HOSTILE = [
    "αβγδεζηθικλμ",  # Greek letters: str.isalnum() says yes
    "١٢٣٤٥٦٧٨٩٠١٢",  # Arabic-Indic digits
    "ｒｅｑ１２３４５６７８",  # full-width letters and digits
    "req-ü-12345678",
    "111222333",  # a BSN (passes the eleven test) would be stored unscrubbed
    "bsn-111222333-x",
    "bsn_1112-22333",
    "req 12345678",
    "<script>alert(1)</script>",
    "r" * 65,
    "short",
]


def failed_login(client: FlaskClient, db: Session, request_id: str) -> tuple[str, AuditEvent]:
    """A wrong password writes staff.login_failed in the request's name: the response's id, row."""
    user, _password, _secret = make_staff(db, Role.auditor, app=client.application)
    response = client.post(
        "/api/v1/tokens",
        json={"username": user.username, "password": "wrong password!", "totp_code": "123456"},
        headers={"X-Request-ID": request_id},
    )
    assert response.status_code == 401
    row = db.scalars(select(AuditEvent).where(AuditEvent.action == "staff.login_failed")).one()
    return response.headers["X-Request-ID"], row


@pytest.mark.parametrize("request_id", GOOD)
def test_a_well_formed_request_id_is_kept(
    client: FlaskClient, db: Session, frozen_clock: FrozenClock, request_id: str
) -> None:
    echoed, row = failed_login(client, db, request_id)
    assert echoed == request_id
    assert row.request_id == request_id


@pytest.mark.parametrize("request_id", HOSTILE)
def test_any_other_request_id_is_replaced_by_our_own(
    client: FlaskClient, db: Session, frozen_clock: FrozenClock, request_id: str
) -> None:
    echoed, row = failed_login(client, db, request_id)
    assert echoed != request_id
    assert str(uuid.UUID(echoed)) == echoed  # one we made
    assert row.request_id == echoed
