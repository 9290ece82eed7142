"""verify(): one code in, a :class:`Verified` out, or a :class:`Refusal` with a stable code.

The checks, in order (each refusal names the first that fails):

1. the text: at most ``MAX_CODE_LENGTH`` characters of base64url, ``.`` and ``~``, checked
   before anything is parsed; one part (card) or three (phone);
2. the header: exactly ``alg`` and ``kid``, no duplicates; the key id looked up in the registry
   (a dict) after it matched its pattern; a revoked key refused at once;
3. the algorithm: the key's one algorithm, never the header's (``algorithms=[record.alg]`` and
   the key as an object, never bytes); the signature checked by pyjwt, whose
   ``InvalidSignatureError`` is caught before its parent ``DecodeError``;
4. the claims: exactly the type's claim set with their types, the version, the key's family
   for the type, and ``n`` inside the key's issuing period; ``e`` and ``n`` are required and
   checked here (pyjwt only checks ``exp``/``nbf`` when present, and these are our own names);
5. revocation by ``sha256(p|g)``; for a phone: the holder's signature over the step, the step
   window (now-1..now+1), and last the replay guard on ``(p, step)``, never on the text (an
   ECDSA signature can be changed into another one that still verifies).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Container
from dataclasses import dataclass
from typing import Any, Final, Protocol

import jwt
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from jwt.api_jws import PyJWS

from . import formats
from . import refusals as codes
from .busclaim import BusKeys
from .encoding import json_object, unb64url
from .refusals import Refusal
from .registry import SIGNING_FAMILIES, KeyRecord, KeyRegistry

#: What a code may contain at all: base64url, the JWS dots and the phone code's tildes.
CODE_TEXT: Final = re.compile(r"[A-Za-z0-9_.~-]+")
STEP_TEXT: Final = re.compile(rf"(?:0|[1-9][0-9]{{0,{formats.STEP_DIGITS - 1}}})")
_JWS: Final = PyJWS()
KINDS: Final = frozenset({"phone", "card"})


class ReplayGuard(Protocol):
    def first_use(self, pseudonym: str, step: int) -> bool:
        """Record ``(pseudonym, step)``; False when it was recorded before."""


@dataclass(frozen=True)
class Context:
    """Where the code is shown: which kinds are accepted, and the bus keys if this validator
    may read the bus claim."""

    kinds: frozenset[str] = KINDS
    #: the lowest credential version still accepted (raised to revoke every older credential)
    min_version: int = formats.VERSION
    bus: BusKeys | None = None


@dataclass(frozen=True)
class Verified:
    kind: str
    pseudonym: str
    generation: int
    kid: str
    not_before: int
    expires: int
    #: the phone code's time step; None for a card
    step: int | None = None
    #: from the bus claim: True/False when this validator could read it, else None
    rides_free: bool | None = None


def _unix(now: dt.datetime) -> float:
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    return now.timestamp()


def verify(
    code: str | bytes,
    *,
    registry: KeyRegistry,
    now: dt.datetime,
    replay: ReplayGuard,
    revocations: Container[str],
    context: Context = Context(),
) -> Verified:
    """Check ``code`` completely; raise :class:`Refusal` with the first reason it fails."""
    text = _text(code)
    parts = text.split("~")
    if len(parts) not in (1, 3):
        raise Refusal(codes.MALFORMED)
    credential = parts[0]
    record, claims = _credential(credential, registry)
    pseudonym: str = claims["p"]
    kind = formats.KIND_OF_TYPE[claims["t"]]
    if kind not in context.kinds or claims["v"] < context.min_version:
        raise Refusal(codes.FORMAT_UNSUPPORTED)
    unix = _unix(now)
    if unix > claims["e"] + formats.LEEWAY:
        raise Refusal(codes.EXPIRED)
    if unix < claims["n"] - formats.LEEWAY:
        raise Refusal(codes.NOT_YET_VALID)
    if formats.revocation_hash(pseudonym, claims["g"]) in revocations:
        raise Refusal(codes.REVOKED, pseudonym=pseudonym)
    result = Verified(
        kind=kind,
        pseudonym=pseudonym,
        generation=claims["g"],
        kid=record.kid,
        not_before=claims["n"],
        expires=claims["e"],
    )
    if kind == "card":
        if len(parts) != 1:
            raise Refusal(codes.FORMAT_UNSUPPORTED)
        return result
    if len(parts) != 3:
        raise Refusal(codes.HOLDER_PROOF_MISSING)
    step = _holder_step(credential, parts[1], parts[2], claims["k"])
    now_step = formats.step_of(unix)
    if step < now_step - formats.STEP_WINDOW:
        raise Refusal(codes.STALE)
    if step > now_step + formats.STEP_WINDOW:
        raise Refusal(codes.FROM_FUTURE)
    if not replay.first_use(pseudonym, step):
        raise Refusal(codes.REPLAYED)
    rides_free = None
    if context.bus is not None:
        rides_free = context.bus.rides_free(
            unb64url(claims["b"]),
            pseudonym=unb64url(pseudonym),
            not_before=claims["n"],
            expires=claims["e"],
            now=int(unix),
        )
    return Verified(**{**result.__dict__, "step": step, "rides_free": rides_free})


def _text(code: str | bytes) -> str:
    if isinstance(code, bytes):
        if len(code) > formats.MAX_CODE_LENGTH:
            raise Refusal(codes.MALFORMED)
        try:
            code = code.decode("ascii")
        except UnicodeDecodeError:
            raise Refusal(codes.MALFORMED) from None
    if not isinstance(code, str) or not 0 < len(code) <= formats.MAX_CODE_LENGTH:
        raise Refusal(codes.MALFORMED)
    if not code.isascii() or not CODE_TEXT.fullmatch(code):
        raise Refusal(codes.MALFORMED)
    return code


def _credential(credential: str, registry: KeyRegistry) -> tuple[KeyRecord, dict[str, Any]]:
    segments = credential.split(".")
    if len(segments) != 3 or not segments[0] or not segments[1]:
        raise Refusal(codes.MALFORMED)
    try:
        header = json_object(unb64url(segments[0]))
    except ValueError:
        raise Refusal(codes.MALFORMED) from None
    if set(header) - formats.HEADER:
        raise Refusal(codes.HEADER_NOT_ALLOWED)
    kid, alg = header.get("kid"), header.get("alg")
    if not isinstance(kid, str):
        raise Refusal(codes.UNKNOWN_KEY)
    if not isinstance(alg, str):
        raise Refusal(codes.BAD_ALGORITHM)
    record = registry.get(kid)
    if record is None or record.family not in SIGNING_FAMILIES:
        raise Refusal(codes.UNKNOWN_KEY)
    if record.status == "revoked":
        raise Refusal(codes.KEY_REVOKED)
    if alg != record.alg:
        raise Refusal(codes.BAD_ALGORITHM)
    if len(segments[2]) != formats.SIGNATURE_CHARS:
        raise Refusal(codes.MALFORMED)
    try:
        decoded = _JWS.decode_complete(credential, key=record.public_key, algorithms=[record.alg])
    except jwt.InvalidSignatureError:  # a subclass of DecodeError: first
        raise Refusal(codes.BAD_SIGNATURE) from None
    except jwt.InvalidAlgorithmError:
        raise Refusal(codes.BAD_ALGORITHM) from None
    except (jwt.DecodeError, jwt.InvalidTokenError, jwt.InvalidKeyError):
        raise Refusal(codes.MALFORMED) from None
    claims = _claims(decoded["payload"])
    if formats.FAMILY_OF_TYPE[claims["t"]] != record.family:
        raise Refusal(codes.UNKNOWN_KEY)
    issued = claims["n"]
    if issued < record.issue_from or (
        record.issue_until is not None and issued >= record.issue_until
    ):
        raise Refusal(codes.KEY_REVOKED)
    return record, claims


def _is_int(value: Any) -> bool:
    return type(value) is int


def _claims(payload: bytes) -> dict[str, Any]:
    """The signed claims, checked for exactly the type's set and their shapes."""
    try:
        claims = json_object(payload)
    except ValueError:
        raise Refusal(codes.MALFORMED) from None
    kind = claims.get("t")
    if not _is_int(claims.get("v")) or not isinstance(kind, str):
        raise Refusal(codes.MALFORMED)
    if claims["v"] != formats.VERSION or kind not in formats.FAMILY_OF_TYPE:
        raise Refusal(codes.FORMAT_UNSUPPORTED)
    wanted = formats.PHONE_CLAIMS if kind == formats.PHONE else formats.CARD_CLAIMS
    if set(claims) - wanted:
        raise Refusal(codes.FORMAT_UNSUPPORTED)
    if set(claims) != wanted:
        raise Refusal(codes.MALFORMED)
    shapes_ok = (
        _is_int(claims["g"])
        and claims["g"] >= 1
        and _is_int(claims["n"])
        and _is_int(claims["e"])
        and claims["n"] <= claims["e"]
        and _b64_of_size(claims["p"], formats.PSEUDONYM_BYTES)
    )
    if kind == formats.PHONE:
        shapes_ok = (
            shapes_ok
            and _b64_of_size(claims["k"], formats.DEVICE_KEY_BYTES)
            and _b64_of_size(claims["b"], 6)
        )
    if not shapes_ok:
        raise Refusal(codes.MALFORMED)
    return claims


def _b64_of_size(value: Any, size: int) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return len(unb64url(value)) == size
    except ValueError:
        return False


def _holder_step(credential: str, step_text: str, signature_text: str, device_key: str) -> int:
    """The step the holder signed, once the holder's signature over it is checked."""
    if not STEP_TEXT.fullmatch(step_text) or len(signature_text) != formats.SIGNATURE_CHARS:
        raise Refusal(codes.MALFORMED)
    try:
        raw = unb64url(signature_text)
    except ValueError:
        raise Refusal(codes.MALFORMED) from None
    step = int(step_text)
    try:
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(device_key))
    except ValueError:
        raise Refusal(codes.HOLDER_PROOF_INVALID) from None
    signature = encode_dss_signature(
        int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    )
    try:
        public.verify(
            signature,
            formats.holder_signing_input(credential, step),
            ec.ECDSA(hashes.SHA256()),
        )
    except InvalidSignature:
        raise Refusal(codes.HOLDER_PROOF_INVALID) from None
    return step
