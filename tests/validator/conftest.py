"""What the kit's tests need and nothing else: keys, a registry, and tokens minted by hand with
pyjwt and cryptography (not with the service's code), so each attack can be built exactly."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from almerepas.validator import KeyRegistry, ReplayCache, verify
from almerepas.validator.verify import Context, Verified
from tests.factories import device_key, phone_code
from tests.fixtures import START

NOW = START
NOW_UNIX = int(NOW.timestamp())
HOUR = 3600


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def jwk_entry(
    key: ec.EllipticCurvePrivateKey, kid: str, family: str = "phone", **extra: Any
) -> dict[str, Any]:
    numbers = key.public_key().public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64(numbers.x.to_bytes(32, "big")),
        "y": b64(numbers.y.to_bytes(32, "big")),
        "kid": kid,
        "alg": "ECDH-P256" if family == "bus" else "ES256",
        "family": family,
        "status": "active",
        "issue_from": NOW_UNIX - 30 * 24 * HOUR,
        "issue_until": None,
        "verify_until": None,
        **extra,
    }


def sign_es256(key: ec.EllipticCurvePrivateKey, signing_input: bytes) -> str:
    r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
    return b64(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def jws(
    header: dict[str, Any] | bytes,
    claims: dict[str, Any] | bytes,
    key: ec.EllipticCurvePrivateKey | None,
) -> str:
    """A compact JWS built by hand: any header, any payload; ES256 by ``key`` (empty signature
    without a key)."""
    head = header if isinstance(header, bytes) else json.dumps(header, separators=(",", ":"))
    body = claims if isinstance(claims, bytes) else json.dumps(claims, separators=(",", ":"))
    head_b = head if isinstance(head, bytes) else head.encode()
    body_b = body if isinstance(body, bytes) else body.encode()
    signing_input = f"{b64(head_b)}.{b64(body_b)}"
    signature = sign_es256(key, signing_input.encode()) if key is not None else ""
    return f"{signing_input}.{signature}"


@dataclass
class Keys:
    """The service's keys in a test, and a registry of them."""

    phone: ec.EllipticCurvePrivateKey = field(default_factory=device_key)
    card: ec.EllipticCurvePrivateKey = field(default_factory=device_key)
    other: ec.EllipticCurvePrivateKey = field(default_factory=device_key)
    entries: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.entries = [jwk_entry(self.phone, "P1"), jwk_entry(self.card, "C1", "card")]

    @property
    def registry(self) -> KeyRegistry:
        return KeyRegistry.from_jwks({"keys": self.entries})

    def phone_claims(self, device: ec.EllipticCurvePrivateKey, **claims: Any) -> dict[str, Any]:
        point = device.public_key().public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
        base = {
            "v": 1,
            "t": "ph",
            "p": b64(b"pseudonym-01"),
            "g": 1,
            "k": b64(point),
            "n": NOW_UNIX - HOUR,
            "e": NOW_UNIX + 71 * HOUR,
            "b": b64(bytes(6)),
        }
        return {**base, **claims}

    def card_claims(self, **claims: Any) -> dict[str, Any]:
        base = {
            "v": 1,
            "t": "cd",
            "p": b64(b"card-pseud01"),
            "g": 1,
            "n": NOW_UNIX - 24 * HOUR,
            "e": NOW_UNIX + 200 * 24 * HOUR,
        }
        return {**base, **claims}

    def credential(
        self, device: ec.EllipticCurvePrivateKey, *, kid: str = "P1", **claims: Any
    ) -> str:
        return jws({"alg": "ES256", "kid": kid}, self.phone_claims(device, **claims), self.phone)

    def card_code(self, *, kid: str = "C1", **claims: Any) -> str:
        return jws({"alg": "ES256", "kid": kid}, self.card_claims(**claims), self.card)


@pytest.fixture
def keys() -> Keys:
    return Keys()


@pytest.fixture
def device() -> ec.EllipticCurvePrivateKey:
    return device_key()


Check = Callable[..., Verified]


@pytest.fixture
def check(keys: Keys) -> Check:
    """verify() with the test's registry, a fresh replay memory per call unless given, no
    revocations unless given, at NOW unless given."""

    def run(
        code: str | bytes,
        *,
        now: dt.datetime = NOW,
        replay: ReplayCache | None = None,
        revocations: frozenset[str] = frozenset(),
        context: Context | None = None,
        registry: KeyRegistry | None = None,
    ) -> Verified:
        return verify(
            code,
            registry=registry or keys.registry,
            now=now,
            replay=replay or ReplayCache(),
            revocations=revocations,
            context=context or Context(),
        )

    return run


def code_now(keys: Keys, device: ec.EllipticCurvePrivateKey, **claims: Any) -> str:
    return phone_code(device, keys.credential(device, **claims), NOW)
