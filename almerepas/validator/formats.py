"""The two credential formats, as the service writes them and a validator reads them.

Phone (what the holder's page shows, every 30 seconds a new one)::

    <credential JWS> ~ <step> ~ <holder signature>

- credential JWS: ES256 by a ``phone`` key, header exactly ``{"alg":"ES256","kid":...}``,
  payload ``{"v":1,"t":"ph","p":...,"g":...,"k":...,"n":...,"e":...,"b":...}``;
- step: ``floor(unix seconds / 30)`` as decimal digits;
- holder signature: base64url of the raw 64-byte r||s ES256 signature by the device key ``k``
  over ``b64url('{"alg":"ES256"}') + "." + b64url('{"h":"<H>","t":<step>}')`` where
  ``H = b64url(sha256(credential JWS)[:16])`` (WebCrypto's ECDSA P-256 SHA-256 gives exactly
  that signature).

Card (printed, static): the credential JWS alone, ES256 by a ``card`` key, payload
``{"v":1,"t":"cd","p":...,"g":...,"n":...,"e":...}``.

Claims: ``v`` format version, ``t`` type, ``p`` a random pseudonym (96 bits, new for every
credential), ``g`` the pass generation, ``k`` the device's compressed P-256 public key, ``n`` and
``e`` not-before and expiry (Unix seconds, the same schedule for every holder), ``b`` the bus
claim, encrypted (almerepas.validator.busclaim), the same 6 bytes for every holder.
"""

from __future__ import annotations

import hashlib
from typing import Final

from .encoding import b64url, compact_json

VERSION: Final = 1
PHONE: Final = "ph"
CARD: Final = "cd"
#: credential type -> the key family that may sign it (a card key cannot mint phone codes)
FAMILY_OF_TYPE: Final = {PHONE: "phone", CARD: "card"}
KIND_OF_TYPE: Final = {PHONE: "phone", CARD: "card"}
#: Exactly these claims, no more and no fewer.
PHONE_CLAIMS: Final = frozenset({"v", "t", "p", "g", "k", "n", "e", "b"})
CARD_CLAIMS: Final = frozenset({"v", "t", "p", "g", "n", "e"})
HEADER: Final = frozenset({"alg", "kid"})

#: The longest code accepted; refused before any parsing. A phone code is about 410 characters.
MAX_CODE_LENGTH: Final = 1200
STEP_SECONDS: Final = 30
#: Steps either side of now that are accepted: a screenshot is dead after at most 60 seconds.
STEP_WINDOW: Final = 1
#: Clock difference allowed on ``n`` and ``e`` (seconds).
LEEWAY: Final = 30
PSEUDONYM_BYTES: Final = 12
DEVICE_KEY_BYTES: Final = 33
SIGNATURE_BYTES: Final = 64
#: base64url lengths of the above
PSEUDONYM_CHARS: Final = 16
DEVICE_KEY_CHARS: Final = 44
SIGNATURE_CHARS: Final = 86
#: longest step accepted (digits): good until the year 2920
STEP_DIGITS: Final = 10

HOLDER_HEADER: Final = b64url(b'{"alg":"ES256"}')


def step_of(unix_seconds: float) -> int:
    return int(unix_seconds // STEP_SECONDS)


def credential_hash(credential: str) -> str:
    """``H``: what the holder signs to bind the step to this credential."""
    return b64url(hashlib.sha256(credential.encode("ascii")).digest()[:16])


def holder_signing_input(credential: str, step: int) -> bytes:
    """The bytes the device key signs for ``step`` (the JSON exactly as the contract writes it)."""
    payload = b'{"h":"' + credential_hash(credential).encode("ascii") + b'","t":'
    payload += str(step).encode("ascii") + b"}"
    return HOLDER_HEADER.encode("ascii") + b"." + b64url(payload).encode("ascii")


def revocation_hash(pseudonym: str, generation: int) -> str:
    """How a revoked credential is listed: 16 bytes of SHA-256 over ``p|g``, hex. It names no
    pass and no person; a stolen validator learns only hashes of random pseudonyms."""
    return hashlib.sha256(f"{pseudonym}|{generation}".encode("ascii")).hexdigest()[:32]


def claims_json(claims: dict[str, object]) -> bytes:
    return compact_json(claims)
