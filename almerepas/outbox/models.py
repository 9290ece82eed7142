"""The outbox: one row per message to a resident, written in the transaction that causes it."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from almerepas.core import clock
from almerepas.core.db import Base, str_enum


class Channel(enum.StrEnum):
    email = "email"
    sms = "sms"


class MessageStatus(enum.StrEnum):
    #: waiting for its first or next attempt (``next_attempt_at``)
    pending = "pending"
    #: handed to the mail server or the SMS gateway
    sent = "sent"
    #: given up: refused for good, too many attempts, or no longer useful (``expires_at``)
    failed = "failed"


class Message(Base):
    """An e-mail or text message to one recipient, sent after the commit that queued it.

    The body is encrypted with the app's Fernet key: it may hold a login code, which must not
    be readable to whoever reads the database.
    """

    __tablename__ = "message"
    __table_args__ = (
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index(None, "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "message_channel"))
    #: an e-mail address or a phone number in international form (+316...)
    recipient: Mapped[str] = mapped_column(String(254))
    #: what the message is for, e.g. ``holder.login_code``; never its content
    purpose: Mapped[str] = mapped_column(String(40))
    #: e-mail only
    subject: Mapped[str | None] = mapped_column(String(200))
    body_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[MessageStatus] = mapped_column(
        str_enum(MessageStatus, "message_status"), default=MessageStatus.pending
    )
    attempts: Mapped[int] = mapped_column(default=0)
    #: when a sender may try it (again); a sender that takes it moves this on (a lease)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    #: after this moment the message is useless (a login code that expired): not sent any more
    expires_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    sent_at: Mapped[dt.datetime | None]
    #: why the last attempt failed (the server's answer), for the service desk
    last_error: Mapped[str | None] = mapped_column(String(500))
