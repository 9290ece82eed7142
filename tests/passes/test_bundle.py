"""The validator bundle the service makes: signed by the bundle key, numbered, nothing personal,
and what a validator needs to refuse revoked credentials and revoked keys."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from typing import Any

import pytest
from sqlalchemy.orm import Session

from almerepas.models import PassStatus
from almerepas.passes import keys as signing
from almerepas.passes.bundle import build_bundle, trust_root
from almerepas.passes.credentials import issue_card_credential, revoke_pass_credentials
from almerepas.validator import Refusal, Validator, refusals
from almerepas.validator.formats import revocation_hash
from almerepas.validator.registry import public_key_from_jwk
from tests.factories import KEYS, TEST_ACTOR, credential_pass
from tests.fixtures import START


def payload(bundle: str) -> dict[str, Any]:
    body = bundle.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return decoded


def validator(session: Session) -> Validator:
    return Validator(public_key_from_jwk(trust_root(session, now=START)))


def test_a_bundle_carries_keys_and_hashed_revocations_and_nothing_personal(keyed: Session) -> None:
    pass_ = credential_pass(keyed)
    card = issue_card_credential(keyed, pass_, keys=KEYS, now=START)
    revoke_pass_credentials(keyed, pass_, now=START)
    bundle = build_bundle(keyed, since=None, now=START, keys=KEYS)
    content = payload(bundle)
    assert set(content) == {
        "v", "seq", "generated_at", "cursor", "since", "min_version", "keys", "revocations"
    }  # fmt: skip
    assert content["generated_at"] == content["cursor"] == int(START.timestamp())
    assert content["seq"] == int(START.timestamp()) * 1000
    assert sorted(k["kid"] for k in content["keys"]["keys"]) == ["C1", "E1", "P1"]
    assert all("d" not in k for k in content["keys"]["keys"])
    p = json.loads(base64.urlsafe_b64decode(card.split(".")[1] + "=="))["p"]
    expiry = json.loads(base64.urlsafe_b64decode(card.split(".")[1] + "=="))["e"]
    assert content["revocations"] == [[revocation_hash(p, 1), expiry]]
    text = json.dumps(content)
    person = pass_.person
    for personal in (pass_.number, person.given_name, person.family_name, p):
        assert personal not in text
    assert not re.search(r"\b\d{9}\b", text)  # nothing BSN-like
    assert not re.search(r"\b\d{4} ?[A-Z]{2}\b", text)  # no postcode

    kit = validator(keyed)
    kit.apply(bundle, now=START, online=True)
    with pytest.raises(Refusal) as refused:
        kit.scan(card, now=START)
    assert refused.value.code == refusals.REVOKED


def test_a_delta_has_only_the_revocations_since_the_cursor(keyed: Session) -> None:
    first, second = credential_pass(keyed), credential_pass(keyed)
    issue_card_credential(keyed, first, keys=KEYS, now=START)
    issue_card_credential(keyed, second, keys=KEYS, now=START)
    revoke_pass_credentials(keyed, first, now=START)
    made = START + dt.timedelta(minutes=10)
    full = build_bundle(keyed, since=None, now=made, keys=KEYS)
    later = START + dt.timedelta(hours=1)
    revoke_pass_credentials(keyed, second, now=later)
    delta = build_bundle(keyed, since=payload(full)["cursor"], now=later, keys=KEYS)
    assert payload(delta)["since"] == payload(full)["cursor"]
    assert len(payload(delta)["revocations"]) == 1
    assert payload(delta)["seq"] > payload(full)["seq"]
    # one revoked within the overlap before the cursor comes again: applying it twice is harmless
    near = build_bundle(keyed, since=int(later.timestamp()) + 60, now=later, keys=KEYS)
    assert len(payload(near)["revocations"]) == 1
    kit = validator(keyed)
    kit.apply(full, now=made, online=True)
    kit.apply(delta, now=later, online=True)
    assert len(kit.state.revocations) == 2
    with pytest.raises(Refusal) as refused:
        kit.apply(full, now=later)
    assert refused.value.code == refusals.BUNDLE_ROLLBACK


def test_a_compromised_key_reaches_validators_with_the_next_bundle(keyed: Session) -> None:
    pass_ = credential_pass(keyed)
    card = issue_card_credential(keyed, pass_, keys=KEYS, now=START)
    kit = validator(keyed)
    kit.apply(build_bundle(keyed, since=None, now=START, keys=KEYS), now=START)
    assert kit.scan(card, now=START).verified.kind == "card"
    signing.retire(keyed, "C1", compromised=True, actor=TEST_ACTOR, now=START)
    later = START + dt.timedelta(minutes=5)
    kit.apply(build_bundle(keyed, since=kit.state.cursor, now=later, keys=KEYS), now=later)
    with pytest.raises(Refusal) as refused:
        kit.scan(card, now=later)
    assert refused.value.code == refusals.KEY_REVOKED


def test_a_validator_does_not_know_the_pass_status_only_its_revocations(keyed: Session) -> None:
    """Blocking a pass must revoke its credentials (the pass operations call
    revoke_pass_credentials): a validator knows no passes, only the revocation list."""
    pass_ = credential_pass(keyed)
    card = issue_card_credential(keyed, pass_, keys=KEYS, now=START)
    pass_.status = PassStatus.blocked
    kit = validator(keyed)
    kit.apply(build_bundle(keyed, since=None, now=START, keys=KEYS), now=START)
    assert kit.scan(card, now=START).verified.kind == "card"  # the status alone is not enough
    revoke_pass_credentials(keyed, pass_, now=START)
    kit.apply(build_bundle(keyed, since=kit.state.cursor, now=START, keys=KEYS), now=START)
    with pytest.raises(Refusal):
        kit.scan(card, now=START)
