"""POST /mijn/passen/<number>/credential: a phone credential for the browser's own key, only for
a logged-in holder who may see that pass, only with the CSRF token, only for a P-256 key."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from almerepas.models import PassStatus
from tests.fixtures import FrozenClock
from tests.holders.helpers import family, member
from tests.web.test_holder_pages import browser, make_pass, signed_in

NUMBER = "300000000001"
BLOCKED = "300000000002"


def public_jwk() -> dict[str, str]:
    numbers = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()

    def b64(value: int) -> str:
        return base64.urlsafe_b64encode(value.to_bytes(32, "big")).rstrip(b"=").decode()

    return {"kty": "EC", "crv": "P-256", "x": b64(numbers.x), "y": b64(numbers.y)}


def ask(client: FlaskClient, number: str = NUMBER, key: object = None, csrf: bool = True):  # type: ignore[no-untyped-def]
    headers = {"Accept": "application/json"}
    if csrf:
        token = client.get("/mijn/csrf", headers={"Accept": "application/json"})
        headers["X-CSRFToken"] = token.get_json()["token"]
    body = {"device_key": public_jwk() if key is None else key}
    return client.post(f"/mijn/passen/{number}/credential", json=body, headers=headers)


@pytest.fixture
def mother_client(app: Flask, keyed: Session, frozen_clock: FrozenClock) -> FlaskClient:
    reference = keyed
    mother = member(family(reference), 0)
    make_pass(reference, mother, NUMBER)
    make_pass(reference, mother, BLOCKED, PassStatus.blocked)  # lost: its successor is NUMBER
    reference.commit()
    return signed_in(app, reference, mother)


def test_the_holder_gets_a_credential_for_her_browsers_key(
    mother_client: FlaskClient, frozen_clock: FrozenClock
) -> None:
    response = ask(mother_client)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"token", "expires_at", "refresh_after"}
    assert response.headers["Cache-Control"] == "no-store"
    now = frozen_clock.now()
    assert now < dt.datetime.fromisoformat(body["refresh_after"])
    assert dt.datetime.fromisoformat(body["refresh_after"]) < dt.datetime.fromisoformat(
        body["expires_at"]
    )


def test_without_the_csrf_token_it_is_refused(mother_client: FlaskClient) -> None:
    response = ask(mother_client, csrf=False)
    assert (response.status_code, response.get_json()["code"]) == (400, "csrf_failed")


def test_without_a_login_there_is_no_credential(app: Flask, reference: Session) -> None:
    client = browser(app)
    client.environ_base["HTTP_ACCEPT"] = "application/json"
    assert client.get("/mijn/csrf").status_code == 401


@pytest.mark.parametrize(
    "key",
    [
        {"kty": "RSA", "n": "x", "e": "AQAB"},
        {"kty": "EC", "crv": "P-384", "x": "A" * 64, "y": "A" * 64},
        {"kty": "EC", "crv": "P-256", "x": "A" * 43},
        {"kty": "EC", "crv": "P-256", "x": "A" * 43, "y": "A" * 42 + "="},
        "not a key",
    ],
)
def test_anything_but_a_p256_public_key_is_refused(mother_client: FlaskClient, key: object) -> None:
    response = ask(mother_client, key=key)
    assert (response.status_code, response.get_json()["code"]) == (400, "validation_failed")


def test_a_pass_of_another_household_or_her_own_blocked_pass_gets_nothing(
    mother_client: FlaskClient, reference: Session
) -> None:
    stranger = member(family(reference, email="ander@example.nl"), 0)
    make_pass(reference, stranger, "300000000009")
    reference.commit()
    assert ask(mother_client, "300000000009").status_code == 404
    assert ask(mother_client, BLOCKED).status_code == 404
    assert ask(mother_client, "not-a-number").status_code == 404
