"""The keys a validator trusts, by key id: one algorithm, one family and a validity per key.

Built from a JWKS-like dict, as ``GET /api/v1/keys`` and the validator bundle carry it::

    {"keys": [{"kty": "EC", "crv": "P-256", "x": "...", "y": "...", "kid": "P1",
               "alg": "ES256", "use": "sig", "family": "phone", "status": "active",
               "issue_from": 1772442000, "issue_until": null, "verify_until": null}]}

Times are Unix seconds. A key id is looked up in a dict and nowhere else (no path, no URL, no
SQL), and only after it matched ``^[A-Za-z0-9_-]{1,8}$``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from .encoding import unb64url

KID = re.compile(r"[A-Za-z0-9_-]{1,8}")
#: family -> the one algorithm its keys have. A registry never holds a symmetric or "none"
#: key; ``bus`` keys do key agreement for the bus claim and sign nothing.
FAMILY_ALGORITHMS = {"phone": "ES256", "card": "ES256", "bus": "ECDH-P256"}
#: the families whose keys sign credentials
SIGNING_FAMILIES = frozenset({"phone", "card"})
STATUSES = ("active", "retired", "revoked")


@functools.lru_cache(maxsize=256)
def _ec_public_key(x: str, y: str) -> ec.EllipticCurvePublicKey:
    """A P-256 public key object from JWK coordinates; ValueError if it is not on the curve."""
    x_bytes, y_bytes = unb64url(x), unb64url(y)
    if len(x_bytes) != 32 or len(y_bytes) != 32:
        raise ValueError("a P-256 coordinate is 32 bytes")
    numbers = ec.EllipticCurvePublicNumbers(
        int.from_bytes(x_bytes, "big"), int.from_bytes(y_bytes, "big"), ec.SECP256R1()
    )
    return numbers.public_key()


def public_key_from_jwk(jwk: Mapping[str, Any]) -> ec.EllipticCurvePublicKey:
    """The key object of a public P-256 JWK; ValueError for anything else (also a private JWK)."""
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256" or "d" in jwk:
        raise ValueError("not a public P-256 JWK")
    x, y = jwk.get("x"), jwk.get("y")
    if not isinstance(x, str) or not isinstance(y, str):
        raise ValueError("not a public P-256 JWK")
    return _ec_public_key(x, y)


def _optional_int(entry: Mapping[str, Any], name: str) -> int | None:
    value = entry.get(name)
    if value is None:
        return None
    if type(value) is not int:
        raise ValueError(f"{name} must be Unix seconds")
    return value


@dataclass(frozen=True)
class KeyRecord:
    kid: str
    alg: str
    family: str
    status: str
    public_key: ec.EllipticCurvePublicKey
    #: the key signs credentials issued (``n``) from this moment...
    issue_from: int
    #: ... until this one (None: still issuing); a credential issued later is refused
    issue_until: int | None = None
    #: after this, nothing it signed is still valid and validators drop it (None: not yet known)
    verify_until: int | None = None

    @classmethod
    def from_jwk(cls, entry: Mapping[str, Any]) -> KeyRecord:
        kid, alg = entry.get("kid"), entry.get("alg")
        family, status = entry.get("family"), entry.get("status")
        if not isinstance(kid, str) or not KID.fullmatch(kid):
            raise ValueError("bad kid")
        if not isinstance(family, str) or family not in FAMILY_ALGORITHMS:
            raise ValueError(f"key {kid}: unknown family")
        if alg != FAMILY_ALGORITHMS[family]:
            raise ValueError(f"key {kid}: algorithm {alg!r} is not the family's")
        if status not in STATUSES:
            raise ValueError(f"key {kid}: unknown status")
        issue_from = _optional_int(entry, "issue_from")
        if issue_from is None:
            raise ValueError(f"key {kid}: issue_from is required")
        return cls(
            kid=kid,
            alg=str(alg),
            family=family,
            status=str(status),
            public_key=public_key_from_jwk(entry),
            issue_from=issue_from,
            issue_until=_optional_int(entry, "issue_until"),
            verify_until=_optional_int(entry, "verify_until"),
        )


class KeyRegistry:
    """Key id -> :class:`KeyRecord`; immutable once made."""

    def __init__(self, records: Iterable[KeyRecord] = ()) -> None:
        self._by_kid: dict[str, KeyRecord] = {}
        for record in records:
            if record.kid in self._by_kid:
                raise ValueError(f"key id {record.kid} twice")
            self._by_kid[record.kid] = record

    @classmethod
    def from_jwks(cls, jwks: Mapping[str, Any]) -> KeyRegistry:
        """Every key of a JWKS-like dict; ValueError when any entry is not a valid key."""
        keys = jwks.get("keys")
        if not isinstance(keys, list) or not all(isinstance(k, dict) for k in keys):
            raise ValueError("a JWKS has a list of keys")
        return cls(KeyRecord.from_jwk(entry) for entry in keys)

    def get(self, kid: str) -> KeyRecord | None:
        """The key with this id, after the id matched the kid pattern; None otherwise."""
        if not KID.fullmatch(kid):
            return None
        return self._by_kid.get(kid)

    def family(self, family: str) -> list[KeyRecord]:
        return [r for r in self._by_kid.values() if r.family == family]

    def __iter__(self) -> Iterator[KeyRecord]:
        return iter(self._by_kid.values())

    def __len__(self) -> int:
        return len(self._by_kid)
