"""Every attack of the research note's table (qr-credentials.md §7) against the offline kit, each
with its refusal code; the codes that pass; and the time window at its edges. No database."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from almerepas.validator import KeyRegistry, Refusal, ReplayCache, refusals, verify
from almerepas.validator.formats import revocation_hash
from almerepas.validator.verify import Context
from tests.factories import device_key, holder_signature, phone_code, step_at
from tests.validator.conftest import (
    HOUR,
    NOW,
    NOW_UNIX,
    Check,
    Keys,
    b64,
    code_now,
    jwk_entry,
    jws,
    sign_es256,
)

#: the order of P-256, for the malleated (r, n - s) signature
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def malleate(signature: str) -> str:
    """(r, s) -> (r, n - s): another signature string that still verifies."""
    raw = base64.urlsafe_b64decode(signature + "==")
    r, s = raw[:32], int.from_bytes(raw[32:], "big")
    return b64(r + (P256_ORDER - s).to_bytes(32, "big"))


def hs256(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    """An HS256 token by hand (pyjwt refuses to make one with a public key as the secret)."""
    head = b64(json.dumps(header, separators=(",", ":")).encode())
    body = b64(json.dumps(claims, separators=(",", ":")).encode())
    mac = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(mac)}"


def with_holder(keys: Keys, device: ec.EllipticCurvePrivateKey, credential: str) -> str:
    return phone_code(device, credential, NOW)


# -- what passes ----------------------------------------------------------------------------------


def test_a_phone_code_passes_with_what_it_carries(keys: Keys, device: Any, check: Check) -> None:
    result = check(code_now(keys, device, g=3))
    assert (result.kind, result.generation, result.kid) == ("phone", 3, "P1")
    assert result.pseudonym == b64(b"pseudonym-01")
    assert result.step == step_at(NOW)
    assert result.rides_free is None  # this validator holds no operator key


def test_a_card_code_passes(keys: Keys, check: Check) -> None:
    result = check(keys.card_code(g=2))
    assert (result.kind, result.generation, result.kid, result.step) == ("card", 2, "C1", None)


def test_the_kit_accepts_bytes_as_a_scanner_hands_them(keys: Keys, check: Check) -> None:
    assert check(keys.card_code().encode("ascii")).kind == "card"


# -- every attack gets its code -------------------------------------------------------------------

Attack = Callable[[Keys, ec.EllipticCurvePrivateKey], str]


def _other_keys_signature(keys: Keys, device: Any) -> str:
    return with_holder(
        keys, device, jws({"alg": "ES256", "kid": "P1"}, keys.phone_claims(device), keys.other)
    )


def _changed_payload_byte(keys: Keys, device: Any) -> str:
    head, _body, sig = keys.credential(device).split(".")
    changed = b64(json.dumps(keys.phone_claims(device, g=2), separators=(",", ":")).encode())
    return with_holder(keys, device, f"{head}.{changed}.{sig}")


def _alg_none(keys: Keys, device: Any) -> str:
    return with_holder(
        keys, device, jws({"alg": "none", "kid": "P1"}, keys.phone_claims(device), None)
    )


def _public_key_pem(keys: Keys) -> bytes:
    return keys.phone.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)


def _public_key_raw(keys: Keys) -> bytes:
    return keys.phone.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)


def _hs256_pem(keys: Keys, device: Any) -> str:
    token = hs256({"alg": "HS256", "kid": "P1"}, keys.phone_claims(device), _public_key_pem(keys))
    return with_holder(keys, device, token)


def _hs256_raw(keys: Keys, device: Any) -> str:
    token = hs256({"alg": "HS256", "kid": "P1"}, keys.phone_claims(device), _public_key_raw(keys))
    return with_holder(keys, device, token)


def _hs256_jwk(keys: Keys, device: Any) -> str:
    secret = json.dumps(keys.entries[0]).encode()
    return with_holder(
        keys, device, hs256({"alg": "HS256", "kid": "P1"}, keys.phone_claims(device), secret)
    )


def _eddsa_under_es256_kid(keys: Keys, device: Any) -> str:
    ed = ed25519.Ed25519PrivateKey.generate()
    token = jwt.encode(
        keys.phone_claims(device), ed, algorithm="EdDSA", headers={"kid": "P1", "typ": None}
    )
    return with_holder(keys, device, token)


def _header(extra: dict[str, Any]) -> Attack:
    def build(keys: Keys, device: Any) -> str:
        header = {"alg": "ES256", "kid": "P1", **extra}
        return with_holder(keys, device, jws(header, keys.phone_claims(device), keys.phone))

    return build


def _kid(kid: Any) -> Attack:
    def build(keys: Keys, device: Any) -> str:
        header = {"alg": "ES256", "kid": kid}
        return with_holder(keys, device, jws(header, keys.phone_claims(device), keys.phone))

    return build


def _claims(**claims: Any) -> Attack:
    return lambda keys, device: with_holder(keys, device, keys.credential(device, **claims))


def _stale(keys: Keys, device: Any) -> str:
    return phone_code(device, keys.credential(device), step_at(NOW) - 2)


def _from_future(keys: Keys, device: Any) -> str:
    return phone_code(device, keys.credential(device), step_at(NOW) + 2)


def _no_holder_proof(keys: Keys, device: Any) -> str:
    return keys.credential(device)


def _another_device(keys: Keys, device: Any) -> str:
    return phone_code(device_key(), keys.credential(device), NOW)


def _proof_for_another_step(keys: Keys, device: Any) -> str:
    credential = keys.credential(device)
    step = step_at(NOW)
    return f"{credential}~{step}~{holder_signature(device, credential, step - 1)}"


def _proof_for_another_credential(keys: Keys, device: Any) -> str:
    credential, other = keys.credential(device), keys.credential(device, g=2)
    step = step_at(NOW)
    return f"{credential}~{step}~{holder_signature(device, other, step)}"


def _truncated(keys: Keys, device: Any) -> str:
    code = code_now(keys, device)
    return code[: len(code) // 2]


def _truncated_holder(keys: Keys, device: Any) -> str:
    return code_now(keys, device)[:-5]


def _ten_kb(keys: Keys, device: Any) -> str:
    return code_now(keys, device) + "A" * 10_000


def _card_where_a_phone_is_needed(keys: Keys, device: Any) -> str:
    return keys.card_code()


def _card_with_a_step(keys: Keys, device: Any) -> str:
    card = keys.card_code()
    return f"{card}~{step_at(NOW)}~{holder_signature(device, card, step_at(NOW))}"


def _card_key_mints_a_phone_credential(keys: Keys, device: Any) -> str:
    token = jws({"alg": "ES256", "kid": "C1"}, keys.phone_claims(device), keys.card)
    return with_holder(keys, device, token)


def _extra_claim(keys: Keys, device: Any) -> str:
    claims = {**keys.phone_claims(device), "tier": "minima"}
    return with_holder(keys, device, jws({"alg": "ES256", "kid": "P1"}, claims, keys.phone))


def _missing_claim(name: str) -> Attack:
    def build(keys: Keys, device: Any) -> str:
        claims = {k: v for k, v in keys.phone_claims(device).items() if k != name}
        return with_holder(keys, device, jws({"alg": "ES256", "kid": "P1"}, claims, keys.phone))

    return build


def _duplicate_header_key(keys: Keys, device: Any) -> str:
    header = b'{"alg":"ES256","kid":"P1","alg":"none"}'
    return with_holder(keys, device, jws(header, keys.phone_claims(device), keys.phone))


def _payload_not_json(keys: Keys, device: Any) -> str:
    return with_holder(keys, device, jws({"alg": "ES256", "kid": "P1"}, b"not json", keys.phone))


def _padded_base64(keys: Keys, device: Any) -> str:
    head, body, sig = keys.credential(device).split(".")
    return with_holder(keys, device, f"{head}=.{body}.{sig}")


ATTACKS: list[tuple[str, Attack, str]] = [
    ("another key's signature", _other_keys_signature, refusals.BAD_SIGNATURE),
    ("a changed payload byte", _changed_payload_byte, refusals.BAD_SIGNATURE),
    ("alg none", _alg_none, refusals.BAD_ALGORITHM),
    ("HS256 with the public key PEM as secret", _hs256_pem, refusals.BAD_ALGORITHM),
    ("HS256 with the raw public key bytes as secret", _hs256_raw, refusals.BAD_ALGORITHM),
    ("HS256 with the public JWK as secret", _hs256_jwk, refusals.BAD_ALGORITHM),
    ("EdDSA under an ES256 key id", _eddsa_under_es256_kid, refusals.BAD_ALGORITHM),
    ("unknown kid", _kid("P9"), refusals.UNKNOWN_KEY),
    ("kid path injection", _kid("../../etc/passwd"), refusals.UNKNOWN_KEY),
    ("kid SQL injection", _kid("P1' OR '1'='1"), refusals.UNKNOWN_KEY),
    ("kid as a URL", _kid("https://evil.example/key"), refusals.UNKNOWN_KEY),
    ("kid too long", _kid("P1234567X"), refusals.UNKNOWN_KEY),
    ("kid not a string", _kid(["P1"]), refusals.UNKNOWN_KEY),
    (
        "a card key mints a phone credential",
        _card_key_mints_a_phone_credential,
        refusals.UNKNOWN_KEY,
    ),
    ("jku header", _header({"jku": "https://evil.example/jwks"}), refusals.HEADER_NOT_ALLOWED),
    ("x5u header", _header({"x5u": "https://evil.example/cert"}), refusals.HEADER_NOT_ALLOWED),
    ("jwk header", _header({"jwk": {"kty": "EC"}}), refusals.HEADER_NOT_ALLOWED),
    ("x5c header", _header({"x5c": ["MIIB"]}), refusals.HEADER_NOT_ALLOWED),
    ("crit header", _header({"crit": ["exp"], "exp": 1}), refusals.HEADER_NOT_ALLOWED),
    ("typ header", _header({"typ": "JWT"}), refusals.HEADER_NOT_ALLOWED),
    ("expired", _claims(n=NOW_UNIX - 80 * HOUR, e=NOW_UNIX - 31), refusals.EXPIRED),
    ("not yet valid", _claims(n=NOW_UNIX + 31, e=NOW_UNIX + 72 * HOUR), refusals.NOT_YET_VALID),
    ("stale (a screenshot)", _stale, refusals.STALE),
    ("from the future", _from_future, refusals.FROM_FUTURE),
    ("phone credential without holder proof", _no_holder_proof, refusals.HOLDER_PROOF_MISSING),
    ("holder proof by another device", _another_device, refusals.HOLDER_PROOF_INVALID),
    ("holder proof for another step", _proof_for_another_step, refusals.HOLDER_PROOF_INVALID),
    (
        "holder proof for another credential",
        _proof_for_another_credential,
        refusals.HOLDER_PROOF_INVALID,
    ),
    ("truncated in the middle", _truncated, refusals.MALFORMED),
    ("truncated holder signature", _truncated_holder, refusals.MALFORMED),
    ("10 kB", _ten_kb, refusals.MALFORMED),
    ("a key given twice in the header", _duplicate_header_key, refusals.MALFORMED),
    ("payload not JSON", _payload_not_json, refusals.MALFORMED),
    ("padded base64", _padded_base64, refusals.MALFORMED),
    ("a missing e", _missing_claim("e"), refusals.MALFORMED),
    ("a missing n", _missing_claim("n"), refusals.MALFORMED),
    ("e as text", _claims(e=str(NOW_UNIX + HOUR)), refusals.MALFORMED),
    ("a claim that does not belong", _extra_claim, refusals.FORMAT_UNSUPPORTED),
    ("version 2", _claims(v=2), refusals.FORMAT_UNSUPPORTED),
    ("unknown type", _claims(t="xx"), refusals.FORMAT_UNSUPPORTED),
    ("a card code with a step", _card_with_a_step, refusals.FORMAT_UNSUPPORTED),
]


@pytest.mark.parametrize(
    ("attack", "expected"), [a[1:] for a in ATTACKS], ids=[a[0] for a in ATTACKS]
)
def test_every_attack_is_refused_with_its_code(
    keys: Keys, device: Any, check: Check, attack: Attack, expected: str
) -> None:
    with pytest.raises(Refusal) as refused:
        check(attack(keys, device))
    assert refused.value.code == expected


def test_a_card_where_a_phone_is_needed_is_not_supported(keys: Keys, check: Check) -> None:
    with pytest.raises(Refusal) as refused:
        check(keys.card_code(), context=Context(kinds=frozenset({"phone"})))
    assert refused.value.code == refusals.FORMAT_UNSUPPORTED


def test_below_the_minimum_version_is_not_supported(keys: Keys, device: Any, check: Check) -> None:
    with pytest.raises(Refusal) as refused:
        check(code_now(keys, device), context=Context(min_version=2))
    assert refused.value.code == refusals.FORMAT_UNSUPPORTED


@pytest.mark.parametrize(
    "code",
    [
        "",
        "~",
        "a.b",
        "a~b",
        "a.b.c~1~x~y",
        "éé.éé.éé",
        "eyJ0.eyJ0.\x00",
        "x" * 1201,
    ],
    ids=["empty", "tilde", "two segments", "two parts", "four parts", "not ASCII", "NUL", "1201"],
)
def test_what_is_no_code_at_all_is_malformed(check: Check, code: str) -> None:
    with pytest.raises(Refusal) as refused:
        check(code)
    assert refused.value.code == refusals.MALFORMED


@pytest.mark.parametrize("data", [b"\xff\xfe\x00garbage", b"eyJhbGciOiJ\xc3\x28", b"\x80" * 50])
def test_bytes_that_are_not_utf8_are_malformed(check: Check, data: bytes) -> None:
    with pytest.raises(Refusal) as refused:
        check(data)
    assert refused.value.code == refusals.MALFORMED


def test_the_raw_key_confusion_is_real_in_pyjwt_with_a_mixed_list(keys: Keys, device: Any) -> None:
    """Why the kit never passes pyjwt an algorithm list or key bytes: with both, the attacker's
    HS256 token is accepted by pyjwt itself (pyjwt 2.15; the note's §3). The kit refuses it."""
    token = hs256({"alg": "HS256", "kid": "P1"}, keys.phone_claims(device), _public_key_raw(keys))
    decoded = jwt.decode(token, key=_public_key_raw(keys), algorithms=["ES256", "HS256"])
    assert decoded["p"] == b64(b"pseudonym-01")


# -- keys: retired, compromised, rolled over ------------------------------------------------------


def _registry(keys: Keys, **phone: Any) -> KeyRegistry:
    entries = [jwk_entry(keys.phone, "P1", **phone), keys.entries[1]]
    return KeyRegistry.from_jwks({"keys": entries})


def test_a_retired_key_verifies_what_it_signed_before_it_stopped(
    keys: Keys, device: Any, check: Check
) -> None:
    registry = _registry(keys, status="retired", issue_until=NOW_UNIX - HOUR + 1)
    assert check(code_now(keys, device), registry=registry).kid == "P1"


def test_a_retired_key_cannot_sign_new_looking_credentials(
    keys: Keys, device: Any, check: Check
) -> None:
    registry = _registry(keys, status="retired", issue_until=NOW_UNIX - 2 * HOUR)
    with pytest.raises(Refusal) as refused:
        check(code_now(keys, device), registry=registry)
    assert refused.value.code == refusals.KEY_REVOKED


def test_a_key_does_not_sign_before_its_issuing_period(
    keys: Keys, device: Any, check: Check
) -> None:
    registry = _registry(keys, issue_from=NOW_UNIX)
    with pytest.raises(Refusal) as refused:
        check(code_now(keys, device), registry=registry)
    assert refused.value.code == refusals.KEY_REVOKED


def test_a_compromised_key_is_refused_at_once(keys: Keys, device: Any, check: Check) -> None:
    registry = _registry(keys, status="revoked")
    with pytest.raises(Refusal) as refused:
        check(code_now(keys, device), registry=registry)
    assert refused.value.code == refusals.KEY_REVOKED


def test_a_new_key_and_an_old_one_verify_side_by_side(keys: Keys, device: Any) -> None:
    new = device_key()
    registry = KeyRegistry.from_jwks(
        {
            "keys": [
                jwk_entry(keys.phone, "P1", issue_until=NOW_UNIX - 10),
                jwk_entry(new, "P2", issue_from=NOW_UNIX - 10),
            ]
        }
    )
    old_code = code_now(keys, device, n=NOW_UNIX - HOUR)
    claims = keys.phone_claims(device, n=NOW_UNIX - 5, p=b64(b"pseudonym-02"))
    new_code = phone_code(device, jws({"alg": "ES256", "kid": "P2"}, claims, new), NOW)
    for code, kid in ((old_code, "P1"), (new_code, "P2")):
        result = verify(
            code, registry=registry, now=NOW, replay=ReplayCache(), revocations=frozenset()
        )
        assert result.kid == kid


@pytest.mark.parametrize(
    "entry",
    [
        {"alg": "HS256"},
        {"alg": "none"},
        {"alg": "ES384"},
        {"family": "bus"},
        {"kid": "../x"},
        {"d": "private"},
        {"crv": "P-384"},
        {"issue_from": "yesterday"},
        {"x": "AAAA"},
    ],
    ids=lambda e: "-".join(f"{k}={v}" for k, v in e.items()),
)
def test_a_registry_refuses_a_key_that_is_not_one_algorithm_on_p256(
    keys: Keys, entry: dict[str, Any]
) -> None:
    with pytest.raises(ValueError):
        KeyRegistry.from_jwks({"keys": [{**jwk_entry(keys.phone, "P1"), **entry}]})


# -- replay, revocation ---------------------------------------------------------------------------


def test_the_same_code_twice_is_a_replay(keys: Keys, device: Any, check: Check) -> None:
    replay = ReplayCache()
    code = code_now(keys, device)
    check(code, replay=replay)
    with pytest.raises(Refusal) as refused:
        check(code, replay=replay)
    assert refused.value.code == refusals.REPLAYED


@pytest.mark.parametrize("which", ["holder", "issuer", "both"])
def test_a_malleated_signature_copy_is_still_a_replay(
    keys: Keys, device: Any, check: Check, which: str
) -> None:
    """(r, n - s) is another string that still verifies, so replay is keyed on (p, step), never
    on the text. A changed issuer signature changes the credential's hash that the holder
    signs, so that copy needs the device key too: the holder making two codes of one step."""
    replay = ReplayCache()
    code = code_now(keys, device)
    credential, step, holder = code.split("~")
    if which in ("issuer", "both"):
        head, body, issuer = credential.split(".")
        credential = f"{head}.{body}.{malleate(issuer)}"
        holder = holder_signature(device, credential, int(step))
    if which in ("holder", "both"):
        holder = malleate(holder)
    copy = f"{credential}~{step}~{holder}"
    assert copy != code
    assert check(copy).pseudonym == b64(b"pseudonym-01")  # on its own, the copy verifies
    check(code, replay=replay)
    with pytest.raises(Refusal) as refused:
        check(copy, replay=replay)
    assert refused.value.code == refusals.REPLAYED


def test_the_next_step_of_the_same_credential_is_no_replay(
    keys: Keys, device: Any, check: Check
) -> None:
    replay = ReplayCache()
    credential = keys.credential(device)
    check(phone_code(device, credential, step_at(NOW)), replay=replay)
    later = NOW + dt.timedelta(seconds=30)
    assert check(phone_code(device, credential, later), now=later, replay=replay).step == step_at(
        later
    )


@pytest.mark.parametrize("kind", ["phone", "card"])
def test_a_revoked_credential_is_refused(keys: Keys, device: Any, check: Check, kind: str) -> None:
    code = code_now(keys, device, g=4) if kind == "phone" else keys.card_code(g=4)
    pseudonym = b64(b"pseudonym-01") if kind == "phone" else b64(b"card-pseud01")
    with pytest.raises(Refusal) as refused:
        check(code, revocations=frozenset({revocation_hash(pseudonym, 4)}))
    assert refused.value.code == refusals.REVOKED
    assert refused.value.pseudonym == pseudonym
    # the same pseudonym of another generation is not on the list
    assert check(code, revocations=frozenset({revocation_hash(pseudonym, 3)})).generation == 4


# -- time at the edges (a frozen moment, never the wall clock) -----------------------------------

STEP_START = dt.datetime.fromtimestamp(step_at(NOW) * 30, dt.UTC)


@pytest.mark.parametrize(
    ("offset", "steps_back", "expected"),
    [
        (0, 1, None),
        (29.999, 1, None),
        (30, 1, refusals.STALE),  # now is one step on: the code is two steps old
        (0, 2, refusals.STALE),
        (0, 0, None),
        (0, -1, None),
        (0, -2, refusals.FROM_FUTURE),
        (29.999, -1, None),
        (30, -2, None),  # two steps ahead of the code's moment, one ahead of now's
    ],
)
def test_the_step_window_is_now_minus_one_to_now_plus_one(
    keys: Keys,
    device: Any,
    check: Check,
    offset: float,
    steps_back: int,
    expected: str | None,
) -> None:
    credential = keys.credential(device)
    code = phone_code(device, credential, step_at(STEP_START) - steps_back)
    now = STEP_START + dt.timedelta(seconds=offset)
    if expected is None:
        assert check(code, now=now).kind == "phone"
    else:
        with pytest.raises(Refusal) as refused:
            check(code, now=now)
        assert refused.value.code == expected


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"e": NOW_UNIX - 30}, None),  # within the 30-second leeway
        ({"e": NOW_UNIX - 31}, refusals.EXPIRED),
        ({"n": NOW_UNIX + 30}, None),
        ({"n": NOW_UNIX + 31}, refusals.NOT_YET_VALID),
    ],
)
def test_validity_at_the_edges_of_the_leeway(
    keys: Keys, check: Check, claims: dict[str, int], expected: str | None
) -> None:
    base = {"n": NOW_UNIX - HOUR, "e": NOW_UNIX + HOUR} | claims
    code = keys.card_code(**base)
    if expected is None:
        assert check(code).kind == "card"
    else:
        with pytest.raises(Refusal) as refused:
            check(code)
        assert refused.value.code == expected


def test_a_naive_moment_is_a_programming_error(keys: Keys, check: Check) -> None:
    with pytest.raises(ValueError):
        check(keys.card_code(), now=NOW.replace(tzinfo=None))


def test_hand_made_signatures_match_the_contract(keys: Keys) -> None:
    """The helpers that build attacks make real ES256 signatures (else every test is moot)."""
    token = keys.card_code()
    decoded = jwt.decode(
        token,
        keys.card.public_key(),
        algorithms=["ES256"],
        options={"verify_signature": True, "require": []},
    )
    assert decoded["t"] == "cd"
    assert sign_es256(keys.card, b"x") != sign_es256(keys.card, b"x")  # ECDSA is randomised
