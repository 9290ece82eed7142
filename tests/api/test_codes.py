"""GET /keys, GET /validator/bundle and POST /codes/verify: public keys, the bundle, and a code
checked at the desk, where every attack gets its 422 and its code, and none a 500."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from almerepas.models import KeyFamily, Role
from almerepas.passes import keys as signing
from almerepas.passes.credentials import issue_card_credential, issue_phone_credential
from almerepas.validator import Validator
from almerepas.validator.registry import public_key_from_jwk
from tests.factories import (
    KEYS,
    TEST_ACTOR,
    credential_pass,
    device_jwk,
    device_key,
    make_staff,
    phone_code,
    token_headers,
)
from tests.fixtures import START, FrozenClock
from tests.validator.conftest import Keys, jwk_entry
from tests.validator.test_verify import ATTACKS, Attack


@pytest.fixture
def desk(client: FlaskClient, keyed: Session, frozen_clock: FrozenClock) -> dict[str, str]:
    user, _, _ = make_staff(keyed, Role.caseworker, app=client.application)
    return token_headers(keyed, user)


def verify(client: FlaskClient, headers: dict[str, str], code: Any, **kw: Any) -> Any:
    return client.post("/api/v1/codes/verify", json={"code": code}, headers=headers, **kw)


def test_the_desk_checks_a_phone_and_a_card_code(
    client: FlaskClient, keyed: Session, desk: dict[str, str]
) -> None:
    pass_ = credential_pass(keyed)
    device = device_key()
    issued = issue_phone_credential(keyed, pass_, device_jwk(device), keys=KEYS, now=START)
    card = issue_card_credential(keyed, pass_, keys=KEYS, now=START)
    code = phone_code(device, issued.token, START)
    for sent, kind in ((code, "phone"), (card, "card")):
        response = verify(client, desk, sent)
        assert response.status_code == 200, response.get_json()
        assert response.get_json() == {"valid": True, "kind": kind, "pass_number": pass_.number}
    again = verify(client, desk, code)
    assert again.status_code == 422
    assert again.get_json()["code"] == "credential_replayed"
    english = verify(client, desk, code, query_string={"lang": "en"})
    assert english.get_json()["title"] == (
        "This code has been used already. Ask for the code that is on the screen now."
    )


@pytest.mark.parametrize(
    ("role", "status"),
    [(None, 401), (Role.finance, 403), (Role.policy, 403), (Role.auditor, 422)],
    ids=["anonymous", "finance", "policy", "auditor"],
)
def test_only_staff_who_may_see_passes_check_codes(
    client: FlaskClient, keyed: Session, frozen_clock: FrozenClock, role: Role | None, status: int
) -> None:
    headers = {}
    if role is not None:
        user, _, _ = make_staff(keyed, role, app=client.application)
        headers = token_headers(keyed, user)
    assert verify(client, headers, "garbage").status_code == status


@pytest.fixture
def month_old_keys(reference: Session) -> Session:
    """Keys made a month before START, as the attacks' credentials claim to be issued then."""
    signing.ensure_keys(reference, keys=KEYS, actor=TEST_ACTOR, now=START - dt.timedelta(days=30))
    return reference


def service_keys(session: Session) -> Keys:
    """The service's own phone and card keys, so an attack is signed exactly as ours would be."""
    phone = signing.signing_key(session, KeyFamily.phone, now=START)
    card = signing.signing_key(session, KeyFamily.card, now=START)
    keys = Keys(
        phone=signing.private_key(phone, keys=KEYS),
        card=signing.private_key(card, keys=KEYS),
    )
    keys.entries = [jwk_entry(keys.phone, "P1"), jwk_entry(keys.card, "C1", "card")]
    return keys


