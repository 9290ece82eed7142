"""Partner users log in on the API and get a token of their own (almpu_), which works as a
bearer token on the partner API until they log out or stop taking part."""

from __future__ import annotations

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.contracts import partners
from almerepas.models import AuditEvent, Partner
from almerepas.partners.auth import Principal, current_principal
from tests.factories import (
    PARTNER_PASSWORD,
    TEST_ACTOR,
    make_device,
    make_location,
    make_partner,
    make_partner_user,
)
from tests.fixtures import FrozenClock

TOKENS = "/api/v1/partner/tokens"
ME = "/api/v1/partner/me"
CURRENT = "/api/v1/partner/tokens/current"


@pytest.fixture
def partner(db: Session, frozen_clock: FrozenClock) -> Partner:
    return make_partner(db, name="Zwembad De Meerkoet")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def principal_of(app: Flask, token: str) -> Principal | None:
    """Whom the partner API takes a request with this bearer token for."""
    with app.test_request_context(ME, headers=bearer(token)):
        return current_principal()


def test_a_cashier_logs_in_and_the_token_names_the_partner_and_role(
    app: Flask, client: FlaskClient, db: Session, partner: Partner, frozen_clock: FrozenClock
) -> None:
    user, password, _secret = make_partner_user(db, partner, "cashier")
    response = client.post(TOKENS, json={"username": user.username, "password": password})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["token"].startswith("almpu_")
    assert body["partner"] == {"id": partner.id, "name": "Zwembad De Meerkoet"}
    assert body["role"] == "cashier"
    assert body["expires_at"] == "2026-03-02T17:00:00+00:00"  # 8 hours after 09:00

    me = client.get(ME, headers=bearer(body["token"]))
    assert (me.status_code, me.get_json()) == (
        200,
        {"partner": {"id": partner.id, "name": "Zwembad De Meerkoet"}, "location": None,
         "role": "cashier"},
    )  # fmt: skip
    with app.test_request_context(ME, headers=bearer(body["token"])):
        principal = current_principal()
        assert principal is not None and principal.user is not None
        assert (principal.partner.id, principal.user.id) == (partner.id, user.id)
        assert (principal.device, principal.location) == (None, None)
        actor = principal.actor
        assert (actor.name, actor.role) == (f"partner:{user.username}", "cashier")
        assert not principal.is_manager


def test_a_manager_logs_in_only_with_the_code_from_the_app(
    app: Flask, client: FlaskClient, db: Session, partner: Partner, frozen_clock: FrozenClock
) -> None:
    user, password, secret = make_partner_user(db, partner, "manager")
    assert secret is not None
    without = client.post(TOKENS, json={"username": user.username, "password": password})
    wrong = client.post(TOKENS, json={"username": user.username, "password": "wrong password!"})
    unknown = client.post(TOKENS, json={"username": "niemand", "password": password})
    for refused in (without, wrong, unknown):
        assert refused.status_code == 401
        assert refused.headers["WWW-Authenticate"] == 'Bearer realm="almerepas"'
    assert without.get_json()["code"] == "unauthorized"
    assert {r.get_json()["title"] for r in (without, wrong, unknown)} == {
        "Inloggen lukt niet. Controleer uw gegevens."
    }

    code = pyotp.TOTP(secret).at(frozen_clock.moment)
    response = client.post(
        TOKENS, json={"username": user.username, "password": password, "totp_code": code}
    )
    assert response.status_code == 201
    assert response.get_json()["role"] == "manager"
    me = client.get(ME, headers=bearer(response.get_json()["token"]))
    assert me.get_json()["role"] == "manager"
    principal = principal_of(app, response.get_json()["token"])
    assert principal is not None and principal.is_manager


