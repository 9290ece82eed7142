"""The validator bundle: keys and revocations, signed by the service and numbered.

A validator applies a bundle only when its signature checks against a trust root it holds
(pinned when the validator is set up, not taken from the bundle) and its number ``seq`` is not
lower than the one it has: a copy passed on second-hand can be trusted, an old one cannot roll
the validator back. Payload::

    {"v": 1, "seq": 1772442000123, "generated_at": 1772442000, "cursor": 1772442000,
     "since": null, "min_version": 1, "keys": {"keys": [...]},
     "revocations": [["<32 hex>", <e>], ...]}

``since`` null is a full bundle (the revocations replace the validator's); otherwise a delta
since that cursor, applied only when it does not start after the validator's own cursor.
Revocations are ``sha256(p|g)`` hashes with the credential's expiry, dropped once it passed:
nothing personal, and a list that does not grow forever.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.api_jws import PyJWS

from . import formats
from . import refusals as codes
from .encoding import json_object, unb64url
from .refusals import Refusal
from .registry import KID, KeyRegistry

BUNDLE_VERSION: Final = 1
BUNDLE_ALGORITHM: Final = "ES256"
#: Older data still decides, with a warning; much older data decides nothing.
WARN_AFTER: Final = dt.timedelta(hours=48)
REFUSE_AFTER: Final = dt.timedelta(days=7)
#: How far the validator's clock may be from the service's at an online sync.
MAX_DRIFT: Final = dt.timedelta(seconds=10)
_JWS: Final = PyJWS()

TrustRoots = ec.EllipticCurvePublicKey | Mapping[str, ec.EllipticCurvePublicKey]


@dataclass(frozen=True)
class ValidatorState:
    """What a validator knows; replaced as a whole when a bundle is applied."""

    seq: int = 0
    generated_at: int | None = None
    cursor: int | None = None
    min_version: int = formats.VERSION
    registry: KeyRegistry = field(default_factory=KeyRegistry)
    #: revocation hash -> the revoked credential's expiry
    revocations: Mapping[str, int] = field(default_factory=dict)
    #: the clock disagreed with the service at the last online sync
    clock_unsynced: bool = False

    def check(self, now: dt.datetime) -> tuple[str, ...]:
        """Raise when this state may not decide at ``now``; return warnings when it may."""
        if self.generated_at is None:
            raise Refusal(codes.DATA_STALE)
        generated = dt.datetime.fromtimestamp(self.generated_at, dt.UTC)
        if self.clock_unsynced or now < generated - MAX_DRIFT:
            raise Refusal(codes.CLOCK_UNSYNCED)
        age = now - generated
        if age > REFUSE_AFTER:
            raise Refusal(codes.DATA_STALE)
        return (codes.DATA_STALE,) if age > WARN_AFTER else ()


def empty_state() -> ValidatorState:
    return ValidatorState()


def _root_for(kid: str, roots: TrustRoots) -> ec.EllipticCurvePublicKey:
    if isinstance(roots, ec.EllipticCurvePublicKey):
        return roots
    root = roots.get(kid) if KID.fullmatch(kid) else None
    if root is None:
        raise Refusal(codes.BUNDLE_INVALID)
    return root


def read_bundle(bundle_jws: str, trust_root_public_key: TrustRoots) -> dict[str, Any]:
    """The payload of a bundle whose signature checks against a trust root; else BUNDLE_INVALID."""
    try:
        header = json_object(unb64url(bundle_jws.split(".", 1)[0]))
    except ValueError:
        raise Refusal(codes.BUNDLE_INVALID) from None
    kid = header.get("kid")
    if set(header) != formats.HEADER or header.get("alg") != BUNDLE_ALGORITHM:
        raise Refusal(codes.BUNDLE_INVALID)
    if not isinstance(kid, str):
        raise Refusal(codes.BUNDLE_INVALID)
    root = _root_for(kid, trust_root_public_key)
    try:
        decoded = _JWS.decode_complete(bundle_jws, key=root, algorithms=[BUNDLE_ALGORITHM])
        payload = json_object(decoded["payload"])
    except (jwt.InvalidTokenError, jwt.InvalidKeyError, ValueError):
        raise Refusal(codes.BUNDLE_INVALID) from None
    return payload


def _int(value: Any) -> int:
    if type(value) is not int or value < 0:
        raise ValueError("not a count")
    return value


def apply_bundle(
    state: ValidatorState,
    bundle_jws: str,
    trust_root_public_key: TrustRoots,
    *,
    now: dt.datetime,
    online: bool = False,
) -> ValidatorState:
    """The state after applying ``bundle_jws``, or a Refusal (the old state stays as it was).

    ``online``: the bundle came straight from the service just now, so its ``generated_at``
    tells the validator whether its own clock is right.
    """
    payload = read_bundle(bundle_jws, trust_root_public_key)
    try:
        if payload.get("v") != BUNDLE_VERSION:
            raise ValueError("bundle version")
        seq, generated_at = _int(payload["seq"]), _int(payload["generated_at"])
        cursor, min_version = _int(payload["cursor"]), _int(payload["min_version"])
        since = None if payload["since"] is None else _int(payload["since"])
        registry = KeyRegistry.from_jwks(payload["keys"])
        entries = payload["revocations"]
        if not isinstance(entries, list):
            raise ValueError("revocations")
        revoked: dict[str, int] = {}
        for entry in entries:
            if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str)):
                raise ValueError("revocation entry")
            revoked[entry[0]] = _int(entry[1])
    except (KeyError, TypeError, ValueError):
        raise Refusal(codes.BUNDLE_INVALID) from None
    if seq < state.seq:
        raise Refusal(codes.BUNDLE_ROLLBACK)
    if since is not None and (state.cursor is None or since > state.cursor):
        raise Refusal(codes.BUNDLE_GAP)
    merged = revoked if since is None else {**state.revocations, **revoked}
    horizon = now.timestamp() - formats.LEEWAY
    drift = abs(now - dt.datetime.fromtimestamp(generated_at, dt.UTC))
    return replace(
        state,
        seq=seq,
        generated_at=generated_at,
        cursor=cursor,
        min_version=min_version,
        registry=registry,
        revocations={h: e for h, e in merged.items() if e >= horizon},
        clock_unsynced=drift > MAX_DRIFT if online else state.clock_unsynced,
    )