@pytest.mark.parametrize(
    ("attack", "expected"), [a[1:] for a in ATTACKS], ids=[a[0] for a in ATTACKS]
)
def test_every_attack_gets_its_code_through_the_api(
    client: FlaskClient,
    month_old_keys: Session,
    frozen_clock: FrozenClock,
    attack: Attack,
    expected: str,
) -> None:
    user, _, _ = make_staff(month_old_keys, Role.caseworker, app=client.application)
    desk = token_headers(month_old_keys, user)
    code = attack(service_keys(month_old_keys), device_key())
    response = verify(client, desk, code)
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert (body["code"], body["type"]) == (expected, f"urn:almerepas:problem:{expected}")


def test_a_compromised_key_is_refused_through_the_api_at_once(
    client: FlaskClient, keyed: Session, desk: dict[str, str]
) -> None:
    card = issue_card_credential(keyed, credential_pass(keyed), keys=KEYS, now=START)
    signing.retire(keyed, "C1", compromised=True, actor=TEST_ACTOR, now=START)
    keyed.commit()
    response = verify(client, desk, card)
    assert (response.status_code, response.get_json()["code"]) == (422, "key_revoked")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b'{"code": "\xff\xfe garbage"}', 400, "malformed_json"),
        (b'{"code": "\\udcff"}', 400, "validation_failed"),
        (json.dumps({"code": ""}).encode(), 400, "validation_failed"),
        (json.dumps({"code": 12}).encode(), 400, "validation_failed"),
        (json.dumps({"code": "x" * 20_001}).encode(), 400, "validation_failed"),
        (json.dumps({"code": "é" * 50}).encode(), 422, "credential_malformed"),
    ],
    ids=["not UTF-8", "lone surrogate", "empty", "a number", "over 20000", "not ASCII"],
)
def test_bytes_no_code_can_be_are_refused_not_crashed_on(
    client: FlaskClient, desk: dict[str, str], body: bytes, status: int, code: str
) -> None:
    response = client.post(
        "/api/v1/codes/verify",
        data=body,
        headers={**desk, "Content-Type": "application/json"},
    )
    assert (response.status_code, response.get_json()["code"]) == (status, code)


# -- the public keys and the bundle ---------------------------------------------------------------


def test_the_public_keys_are_a_cacheable_jwks_of_phone_and_card_keys(
    client: FlaskClient, keyed: Session, frozen_clock: FrozenClock
) -> None:
    signing.retire(keyed, "C1", actor=TEST_ACTOR, now=START)
    keyed.commit()
    response = client.get("/api/v1/keys")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    keys = response.get_json()["keys"]
    assert [(k["kid"], k["family"], k["status"], k["alg"]) for k in keys] == [
        ("C1", "card", "retired", "ES256"),
        ("P1", "phone", "active", "ES256"),
    ]
    for key in keys:
        assert "d" not in key and key["kty"] == "EC" and key["crv"] == "P-256"
        assert key["issue_from"] == int(START.timestamp())


def test_the_bundle_is_public_signed_and_takes_a_cursor(
    client: FlaskClient, keyed: Session, frozen_clock: FrozenClock
) -> None:
    keyed.commit()
    response = client.get("/api/v1/validator/bundle")
    assert response.status_code == 200
    validator = Validator(public_key_from_jwk(json.loads(json.dumps(_root(keyed)))))
    validator.apply(response.get_json()["bundle"], now=START, online=True)
    assert {r.kid for r in validator.state.registry} == {"P1", "C1", "E1"}
    delta = client.get("/api/v1/validator/bundle", query_string={"since": validator.state.cursor})
    assert delta.status_code == 200
    validator.apply(delta.get_json()["bundle"], now=START)
    assert client.get("/api/v1/validator/bundle?since=-1").status_code == 400
    assert client.get("/api/v1/validator/bundle?since=x").status_code == 400


def _root(session: Session) -> dict[str, Any]:
    from almerepas.passes.bundle import trust_root

    return trust_root(session, now=START)


def test_without_a_bundle_key_the_bundle_is_a_503_not_a_crash(
    client: FlaskClient, db: Session
) -> None:
    response = client.get("/api/v1/validator/bundle")
    assert (response.status_code, response.get_json()["code"]) == (503, "signing_key_missing")
    assert response.headers["Retry-After"] == "60"
