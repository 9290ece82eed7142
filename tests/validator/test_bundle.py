"""The signed, numbered bundle: applied atomically, never rolled back, and a validator that knows
its data or its clock cannot be trusted says so instead of deciding."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from almerepas.validator import Refusal, Validator, ValidatorState, apply_bundle, refusals
from almerepas.validator.busclaim import seal
from almerepas.validator.formats import revocation_hash
from tests.factories import device_key, phone_code
from tests.validator.conftest import NOW, NOW_UNIX, Keys, b64, code_now, jwk_entry, jws

ROOT = device_key()
DAY = dt.timedelta(days=1)


def bundle(
    keys: Keys,
    *,
    seq: int = 10,
    generated_at: int = NOW_UNIX,
    since: int | None = None,
    revocations: list[list[Any]] | None = None,
    root: ec.EllipticCurvePrivateKey = ROOT,
    kid: str = "B1",
    entries: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> str:
    payload = {
        "v": 1,
        "seq": seq,
        "generated_at": generated_at,
        "cursor": generated_at,
        "since": since,
        "min_version": 1,
        "keys": {"keys": keys.entries if entries is None else entries},
        "revocations": revocations or [],
        **extra,
    }
    return jws({"alg": "ES256", "kid": kid}, payload, root)


def refusal_of(call: Any) -> str:
    with pytest.raises(Refusal) as refused:
        call()
    return refused.value.code


def test_a_validator_with_a_bundle_verifies_offline(keys: Keys, device: Any) -> None:
    validator = Validator(ROOT.public_key())
    validator.apply(bundle(keys), now=NOW, online=True)
    scan = validator.scan(code_now(keys, device), now=NOW)
    assert scan.verified.kind == "phone" and scan.warnings == ()
    assert refusal_of(lambda: validator.scan(code_now(keys, device), now=NOW)) != ""


def test_a_validator_without_a_bundle_decides_nothing(keys: Keys) -> None:
    validator = Validator(ROOT.public_key())
    assert refusal_of(lambda: validator.scan(keys.card_code(), now=NOW)) == refusals.DATA_STALE


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        ("another signer", refusals.BUNDLE_INVALID),
        ("changed payload", refusals.BUNDLE_INVALID),
        ("unknown root kid", refusals.BUNDLE_INVALID),
        ("alg none", refusals.BUNDLE_INVALID),
        ("extra header", refusals.BUNDLE_INVALID),
        ("bad key inside", refusals.BUNDLE_INVALID),
        ("not a JWS", refusals.BUNDLE_INVALID),
    ],
)
def test_a_bundle_that_is_not_ours_changes_nothing(keys: Keys, tamper: str, expected: str) -> None:
    good = bundle(keys)
    made = {
        "another signer": lambda: bundle(keys, root=device_key()),
        "changed payload": lambda: (
            good.split(".")[0] + "." + bundle(keys, seq=99).split(".")[1] + "." + good.split(".")[2]
        ),
        "unknown root kid": lambda: bundle(keys, kid="B9"),
        "alg none": lambda: jws({"alg": "none", "kid": "B1"}, b"{}", None),
        "extra header": lambda: jws(
            {"alg": "ES256", "kid": "B1", "jku": "https://evil.example"}, b"{}", ROOT
        ),
        "bad key inside": lambda: bundle(keys, entries=[{**keys.entries[0], "alg": "HS256"}]),
        "not a JWS": lambda: "garbage",
    }[tamper]()
    state = ValidatorState()
    roots = {"B1": ROOT.public_key()}
    assert refusal_of(lambda: apply_bundle(state, made, roots, now=NOW)) == expected


def test_a_lower_number_is_a_rollback_and_changes_nothing(keys: Keys, device: Any) -> None:
    revoked = revocation_hash(b64(b"pseudonym-01"), 1)
    validator = Validator(ROOT.public_key())
    validator.apply(bundle(keys, seq=5), now=NOW)
    validator.apply(bundle(keys, seq=6, revocations=[[revoked, NOW_UNIX + 3600]]), now=NOW)
    before = validator.state
    old = bundle(keys, seq=5)  # the older copy, without the revocation
    assert refusal_of(lambda: validator.apply(old, now=NOW)) == refusals.BUNDLE_ROLLBACK
    assert validator.state is before
    assert refusal_of(lambda: validator.scan(code_now(keys, device), now=NOW)) == refusals.REVOKED


def test_the_same_bundle_twice_changes_nothing(keys: Keys) -> None:
    state = apply_bundle(ValidatorState(), bundle(keys), ROOT.public_key(), now=NOW)
    again = apply_bundle(state, bundle(keys), ROOT.public_key(), now=NOW)
    assert (again.seq, dict(again.revocations)) == (state.seq, dict(state.revocations))


def test_a_delta_adds_revocations_and_a_gap_is_refused(keys: Keys) -> None:
    first = apply_bundle(
        ValidatorState(),
        bundle(keys, revocations=[["a" * 32, NOW_UNIX + 60]]),
        ROOT.public_key(),
        now=NOW,
    )
    delta = bundle(keys, seq=11, since=NOW_UNIX, revocations=[["b" * 32, NOW_UNIX + 60]])
    second = apply_bundle(first, delta, ROOT.public_key(), now=NOW)
    assert set(second.revocations) == {"a" * 32, "b" * 32}
    gap = bundle(keys, seq=12, since=NOW_UNIX + 100)
    assert refusal_of(lambda: apply_bundle(second, gap, ROOT.public_key(), now=NOW)) == (
        refusals.BUNDLE_GAP
    )
    full = apply_bundle(second, bundle(keys, seq=13), ROOT.public_key(), now=NOW)
    assert dict(full.revocations) == {}  # a full bundle replaces the list


def test_revocations_are_dropped_once_the_credential_expired(keys: Keys) -> None:
    entries = [["a" * 32, NOW_UNIX - 31], ["b" * 32, NOW_UNIX - 30]]
    state = apply_bundle(
        ValidatorState(), bundle(keys, revocations=entries), ROOT.public_key(), now=NOW
    )
    assert set(state.revocations) == {"b" * 32}


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (dt.timedelta(hours=47), ()),
        (dt.timedelta(hours=49), (refusals.DATA_STALE,)),  # decides, with a warning
        (7 * DAY, (refusals.DATA_STALE,)),
        (7 * DAY + dt.timedelta(seconds=1), refusals.DATA_STALE),  # decides nothing
    ],
)
def test_old_data_warns_then_refuses(
    keys: Keys, age: dt.timedelta, expected: tuple[str, ...] | str
) -> None:
    validator = Validator(ROOT.public_key())
    validator.apply(bundle(keys), now=NOW, online=True)
    later = NOW + age
    card = keys.card_code()
    if isinstance(expected, str):
        assert refusal_of(lambda: validator.scan(card, now=later)) == expected
    else:
        assert validator.scan(card, now=later).warnings == expected


@pytest.mark.parametrize(
    ("drift", "online", "unsynced"),
    [
        (dt.timedelta(seconds=10), True, False),
        (dt.timedelta(seconds=11), True, True),
        (dt.timedelta(seconds=-11), True, True),
        (dt.timedelta(hours=5), False, False),  # a second-hand copy says nothing about the clock
    ],
)
def test_a_clock_that_disagrees_at_an_online_sync_decides_nothing(
    keys: Keys, drift: dt.timedelta, online: bool, unsynced: bool
) -> None:
    validator = Validator(ROOT.public_key())
    validator.apply(bundle(keys), now=NOW + drift, online=online)
    card = keys.card_code()
    if unsynced:
        assert refusal_of(lambda: validator.scan(card, now=NOW + drift)) == (
            refusals.CLOCK_UNSYNCED
        )
        validator.apply(bundle(keys, seq=11), now=NOW, online=True)  # synced again: fine
    assert validator.scan(card, now=NOW + dt.timedelta(seconds=1)).verified.kind == "card"


def test_a_clock_behind_its_own_data_decides_nothing(keys: Keys) -> None:
    validator = Validator(ROOT.public_key())
    validator.apply(bundle(keys), now=NOW, online=True)
    earlier = NOW - dt.timedelta(minutes=5)
    assert refusal_of(lambda: validator.scan(keys.card_code(), now=earlier)) == (
        refusals.CLOCK_UNSYNCED
    )


def test_a_revoked_key_in_a_new_bundle_is_refused_at_the_next_scan(keys: Keys, device: Any) -> None:
    validator = Validator(ROOT.public_key())
    validator.apply(bundle(keys), now=NOW)
    assert validator.scan(code_now(keys, device), now=NOW).verified.kid == "P1"
    revoked = [jwk_entry(keys.phone, "P1", status="revoked"), keys.entries[1]]
    validator.apply(bundle(keys, seq=11, entries=revoked), now=NOW)
    later = NOW + dt.timedelta(seconds=30)
    code = code_now(keys, device)
    assert refusal_of(lambda: validator.scan(code, now=later)) == refusals.KEY_REVOKED


def test_the_bus_claim_is_read_only_with_the_operators_key(keys: Keys) -> None:
    operator, stranger, service = device_key(), device_key(), device_key()
    entries = [*keys.entries, jwk_entry(service, "E1", "bus")]
    codes = {}
    for free in (True, False):
        pseudonym = b"pseudonym-T1" if free else b"pseudonym-F1"
        claim = seal(
            free_in_first_month=free,
            free_in_last_month=free,
            pseudonym=pseudonym,
            service_key=service,
            operator_key=operator.public_key(),
        )
        assert len(claim) == 6
        holder = device_key()
        codes[free] = (holder, keys.credential(holder, p=b64(pseudonym), b=b64(claim)))
    for operator_keys, expected in (
        ([operator], {True: True, False: False}),
        ([stranger], {True: None, False: None}),
        ([], {True: None, False: None}),
    ):
        validator = Validator(ROOT.public_key(), operator_keys=operator_keys)
        validator.apply(bundle(keys, entries=entries), now=NOW)
        for free, (holder, credential) in codes.items():
            scan = validator.scan(phone_code(holder, credential, NOW), now=NOW)
            assert scan.verified.rides_free is expected[free]
