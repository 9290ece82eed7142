"""Deliver due messages after commit, with retries and backoff, at least once.

A sender never holds a transaction while it talks to a mail server. It works in three short
units of work, which the caller runs and commits (``UnitOfWork``):

1. **claim**: take the due pending messages and move their ``next_attempt_at`` a lease ahead
   (``LEASE``) with ``attempts + 1``, guarded by the value it read, so two senders never take the
   same message at once;
2. **hand over**, outside any transaction: SMTP or the SMS gateway;
3. **record** the outcome: ``sent``; or, after a temporary failure, pending again at
   ``now + backoff(attempts)``; or ``failed`` (refused for good, ``MAX_ATTEMPTS`` reached, or
   past ``expires_at``).

A sender that dies between 2 and 3 leaves the message pending with its lease: it is sent again
when the lease ends. So a message is sent at least once, rarely twice, never lost.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from almerepas.core.crypto import Keyring
from almerepas.outbox.models import Channel, Message, MessageStatus
from almerepas.outbox.transports import (
    Mailer,
    Outgoing,
    PermanentFailure,
    SmsGateway,
    TransportFailure,
)

T = TypeVar("T")

log = logging.getLogger("almerepas.outbox")


class UnitOfWork(Protocol):
    """Runs ``work`` in a transaction of its own and commits it (``in_own_transaction``)."""

    def __call__(self, work: Callable[[Session], T], /) -> T: ...


#: How long a claimed message is left to the sender that took it before another may try.
LEASE = dt.timedelta(minutes=2)
#: After this many attempts a message is given up.
MAX_ATTEMPTS = 8
FIRST_RETRY = dt.timedelta(seconds=30)
LONGEST_WAIT = dt.timedelta(hours=1)
BATCH = 100


def backoff(attempts: int) -> dt.timedelta:
    """The wait before the next attempt after ``attempts`` failed ones: 30 s, 1, 2, 4... min,
    at most an hour."""
    return min(FIRST_RETRY * (1 << min(max(0, attempts - 1), 16)), LONGEST_WAIT)


@dataclass
class Delivery:
    """What one run of the sender did."""

    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Claimed:
    channel: Channel
    outgoing: Outgoing


def claim_due(
    session: Session, *, now: dt.datetime, keys: Keyring, limit: int = BATCH
) -> list[Claimed]:
    """Take up to ``limit`` due pending messages for this sender; flush, never commit.

    Expired ones are failed here and not returned.
    """
    rows = session.execute(
        select(Message.id, Message.next_attempt_at, Message.expires_at)
        .where(Message.status == MessageStatus.pending, Message.next_attempt_at <= now)
        .order_by(Message.next_attempt_at, Message.id)
        .limit(limit)
    ).all()
    claimed: list[int] = []
    for message_id, seen_at, expires_at in rows:
        if expires_at is not None and expires_at <= now:
            session.execute(
                update(Message)
                .where(Message.id == message_id, Message.status == MessageStatus.pending)
                .values(status=MessageStatus.failed, last_error="expired before it could be sent")
            )
            continue
        result = session.execute(
            update(Message)
            .where(
                Message.id == message_id,
                Message.status == MessageStatus.pending,
                Message.next_attempt_at == seen_at,
            )
            .values(attempts=Message.attempts + 1, next_attempt_at=now + LEASE)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            claimed.append(message_id)
    session.flush()
    if not claimed:
        return []
    messages = session.scalars(
        select(Message).where(Message.id.in_(claimed)).order_by(Message.id)
    ).all()
    return [
        Claimed(
            m.channel,
            Outgoing(
                id=m.id,
                recipient=m.recipient,
                subject=m.subject,
                body=keys.decrypt(m.body_encrypted),
                attempt=m.attempts,
            ),
        )
        for m in messages
    ]


def record_sent(session: Session, message_id: int, *, now: dt.datetime) -> None:
    session.execute(
        update(Message)
        .where(Message.id == message_id)
        .values(status=MessageStatus.sent, sent_at=now, last_error=None)
    )
    session.flush()


def record_failure(
    session: Session, message_id: int, error: TransportFailure, *, now: dt.datetime
) -> MessageStatus:
    """Pending again after the backoff, or failed for good; returns which."""
    message = session.get_one(Message, message_id, with_for_update=True)
    retry_at = now + backoff(message.attempts)
    give_up = (
        isinstance(error, PermanentFailure)
        or message.attempts >= MAX_ATTEMPTS
        or (message.expires_at is not None and message.expires_at <= retry_at)
    )
    message.last_error = str(error)[:500]
    if give_up:
        message.status = MessageStatus.failed
    else:
        message.next_attempt_at = retry_at
    session.flush()
    return message.status


def deliver_due(
    unit_of_work: UnitOfWork,
    *,
    mailer: Mailer,
    sms: SmsGateway,
    keys: Keyring,
    now: Callable[[], dt.datetime],
    limit: int = BATCH,
) -> Delivery:
    """Claim the due messages, hand each over, and record what happened (see the module)."""
    delivery = Delivery()
    claimed = unit_of_work(lambda session: claim_due(session, now=now(), keys=keys, limit=limit))
    for item in claimed:
        _hand_over(unit_of_work, item, mailer=mailer, sms=sms, now=now, delivery=delivery)
    return delivery


def _hand_over(
    unit_of_work: UnitOfWork,
    item: Claimed,
    *,
    mailer: Mailer,
    sms: SmsGateway,
    now: Callable[[], dt.datetime],
    delivery: Delivery,
) -> None:
    message_id = item.outgoing.id
    try:
        if item.channel == Channel.email:
            mailer.send_email(item.outgoing)
        else:
            sms.send_sms(item.outgoing)
    except TransportFailure as error:
        failure = error

        def fail(session: Session) -> MessageStatus:
            return record_failure(session, message_id, failure, now=now())

        status = unit_of_work(fail)
        log.warning("message %s not handed over (%s): %s", message_id, status.value, failure)
        (delivery.failed if status == MessageStatus.failed else delivery.retrying).append(
            message_id
        )
    else:
        unit_of_work(lambda session: record_sent(session, message_id, now=now()))
        delivery.sent.append(message_id)