def test_five_failures_lock_the_account_and_the_refusals_are_kept(
    client: FlaskClient, db: Session, partner: Partner, frozen_clock: FrozenClock
) -> None:
    user, password, _secret = make_partner_user(db, partner)
    wrong = {"username": user.username, "password": "wrong password!"}
    for _ in range(4):
        assert client.post(TOKENS, json=wrong).get_json()["code"] == "unauthorized"
    locked = client.post(TOKENS, json=wrong)
    assert (locked.status_code, locked.get_json()["code"]) == (401, "account_locked")
    assert locked.headers["Retry-After"] == "900"
    right = client.post(TOKENS, json={"username": user.username, "password": password})
    assert right.get_json()["code"] == "account_locked"
    # The refusals were committed although each request answered 401.
    actions = db.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.entity_type == "partner_user", AuditEvent.action != "partner.user_create")
        .order_by(AuditEvent.id)
    )
    assert list(actions) == ["partner.user_login_failed"] * 4 + ["partner.user_lock"]


def test_logging_out_ends_the_token(
    app: Flask, client: FlaskClient, db: Session, partner: Partner, frozen_clock: FrozenClock
) -> None:
    user, password, _secret = make_partner_user(db, partner)
    login = client.post(TOKENS, json={"username": user.username, "password": password})
    token = login.get_json()["token"]
    assert client.get(ME, headers=bearer(token)).status_code == 200
    assert client.delete(CURRENT, headers=bearer(token)).status_code == 204
    assert principal_of(app, token) is None
    after = client.get(ME, headers=bearer(token))
    assert (after.status_code, after.get_json()["code"]) == (401, "partner_not_authenticated")
    again = client.delete(CURRENT, headers=bearer(token))
    assert (again.status_code, again.get_json()["code"]) == (401, "partner_not_authenticated")
    logout = db.scalars(select(AuditEvent).where(AuditEvent.action == "partner.user_logout")).one()
    assert (logout.actor, logout.role, logout.entity_id) == (
        f"partner:{user.username}",
        "cashier",
        str(user.id),
    )


def test_a_device_key_is_not_logged_out(
    client: FlaskClient, db: Session, partner: Partner, frozen_clock: FrozenClock
) -> None:
    _device, key = make_device(db, partner, make_location(db, partner))
    response = client.delete(CURRENT, headers=bearer(key))
    assert (response.status_code, response.get_json()["code"]) == (403, "forbidden")


@pytest.mark.parametrize("who", ["user", "partner"])
def test_a_deactivated_user_or_partner_cannot_log_in_and_its_tokens_stop_working(
    app: Flask,
    client: FlaskClient,
    db: Session,
    partner: Partner,
    frozen_clock: FrozenClock,
    who: str,
) -> None:
    user, password, _secret = make_partner_user(db, partner)
    credentials = {"username": user.username, "password": password}
    token = client.post(TOKENS, json=credentials).get_json()["token"]
    assert principal_of(app, token) is not None
    if who == "user":
        user.active = False
        db.flush()
    else:
        partners.deactivate_partner(db, partner, actor=TEST_ACTOR)
    assert principal_of(app, token) is None
    assert client.get(ME, headers=bearer(token)).status_code == 401
    assert client.delete(CURRENT, headers=bearer(token)).status_code == 401
    refused = client.post(TOKENS, json=credentials)
    assert (refused.status_code, refused.get_json()["code"]) == (401, "unauthorized")


def test_the_token_request_is_checked_before_anything_is_tried(
    client: FlaskClient, db: Session, partner: Partner
) -> None:
    user, _password, _secret = make_partner_user(db, partner)
    for body in (
        {"username": user.username},
        {"username": user.username, "password": PARTNER_PASSWORD, "totp_code": "12345"},
        {"username": "a\u0000b", "password": PARTNER_PASSWORD},
    ):
        response = client.post(TOKENS, json=body)
        assert (response.status_code, response.get_json()["code"]) == (400, "validation_failed")
    assert db.scalar(select(AuditEvent.id).where(AuditEvent.entity_type == "partner_user").where(
        AuditEvent.action != "partner.user_create")) is None  # fmt: skip
