"""Encryption at rest and keyed hashes for personal data (BSN, TOTP secrets).

Keys come from ALMEREPAS_ENCRYPTION_KEY (a Fernet key; several, comma-separated, newest first,
for rotation). Without it, outside production, a key is derived from the secret key so the demo
and tests work; production refuses to start without one (see config).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        secret.encode()
    )


def _fernet() -> MultiFernet:
    cached = current_app.extensions.get("almerepas.fernet")
    if cached is None:
        configured = current_app.config.get("ENCRYPTION_KEYS") or []
        keys = [Fernet(k) for k in configured] or [
            Fernet(base64.urlsafe_b64encode(_derive(current_app.config["SECRET_KEY"], b"fernet")))
        ]
        cached = current_app.extensions["almerepas.fernet"] = MultiFernet(keys)
    fernet: MultiFernet = cached
    return fernet


def encrypt(value: str) -> bytes:
    return _fernet().encrypt(value.encode())


def decrypt(token: bytes) -> str:
    return _fernet().decrypt(token).decode()


def keyed_hash(value: str, purpose: str) -> str:
    """HMAC-SHA256 of ``value`` under a key for ``purpose``: stable lookups, no way back."""
    key = current_app.config.get("HASH_KEY") or current_app.config["SECRET_KEY"]
    derived = _derive(key, f"hash:{purpose}".encode())
    return hmac.new(derived, value.encode(), hashlib.sha256).hexdigest()


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
