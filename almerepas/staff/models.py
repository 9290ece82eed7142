"""Gemeente staff: accounts, roles, API tokens."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from almerepas.core import clock
from almerepas.core.db import Base, str_enum


class Role(enum.StrEnum):
    caseworker = "caseworker"
    finance = "finance"
    policy = "policy"
    administrator = "administrator"
    auditor = "auditor"


class StaffUser(Base):
    __tablename__ = "staff_user"
    #: ``sub`` is unique only within its issuer (OpenID Connect Core 1.0, 2): the pair is the person
    __table_args__ = (UniqueConstraint("sso_issuer", "sso_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    #: argon2id hash
    password_hash: Mapped[str] = mapped_column(String(200))
    #: encrypted TOTP secret (base32 inside)
    totp_secret_encrypted: Mapped[bytes]
    #: the last TOTP time step accepted, so a code cannot be used twice
    totp_last_step: Mapped[int | None]
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    last_login_at: Mapped[dt.datetime | None]
    #: the gemeente's identity provider's ``sub`` for an account made at single sign-on; such
    #: an account has no usable password and logs in only through the provider (docs/login.md)
    sso_subject: Mapped[str | None] = mapped_column(String(255))
    #: the provider's ``iss`` that ``sso_subject`` belongs to; NULL for local accounts and for
    #: accounts made before migration e2f3a4b5c6d7, until their next login binds it (docs/login.md)
    sso_issuer: Mapped[str | None] = mapped_column(String(255))


class ApiToken(Base):
    """A bearer token for the staff API; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]

    staff_user: Mapped[StaffUser] = relationship(lazy="joined")
