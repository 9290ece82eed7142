"""Bearer tokens for the staff API (and the server side of a page session): only SHA-256 stored."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.core import clock
from almerepas.core.crypto import sha256_hex
from almerepas.staff.models import ApiToken, StaffUser

TOKEN_LIFETIME = dt.timedelta(hours=8)
#: token_urlsafe(32) gives 43 characters; anything much longer is not one of ours.
MAX_TOKEN_LENGTH = 128


def issue_token(session: Session, user: StaffUser) -> str:
    """A new random token for ``user``, valid for 8 hours; the caller sees it once."""
    token = secrets.token_urlsafe(32)
    moment = clock.now()
    session.add(
        ApiToken(
            staff_user_id=user.id,
            token_hash=sha256_hex(token),
            created_at=moment,
            expires_at=moment + TOKEN_LIFETIME,
        )
    )
    session.flush()
    return token


def token_record(session: Session, token: str) -> ApiToken | None:
    """The stored row of ``token``, whatever its state (expired, revoked)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return session.scalars(
        select(ApiToken).where(ApiToken.token_hash == sha256_hex(token))
    ).one_or_none()


def user_for_token(session: Session, token: str) -> StaffUser | None:
    """The active staff member a valid token belongs to; None if unknown, expired or revoked."""
    record = token_record(session, token)
    if record is None or record.revoked_at is not None or record.expires_at <= clock.now():
        return None
    user = record.staff_user
    return user if user.active else None


def revoke_token(session: Session, token: str) -> bool:
    """End a token now (log out); False when it was unknown or already ended."""
    record = token_record(session, token)
    if record is None or record.revoked_at is not None:
        return False
    record.revoked_at = clock.now()
    session.flush()
    return True


def log_out(session: Session, token: str, *, actor: Actor) -> bool:
    """End the token the staff member works with, and write ``staff.logout``; False if none.

    An expired or unknown token is ended without a row: no one was logged in with it.
    """
    user = user_for_token(session, token)
    if not revoke_token(session, token) or user is None:
        return False
    audit.record(
        session,
        actor=actor,
        action="staff.logout",
        entity_type="staff_user",
        entity_id=user.id,
    )
    return True
