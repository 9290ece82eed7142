"""Signing keys: made on a new installation, rotated with old keys still verifying, retired,
revoked at once when compromised, never stored or published in the clear."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.core.crypto import Keyring
from almerepas.models import AuditEvent, KeyFamily, KeyStatus, SigningKey
from almerepas.passes import keys as signing
from almerepas.passes.credential_errors import (
    KeyAlreadyRetired,
    KeyAlreadyRevoked,
    KeyNotFound,
    KeyRevoked,
    OperatorKeyInvalid,
    SigningKeyMissing,
)
from almerepas.passes.credentials import issue_card_credential, issue_phone_credential
from almerepas.passes.verify import verify_code
from tests.factories import (
    KEYS,
    TEST_ACTOR,
    TEST_SECRET_KEY,
    credential_pass,
    device_jwk,
    device_key,
    phone_code,
)
from tests.fixtures import START

WEEK = dt.timedelta(days=7)


def kids(session: Session) -> dict[str, str]:
    return {k.kid: k.family.value for k in signing.all_keys(session)}


def test_a_new_installation_gets_one_key_per_family_once(db: Session) -> None:
    made = signing.ensure_keys(db, keys=KEYS, actor=TEST_ACTOR, now=START)
    assert kids(db) == {"P1": "phone", "C1": "card", "B1": "bundle", "E1": "bus"}
    assert all(k.issue_from == START and k.status == KeyStatus.active for k in made)
    assert signing.ensure_keys(db, keys=KEYS, actor=TEST_ACTOR, now=START) == []
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "key.rotate")).all()
    assert sorted(e.changes["kid"] for e in events if e.changes) == ["B1", "C1", "E1", "P1"]


def test_a_private_key_is_stored_encrypted_and_never_published(db: Session) -> None:
    signing.ensure_keys(db, keys=KEYS, actor=TEST_ACTOR, now=START)
    for key in signing.all_keys(db):
        token = key.private_key_encrypted
        assert token is not None and b"PRIVATE KEY" not in token
        private = serialization.load_pem_private_key(KEYS.decrypt(token).encode(), None)
        assert signing.public_key(key).public_numbers() == private.public_key().public_numbers()
        assert "d" not in key.public_jwk
    published = signing.jwks(db, list(KeyFamily), now=START)
    assert published["keys"] and all(
        set(entry) == {"kty", "crv", "x", "y", "kid", "alg", "use", "family", "status",
                       "issue_from", "issue_until", "verify_until"}
        for entry in published["keys"]
    )  # fmt: skip


def test_rotation_publishes_ahead_and_the_old_key_verifies_what_it_signed(
    reference: Session,
) -> None:
    db = reference
    signing.ensure_keys(db, keys=KEYS, actor=TEST_ACTOR, now=START)
    pass_ = credential_pass(db)
    device = device_key()
    old = issue_phone_credential(db, pass_, device_jwk(device), keys=KEYS, now=START)

    [new] = signing.rotate(db, families=[KeyFamily.phone], keys=KEYS, actor=TEST_ACTOR, now=START)
    assert (new.kid, new.issue_from) == ("P2", START + WEEK)
    p1 = signing.by_kid(db, "P1")
    assert p1.issue_until == START + WEEK
    assert p1.verify_until == START + WEEK + signing.PHONE_VALIDITY
    # both are published now; the old one signs until the new one starts
    assert [k["kid"] for k in signing.jwks(db, [KeyFamily.phone], now=START)["keys"]] == [
        "P1",
        "P2",
    ]
    assert (
        signing.signing_key(db, KeyFamily.phone, now=START + WEEK - dt.timedelta(seconds=1)).kid
        == "P1"
    )
    assert signing.signing_key(db, KeyFamily.phone, now=START + WEEK).kid == "P2"

    late = START + WEEK + dt.timedelta(hours=1)
    fresh = issue_phone_credential(db, pass_, device_jwk(device), keys=KEYS, now=late)
    # the credential signed by P1 still verifies at the end of its life, next to P2's
    end_of_old = START + signing.PHONE_VALIDITY - dt.timedelta(seconds=1)
    assert verify_code(db, phone_code(device, old.token, end_of_old), now=end_of_old, keys=KEYS)
    assert verify_code(db, phone_code(device, fresh.token, late), now=late, keys=KEYS)
    # once everything P1 signed has expired, validators no longer get it
    gone = START + WEEK + signing.PHONE_VALIDITY + dt.timedelta(seconds=1)
    assert [k["kid"] for k in signing.jwks(db, [KeyFamily.phone], now=gone)["keys"]] == ["P2"]


def test_rotation_without_publishing_ahead_signs_at_once(db: Session) -> None:
    signing.ensure_keys(db, keys=KEYS, actor=TEST_ACTOR, now=START)
    signing.rotate(
        db,
        families=[KeyFamily.card],
        keys=KEYS,
        actor=TEST_ACTOR,
        now=START,
        publish_ahead=dt.timedelta(0),
    )
    assert signing.signing_key(db, KeyFamily.card, now=START).kid == "C2"


def test_a_retired_key_signs_nothing_new_but_verifies_what_it_signed(reference: Session) -> None:
    db = reference
    signing.ensure_keys(db, keys=KEYS, actor=TEST_ACTOR, now=START)
    pass_ = credential_pass(db)
    card = issue_card_credential(db, pass_, keys=KEYS, now=START)
    later = START + dt.timedelta(hours=1)
    key = signing.retire(db, "C1", actor=TEST_ACTOR, now=later)
    assert (key.status, key.issue_until) == (KeyStatus.retired, later)
    assert verify_code(db, card, now=later, keys=KEYS).kind == "card"
    with pytest.raises(SigningKeyMissing):
        issue_card_credential(db, pass_, keys=KEYS, now=later)
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "key.retire")).one()
    assert event.changes == {"kid": "C1", "status": ["active", "retired"]}


def test_a_compromised_key_is_refused_at_once(reference: Session) -> None:
    db = reference
    signing.ensure_keys(db, keys=KEYS, actor=TEST_ACTOR, now=START)
    pass_ = credential_pass(db)
    device = device_key()
    issued = issue_phone_credential(db, pass_, device_jwk(device), keys=KEYS, now=START)
    signing.retire(db, "P1", compromised=True, actor=TEST_ACTOR, now=START)
    with pytest.raises(KeyRevoked):
        verify_code(db, phone_code(device, issued.token, START), now=START, keys=KEYS)
    # a new key signs at once: the family has none that signs
    signing.ensure_keys(db, keys=KEYS, actor=TEST_ACTOR, now=START)
    renewed = issue_phone_credential(db, pass_, device_jwk(device), keys=KEYS, now=START)
    assert verify_code(db, phone_code(device, renewed.token, START), now=START, keys=KEYS)


def test_retiring_refuses_what_cannot_be(db: Session) -> None:
    signing.ensure_keys(db, keys=KEYS, actor=TEST_ACTOR, now=START)
    with pytest.raises(KeyNotFound):
        signing.retire(db, "P9", actor=TEST_ACTOR, now=START)
    with pytest.raises(KeyNotFound):
        signing.retire(db, "P1' OR '1'='1", actor=TEST_ACTOR, now=START)
    signing.retire(db, "P1", actor=TEST_ACTOR, now=START)
    with pytest.raises(KeyAlreadyRetired):
        signing.retire(db, "P1", actor=TEST_ACTOR, now=START)
    assert signing.retire(db, "P1", compromised=True, actor=TEST_ACTOR, now=START).status == (
        KeyStatus.revoked
    )
    with pytest.raises(KeyAlreadyRevoked):
        signing.retire(db, "P1", compromised=True, actor=TEST_ACTOR, now=START)


def test_rewrap_moves_every_private_key_to_the_newest_environment_key(db: Session) -> None:
    old = Fernet.generate_key().decode()
    before = Keyring.from_config(secret_key=TEST_SECRET_KEY, encryption_keys=[old])
    signing.ensure_keys(db, keys=before, actor=TEST_ACTOR, now=START)
    new = Fernet.generate_key().decode()
    after = Keyring.from_config(secret_key=TEST_SECRET_KEY, encryption_keys=[new, old])
    assert signing.rewrap(db, keys=after, actor=TEST_ACTOR) == 4
    only_new = Keyring.from_config(secret_key=TEST_SECRET_KEY, encryption_keys=[new])
    for key in signing.all_keys(db):
        assert key.private_key_encrypted is not None
        assert "PRIVATE KEY" in only_new.decrypt(key.private_key_encrypted)
    assert signing.rewrap(db, keys=after, actor=TEST_ACTOR) == 0


def test_an_operator_key_is_imported_public_only(db: Session) -> None:
    operator = device_key()
    pem = operator.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key = signing.import_operator_key(db, pem.decode(), actor=TEST_ACTOR, now=START)
    assert (key.kid, key.private_key_encrypted) == ("O1", None)
    second = signing.import_operator_key(
        db, json.dumps(device_jwk(device_key())), actor=TEST_ACTOR, now=START
    )
    assert second.kid == "O2" and signing.by_kid(db, "O1").issue_until == START
    assert signing.current_key(db, KeyFamily.operator, now=START) is second


@pytest.mark.parametrize(
    "text",
    [
        "not a key",
        '{"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"}',
        '{"kty": "EC", "crv": "P-256", "x": "x", "y": "y", "d": "secret"}',
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
    ],
)
def test_an_operator_key_that_is_no_public_p256_key_is_refused(db: Session, text: str) -> None:
    with pytest.raises(OperatorKeyInvalid):
        signing.import_operator_key(db, text, actor=TEST_ACTOR, now=START)
    assert db.scalars(select(SigningKey)).all() == []
