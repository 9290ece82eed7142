"""A holder's page session: a random token in the signed cookie, its SHA-256 here, revocable."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.core.crypto import sha256_hex
from almerepas.holders.models import HolderSession
from almerepas.households.models import Person

#: A resident opens the pass now and then; the phone keeps the cookie until they log out.
SESSION_LIFETIME = dt.timedelta(days=30)
MAX_TOKEN_LENGTH = 128


def holder_actor(person_id: int, request_id: str | None = None) -> Actor:
    """How the audit log names a logged-in holder: by person id, never by name."""
    return Actor(f"holder:{person_id}", "holder", request_id)


def open_session(session: Session, person: Person, *, now: dt.datetime) -> str:
    """A new session for ``person``; the caller puts the token in the cookie, once."""
    token = secrets.token_urlsafe(32)
    session.add(
        HolderSession(
            person_id=person.id,
            token_hash=sha256_hex(token),
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
    )
    session.flush()
    return token


def _record(session: Session, token: str) -> HolderSession | None:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return session.scalars(
        select(HolderSession).where(HolderSession.token_hash == sha256_hex(token))
    ).one_or_none()


def person_for_session(session: Session, token: str, *, now: dt.datetime) -> Person | None:
    """The person of a live session; None when unknown, expired or ended."""
    record = _record(session, token)
    if record is None or record.revoked_at is not None or record.expires_at <= now:
        return None
    return session.get(Person, record.person_id)


def end_session(session: Session, token: str, *, now: dt.datetime, actor: Actor) -> bool:
    """Log out: the token stops working at once; writes ``holder.logout``. False if none."""
    record = _record(session, token)
    if record is None or record.revoked_at is not None or record.expires_at <= now:
        return False
    record.revoked_at = now
    audit.record(
        session,
        actor=actor,
        action="holder.logout",
        entity_type="person",
        entity_id=record.person_id,
    )
    return True
