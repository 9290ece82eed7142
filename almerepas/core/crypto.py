"""Encryption at rest, keyed hashes and password hashing for personal data and staff secrets.

One ``Keyring`` is made from the configuration when the app starts and handed to the domain
operations that need it, as a parameter. Keys come from ALMEREPAS_ENCRYPTION_KEY (a Fernet key;
several, comma-separated, newest first, for rotation). Without it, outside production, a key is
derived from the secret key so the demo and tests work; production refuses to start without one
(see config).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass

from argon2 import PasswordHasher, profiles
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

#: argon2id parameter sets by name (config ARGON2_PROFILE). Production uses RFC 9106's
#: low-memory profile; tests use the cheapest, which is the same algorithm, only faster.
ARGON2_PROFILES = {
    "rfc_9106_low_memory": profiles.RFC_9106_LOW_MEMORY,
    "cheapest": profiles.CHEAPEST,
}


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        secret.encode()
    )


@functools.cache
def hasher_for(profile: str) -> PasswordHasher:
    return PasswordHasher.from_parameters(ARGON2_PROFILES[profile])


@dataclass(frozen=True)
class Keyring:
    """The keys for data at rest and the password-hashing parameters, made once per app."""

    fernet: MultiFernet
    #: the key new data is encrypted with (the first of ALMEREPAS_ENCRYPTION_KEY)
    newest: Fernet
    hash_key: str
    password_hasher: PasswordHasher

    @classmethod
    def from_config(
        cls,
        *,
        secret_key: str,
        encryption_keys: Sequence[str] = (),
        hash_key: str | None = None,
        argon2_profile: str = "rfc_9106_low_memory",
    ) -> Keyring:
        fernets = [Fernet(k) for k in encryption_keys] or [
            Fernet(base64.urlsafe_b64encode(_derive(secret_key, b"fernet")))
        ]
        return cls(
            MultiFernet(fernets), fernets[0], hash_key or secret_key, hasher_for(argon2_profile)
        )

    def encrypt(self, value: str) -> bytes:
        return self.fernet.encrypt(value.encode())

    def decrypt(self, token: bytes) -> str:
        return self.fernet.decrypt(token).decode()

    def is_current(self, token: bytes) -> bool:
        """Whether ``token`` is encrypted with the newest key (older keys only decrypt)."""
        try:
            self.newest.decrypt(token)
        except InvalidToken:
            return False
        return True

    def keyed_hash(self, value: str, purpose: str) -> str:
        """HMAC-SHA256 of ``value`` under a key for ``purpose``: stable lookups, no way back."""
        derived = _derive(self.hash_key, f"hash:{purpose}".encode())
        return hmac.new(derived, value.encode(), hashlib.sha256).hexdigest()


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
