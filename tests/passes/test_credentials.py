"""Issuing phone and card credentials, and revoking those of a pass."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.core import clock
from almerepas.models import Credential, CredentialKind, Grant, KeyFamily, PassStatus, Scheme
from almerepas.passes import keys as signing
from almerepas.passes.credential_errors import (
    CredentialRevoked,
    DeviceKeyInvalid,
    PassBlocked,
    PassExpired,
    PassReplaced,
    SigningKeyMissing,
)
from almerepas.passes.credentials import (
    issue_card_credential,
    issue_phone_credential,
    revoke_pass_credentials,
)
from almerepas.passes.verify import verify_code
from almerepas.validator.busclaim import BusKeys
from tests.factories import (
    KEYS,
    TEST_ACTOR,
    credential_pass,
    device_jwk,
    device_key,
    phone_code,
)
from tests.fixtures import START


def claims(token: str) -> dict[str, Any]:
    payload = token.split("~")[0].split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


def header(token: str) -> dict[str, Any]:
    head = token.split(".")[0]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    return decoded


def test_a_phone_credential_binds_the_device_and_carries_only_what_verification_needs(
    keyed: Session,
) -> None:
    pass_ = credential_pass(keyed, generation=2)
    device = device_key()
    issued = issue_phone_credential(keyed, pass_, device_jwk(device), keys=KEYS, now=START)
    assert header(issued.token) == {"alg": "ES256", "kid": "P1"}
    got = claims(issued.token)
    assert set(got) == {"v", "t", "p", "g", "k", "n", "e", "b"}
    assert (got["v"], got["t"], got["g"]) == (1, "ph", 2)
    point = device.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
    )
    assert base64.urlsafe_b64decode(got["k"] + "=") == point
    assert got["n"] == int(START.timestamp())
    assert got["e"] - got["n"] == 72 * 3600
    assert issued.expires_at == START + dt.timedelta(hours=72)
    assert issued.refresh_after == START + dt.timedelta(hours=24)
    assert len(base64.urlsafe_b64decode(got["p"] + "==")) == 12
    record = keyed.scalars(select(Credential)).one()
    assert (record.pseudonym, record.pass_id, record.generation, record.kind, record.kid) == (
        got["p"],
        pass_.id,
        2,
        CredentialKind.phone,
        "P1",
    )
    assert record.expires_at == issued.expires_at and record.revoked_at is None


def test_every_credential_gets_a_new_pseudonym(keyed: Session) -> None:
    pass_ = credential_pass(keyed)
    device = device_jwk(device_key())
    tokens = [
        issue_phone_credential(keyed, pass_, device, keys=KEYS, now=START).token for _ in range(5)
    ]
    tokens.append(issue_card_credential(keyed, pass_, keys=KEYS, now=START))
    assert len({claims(t)["p"] for t in tokens}) == 6


def test_a_card_credential_is_valid_until_the_end_of_the_passs_last_day_in_almere(
    keyed: Session,
) -> None:
    pass_ = credential_pass(keyed, valid_until=dt.date(2026, 12, 31))
    token = issue_card_credential(keyed, pass_, keys=KEYS, now=START)
    assert header(token) == {"alg": "ES256", "kid": "C1"}
    got = claims(token)
    assert set(got) == {"v", "t", "p", "g", "n", "e"} and got["t"] == "cd"
    last = dt.datetime.fromtimestamp(got["e"], dt.UTC).astimezone(clock.LOCAL)
    assert last == dt.datetime(2026, 12, 31, 23, 59, 59, tzinfo=clock.LOCAL)


def test_a_card_is_never_valid_for_more_than_two_years(keyed: Session) -> None:
    pass_ = credential_pass(keyed, valid_until=dt.date(2035, 1, 1))
    got = claims(issue_card_credential(keyed, pass_, keys=KEYS, now=START))
    assert got["e"] - got["n"] == int(signing.CARD_MAX_VALIDITY.total_seconds())


@pytest.mark.parametrize(
    "jwk",
    [
        {"kty": "EC", "crv": "P-384", "x": "AAAA", "y": "AAAA"},
        {"kty": "RSA", "n": "AAAA", "e": "AQAB"},
        {"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"},
        {"kty": "EC", "crv": "P-256"},
        "not a dict",
    ],
    ids=["P-384", "RSA", "not on the curve", "no coordinates", "text"],
)
def test_a_device_key_that_is_no_public_p256_key_is_refused(keyed: Session, jwk: Any) -> None:
    pass_ = credential_pass(keyed)
    with pytest.raises(DeviceKeyInvalid):
        issue_phone_credential(keyed, pass_, jwk, keys=KEYS, now=START)


def test_a_private_device_key_is_refused(keyed: Session) -> None:
    device = device_key()
    private = {**device_jwk(device), "d": "c2VjcmV0"}
    with pytest.raises(DeviceKeyInvalid):
        issue_phone_credential(keyed, credential_pass(keyed), private, keys=KEYS, now=START)


def test_webcryptos_export_with_ext_and_key_ops_is_accepted(keyed: Session) -> None:
    jwk: dict[str, Any] = {**device_jwk(device_key()), "ext": True, "key_ops": ["verify"]}
    assert issue_phone_credential(keyed, credential_pass(keyed), jwk, keys=KEYS, now=START).token


@pytest.mark.parametrize(
    ("status", "valid_until", "refusal"),
    [
        (PassStatus.blocked, dt.date(2026, 12, 31), PassBlocked),
        (PassStatus.replaced, dt.date(2026, 12, 31), PassReplaced),
        (PassStatus.expired, dt.date(2026, 12, 31), PassExpired),
        (PassStatus.active, dt.date(2026, 3, 1), PassExpired),
    ],
)
def test_no_credential_for_a_pass_that_is_not_active(
    keyed: Session, status: PassStatus, valid_until: dt.date, refusal: type[Exception]
) -> None:
    pass_ = credential_pass(keyed, valid_until=valid_until)
    pass_.status = status
    with pytest.raises(refusal):
        issue_phone_credential(keyed, pass_, device_jwk(device_key()), keys=KEYS, now=START)
    with pytest.raises(refusal):
        issue_card_credential(keyed, pass_, keys=KEYS, now=START)


def test_without_a_signing_key_nothing_is_issued(reference: Session) -> None:
    pass_ = credential_pass(reference)
    with pytest.raises(SigningKeyMissing):
        issue_card_credential(reference, pass_, keys=KEYS, now=START)


def test_revoking_lists_every_outstanding_credential_of_the_pass(keyed: Session) -> None:
    pass_, other = credential_pass(keyed), credential_pass(keyed)
    device = device_key()
    old = issue_phone_credential(keyed, pass_, device_jwk(device), keys=KEYS, now=START)
    now = START + dt.timedelta(days=4)  # the first one has expired by now
    phone = issue_phone_credential(keyed, pass_, device_jwk(device), keys=KEYS, now=now)
    card = issue_card_credential(keyed, pass_, keys=KEYS, now=now)
    kept = issue_card_credential(keyed, other, keys=KEYS, now=now)

    assert revoke_pass_credentials(keyed, pass_, now=now) == 2
    assert revoke_pass_credentials(keyed, pass_, now=now) == 0  # once is enough
    revoked = set(
        keyed.scalars(select(Credential.pseudonym).where(Credential.revoked_at.is_not(None)))
    )
    assert revoked == {claims(phone.token)["p"], claims(card)["p"]}
    assert claims(old.token)["p"] not in revoked
    with pytest.raises(CredentialRevoked):
        verify_code(keyed, card, now=now, keys=KEYS)
    with pytest.raises(CredentialRevoked):
        verify_code(keyed, phone_code(device, phone.token, now), now=now, keys=KEYS)
    assert verify_code(keyed, kept, now=now, keys=KEYS).pass_id == other.id


# -- the bus claim ---------------------------------------------------------------------------------


def free_bus(session: Session, person_id: int, period: str) -> None:
    scheme = session.scalars(select(Scheme).where(Scheme.code == "ov")).one()
    session.add(
        Grant(
            scheme_id=scheme.id,
            period=period,
            beneficiary_key=f"person:{person_id}",
            person_id=person_id,
            amount=0,
        )
    )
    session.flush()


@pytest.fixture
def operator(keyed: Session) -> ec.EllipticCurvePrivateKey:
    key = device_key()
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing.import_operator_key(keyed, pem.decode(), actor=TEST_ACTOR, now=START)
    return key


def rides_free(
    keyed: Session, token: str, operator: ec.EllipticCurvePrivateKey, at: dt.datetime
) -> bool | None:
    got = claims(token)
    bus = signing.current_key(keyed, KeyFamily.bus, now=START)
    assert bus is not None
    reader = BusKeys.derive([operator], [signing.public_key(bus)])
    return reader.rides_free(
        base64.urlsafe_b64decode(got["b"] + "=="),
        pseudonym=base64.urlsafe_b64decode(got["p"] + "=="),
        not_before=got["n"],
        expires=got["e"],
        now=int(at.timestamp()),
    )


def test_the_bus_claim_says_who_rides_free_to_the_operator_only(
    keyed: Session, operator: ec.EllipticCurvePrivateKey
) -> None:
    free, paying = credential_pass(keyed), credential_pass(keyed)
    free_bus(keyed, free.person_id, "2026-03")
    tokens = {
        p: issue_phone_credential(keyed, p, device_jwk(device_key()), keys=KEYS, now=START).token
        for p in (free, paying)
    }
    assert rides_free(keyed, tokens[free], operator, START) is True
    assert rides_free(keyed, tokens[paying], operator, START) is False
    # the same size for both, and nobody without the operator's key reads it
    assert len(claims(tokens[free])["b"]) == len(claims(tokens[paying])["b"]) == 8
    assert rides_free(keyed, tokens[free], device_key(), START) is None


def test_the_bus_claim_follows_the_month_across_its_boundary(
    keyed: Session, operator: ec.EllipticCurvePrivateKey
) -> None:
    pass_ = credential_pass(keyed)
    free_bus(keyed, pass_.person_id, "2026-03")
    issued_at = dt.datetime(2026, 3, 30, 12, 0, tzinfo=clock.LOCAL)
    token = issue_phone_credential(
        keyed, pass_, device_jwk(device_key()), keys=KEYS, now=issued_at
    ).token
    last_minute = dt.datetime(2026, 3, 31, 23, 59, tzinfo=clock.LOCAL)
    first_minute = dt.datetime(2026, 4, 1, 0, 0, tzinfo=clock.LOCAL)
    assert rides_free(keyed, token, operator, last_minute) is True
    assert rides_free(keyed, token, operator, first_minute) is False


def test_without_an_operator_key_the_claim_is_the_same_size_and_says_nothing(
    keyed: Session,
) -> None:
    pass_ = credential_pass(keyed)
    free_bus(keyed, pass_.person_id, "2026-03")
    token = issue_phone_credential(
        keyed, pass_, device_jwk(device_key()), keys=KEYS, now=START
    ).token
    assert len(claims(token)["b"]) == 8
    assert rides_free(keyed, token, device_key(), START) is None
