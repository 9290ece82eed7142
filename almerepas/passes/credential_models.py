"""Signing keys, the credentials issued with them, and the phone codes already used."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from almerepas.core import clock
from almerepas.core.db import Base, str_enum
from almerepas.passes.models import Pass


class KeyFamily(enum.StrEnum):
    #: signs phone credentials
    phone = "phone"
    #: signs the static codes printed on cards
    card = "card"
    #: signs the validator bundle; its public key is the validators' trust root
    bundle = "bundle"
    #: the service's side of the bus claim's key agreement (ECDH, not a signing key)
    bus = "bus"
    #: the bus operator's validator key: public only, imported (ECDH)
    operator = "operator"


class KeyStatus(enum.StrEnum):
    #: issues (from ``issue_from``) and verifies
    active = "active"
    #: issues no more; verifies what it signed until ``verify_until``
    retired = "retired"
    #: compromised: nothing it signed is accepted any more
    revoked = "revoked"


class SigningKey(Base):
    """A P-256 key pair. The private key is stored encrypted with the environment's key
    (``core.crypto.Keyring``) and no API or page ever returns it; the public key is a JWK."""

    __tablename__ = "signing_key"
    __table_args__ = (Index(None, "family", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: short, so the phone code stays small: family letter + a number (``P1``, ``C2``)
    kid: Mapped[str] = mapped_column(String(8), unique=True)
    family: Mapped[KeyFamily] = mapped_column(str_enum(KeyFamily, "key_family"))
    #: ``ES256`` for signing keys, ``ECDH-P256`` for the bus claim's keys
    alg: Mapped[str] = mapped_column(String(20))
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: the PKCS#8 PEM, Fernet-encrypted; none for an imported operator key
    private_key_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[KeyStatus] = mapped_column(str_enum(KeyStatus, "key_status"))
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    #: it signs from this moment (published earlier, so validators know it first)
    issue_from: Mapped[dt.datetime]
    #: it signs nothing from this moment on; none while it is the family's newest
    issue_until: Mapped[dt.datetime | None]
    #: everything it signed has expired by then; validators may forget it
    verify_until: Mapped[dt.datetime | None]
    status_changed_at: Mapped[dt.datetime | None]


class CredentialKind(enum.StrEnum):
    phone = "phone"
    card = "card"


class Credential(Base):
    """A credential the service issued: what online verification and revocation need. Holds the
    pseudonym and the pass, so the link between them stays in the service."""

    __tablename__ = "credential"
    __table_args__ = (Index(None, "pass_id", "revoked_at"), Index(None, "revoked_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the ``p`` claim: 96 random bits, base64url
    pseudonym: Mapped[str] = mapped_column(String(22), unique=True)
    #: ``sha256(p|g)``, as revocation lists carry it
    revocation_hash: Mapped[str] = mapped_column(String(32), unique=True)
    pass_id: Mapped[int] = mapped_column(ForeignKey("pass.id"))
    generation: Mapped[int]
    kind: Mapped[CredentialKind] = mapped_column(str_enum(CredentialKind, "credential_kind"))
    kid: Mapped[str] = mapped_column(String(8))
    issued_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]

    pass_: Mapped[Pass] = relationship(lazy="joined")


class UsedCode(Base):
    """A phone code's ``(pseudonym, step)`` once it verified: a second use is refused by the
    unique constraint, also when two validations race on PostgreSQL."""

    __tablename__ = "used_code"
    __table_args__ = (UniqueConstraint("pseudonym", "step"), Index(None, "used_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(22))
    step: Mapped[int]
    used_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
