"""Queue a message in the caller's transaction: it is sent only if that transaction commits."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from almerepas.core.crypto import Keyring
from almerepas.outbox.models import Channel, Message, MessageStatus


def queue(
    session: Session,
    *,
    channel: Channel,
    recipient: str,
    purpose: str,
    body: str,
    keys: Keyring,
    now: dt.datetime,
    subject: str | None = None,
    expires_at: dt.datetime | None = None,
) -> Message:
    """Add a pending message and flush. Nothing leaves until a sender runs after the commit, so
    a rolled-back request sends nothing, and a sent message always belongs to a committed change.
    """
    message = Message(
        channel=channel,
        recipient=recipient[:254],
        purpose=purpose[:40],
        subject=None if subject is None else subject[:200],
        body_encrypted=keys.encrypt(body),
        status=MessageStatus.pending,
        attempts=0,
        next_attempt_at=now,
        expires_at=expires_at,
        created_at=now,
    )
    session.add(message)
    session.flush()
    return message
