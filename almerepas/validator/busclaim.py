"""The bus claim ``b``: may this holder ride free, readable only by the bus operator's validators.

A phone QR reader shows a JWT's claims to anyone, so the claim travels encrypted, and in the same
6 bytes for every holder, whether they ride free or not (the size and the validity of a code must
not give the tier away).

Encryption: static-static ECDH on P-256 between the service's ``bus`` key and the operator's
validator key, HKDF-SHA256 with the credential's random pseudonym as salt (so every credential
gets its own AES key and the nonce can be fixed), AES-128-GCM with the tag cut to 5 bytes. One
plaintext byte: bit 0 free in the local month of ``n``, bit 1 free in the month of ``e`` (a
72-hour credential spans at most one month boundary).

Why not an ephemeral ECDH key per credential: its public key is 33 bytes, 44 characters in the
QR, which pushes the phone code from QR version 15 to 17. Why a short tag: the credential's
issuer signature already protects ``b`` against change; the tag only tells a validator that it
used the right pair of keys (a wrong pair passes once in 2^40). docs/credentials.md has the rest.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final
from zoneinfo import ZoneInfo

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

CLAIM_BYTES: Final = 6
TAG_BYTES: Final = 5
INFO: Final = b"almerepas bus claim v1"
NONCE: Final = bytes(12)
#: Months follow the local calendar, as the grants do.
LOCAL: Final = ZoneInfo("Europe/Amsterdam")


def month_of(unix_seconds: int) -> tuple[int, int]:
    moment = dt.datetime.fromtimestamp(unix_seconds, dt.UTC).astimezone(LOCAL)
    return moment.year, moment.month


def _aes_key(shared: bytes, pseudonym: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=16, salt=pseudonym, info=INFO).derive(shared)


def seal(
    *,
    free_in_first_month: bool,
    free_in_last_month: bool,
    pseudonym: bytes,
    service_key: ec.EllipticCurvePrivateKey | None,
    operator_key: ec.EllipticCurvePublicKey | None,
) -> bytes:
    """The 6 bytes of ``b``. Without both keys: 6 random bytes, which no validator can open
    and which look the same."""
    if service_key is None or operator_key is None:
        return secrets.token_bytes(CLAIM_BYTES)
    flags = (1 if free_in_first_month else 0) | (2 if free_in_last_month else 0)
    key = _aes_key(service_key.exchange(ec.ECDH(), operator_key), pseudonym)
    sealed = AESGCM(key).encrypt(NONCE, bytes([flags]), None)
    return sealed[:1] + sealed[1 : 1 + TAG_BYTES]


@dataclass(frozen=True)
class BusKeys:
    """What a bus validator holds to read ``b``: the operator's private key(s) and the shared
    secrets with the service's bus keys (worked out once, when the bundle is applied)."""

    shared_secrets: tuple[bytes, ...]

    @classmethod
    def derive(
        cls,
        operator_keys: Iterable[ec.EllipticCurvePrivateKey],
        service_keys: Iterable[ec.EllipticCurvePublicKey],
    ) -> BusKeys:
        services = list(service_keys)
        return cls(tuple(op.exchange(ec.ECDH(), svc) for op in operator_keys for svc in services))

    def rides_free(
        self, claim: bytes, *, pseudonym: bytes, not_before: int, expires: int, now: int
    ) -> bool | None:
        """Whether the holder rides free at ``now``; None when no key pair opens the claim."""
        if len(claim) != CLAIM_BYTES:
            return None
        for shared in self.shared_secrets:
            flags = _open(claim, _aes_key(shared, pseudonym))
            if flags is None:
                continue
            month = month_of(now)
            if month == month_of(not_before) and flags & 1:
                return True
            return bool(month == month_of(expires) and flags & 2)
        return None


def _open(claim: bytes, key: bytes) -> int | None:
    decryptor = Cipher(
        algorithms.AES(key), modes.GCM(NONCE, claim[1:], min_tag_length=TAG_BYTES)
    ).decryptor()
    plain = decryptor.update(claim[:1])
    try:
        decryptor.finalize()
    except InvalidTag:
        return None
    return plain[0]
