"""The outbox: queued in the caller's transaction, delivered after commit to a real SMTP server
(aiosmtpd on loopback), retried with backoff when the server is away, given up when useless."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.core import clock
from almerepas.core.session import run_unit_of_work
from almerepas.outbox.models import Channel, Message, MessageStatus
from almerepas.outbox.queue import queue
from almerepas.outbox.sending import Delivery, backoff, deliver_due
from almerepas.outbox.transports import DropFolder, NoSmsGateway, SmtpMailer
from tests.factories import KEYS
from tests.fixtures import FrozenClock, SmtpServer, free_port

T = TypeVar("T")


def committer(db: Session) -> Callable[[Callable[[Session], T]], T]:
    """A unit of work on the test's session: each commit releases a savepoint."""

    def run(work: Callable[[Session], T]) -> T:
        return run_unit_of_work(db, lambda: work(db))

    return run


def mail(db: Session, recipient: str = "fatima@example.nl", **kwargs: object) -> Message:
    message = queue(
        db,
        channel=Channel.email,
        recipient=recipient,
        purpose="test",
        subject="Uw code",
        body="Uw code is 123456.",
        keys=KEYS,
        now=clock.now(),
        **kwargs,  # type: ignore[arg-type]
    )
    db.commit()
    return message


def send(db: Session, port: int) -> Delivery:
    return deliver_due(
        committer(db),
        mailer=SmtpMailer("127.0.0.1", port, "Almerepas <noreply@almerepas.test>", timeout=5),
        sms=NoSmsGateway(),
        keys=KEYS,
        now=clock.now,
    )


def state(db: Session, message: Message) -> tuple[MessageStatus, int]:
    db.refresh(message)
    return message.status, message.attempts


def test_a_queued_e_mail_reaches_the_smtp_server(
    db: Session, smtp_server: SmtpServer, frozen_clock: FrozenClock
) -> None:
    message = mail(db)

    delivery = send(db, smtp_server.port)

    assert delivery.sent == [message.id]
    [received] = smtp_server.wait_for(1)
    assert received["To"] == "fatima@example.nl"
    assert received["Subject"] == "Uw code"
    assert received.get_content().strip() == "Uw code is 123456."
    assert state(db, message) == (MessageStatus.sent, 1)
    assert message.sent_at == frozen_clock.now()
    assert send(db, smtp_server.port).sent == []  # sent once, never twice


def test_the_body_is_stored_encrypted(db: Session, frozen_clock: FrozenClock) -> None:
    message = mail(db)
    stored = db.scalar(select(Message.body_encrypted).where(Message.id == message.id))
    assert stored is not None and b"123456" not in stored
    assert KEYS.decrypt(stored) == "Uw code is 123456."


def test_a_message_of_a_rolled_back_transaction_is_never_sent(
    db: Session, smtp_server: SmtpServer, frozen_clock: FrozenClock
) -> None:
    with pytest.raises(RuntimeError):

        def work() -> None:
            queue(db, channel=Channel.email, recipient="a@example.nl", purpose="test",
                  body="x", keys=KEYS, now=clock.now())  # fmt: skip
            raise RuntimeError("the request failed after queueing")

        run_unit_of_work(db, work)

    assert send(db, smtp_server.port).sent == []
    assert smtp_server.received == []


def test_a_closed_server_leaves_the_message_pending_and_a_later_retry_delivers_it(
    db: Session, frozen_clock: FrozenClock
) -> None:
    port = free_port()  # nothing listens here yet: the connection is refused
    message = mail(db)

    delivery = send(db, port)

    assert delivery.retrying == [message.id]
    assert state(db, message) == (MessageStatus.pending, 1)
    assert message.last_error is not None and "ConnectionRefused" in message.last_error
    assert message.next_attempt_at == frozen_clock.now() + backoff(1)

    server = SmtpServer(port)
    server.start()
    try:
        frozen_clock.advance(seconds=29)
        assert send(db, port).sent == []  # not due yet: the backoff holds
        frozen_clock.advance(seconds=1)
        assert send(db, port).sent == [message.id]
        assert len(server.wait_for(1)) == 1
    finally:
        server.stop()
    assert state(db, message) == (MessageStatus.sent, 2)


def test_a_permanent_refusal_fails_the_message_at_once_and_keeps_no_address(
    db: Session,
    smtp_server: SmtpServer,
    frozen_clock: FrozenClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    smtp_server.refuse_recipients = "550 5.1.1 <fatima@example.nl>: no such user"
    message = mail(db)

    with caplog.at_level(logging.WARNING, logger="almerepas.outbox"):
        assert send(db, smtp_server.port).failed == [message.id]
    assert state(db, message) == (MessageStatus.failed, 1)
    assert message.last_error is not None and "550" in message.last_error
    assert "fatima@example.nl" not in message.last_error + caplog.text
    assert f"message {message.id} not handed over" in caplog.text


def test_a_temporary_refusal_is_retried(
    db: Session, smtp_server: SmtpServer, frozen_clock: FrozenClock
) -> None:
    smtp_server.refuse_recipients = "451 4.3.0 try again later"
    message = mail(db)
    assert send(db, smtp_server.port).retrying == [message.id]
    smtp_server.refuse_recipients = None
    frozen_clock.advance(seconds=30)
    assert send(db, smtp_server.port).sent == [message.id]


def test_backoff_doubles_up_to_an_hour() -> None:
    waits = [backoff(n).total_seconds() for n in range(1, 10)]
    assert waits == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_a_message_is_given_up_after_its_last_attempt(
    db: Session, frozen_clock: FrozenClock
) -> None:
    port = free_port()
    message = mail(db)
    statuses = []
    for _ in range(8):
        send(db, port)
        statuses.append(state(db, message))
        frozen_clock.advance(hours=1)
    assert statuses[-2] == (MessageStatus.pending, 7)
    assert statuses[-1] == (MessageStatus.failed, 8)


def test_a_message_past_its_expiry_is_not_sent(
    db: Session, smtp_server: SmtpServer, frozen_clock: FrozenClock
) -> None:
    message = mail(db, expires_at=clock.now() + dt.timedelta(minutes=10))
    frozen_clock.advance(minutes=10)

    delivery = send(db, smtp_server.port)

    assert delivery == Delivery()
    assert state(db, message) == (MessageStatus.failed, 0)
    assert smtp_server.received == []


def test_a_claimed_message_is_not_taken_by_a_second_sender_until_its_lease_ends(
    db: Session, frozen_clock: FrozenClock
) -> None:
    from almerepas.outbox.sending import LEASE, claim_due

    message = mail(db)
    first = run_unit_of_work(db, lambda: claim_due(db, now=clock.now(), keys=KEYS))
    second = run_unit_of_work(db, lambda: claim_due(db, now=clock.now(), keys=KEYS))
    assert [c.outgoing.id for c in first] == [message.id]
    assert second == []
    frozen_clock.advance(seconds=LEASE.total_seconds())  # the first sender died
    third = run_unit_of_work(db, lambda: claim_due(db, now=clock.now(), keys=KEYS))
    assert [(c.outgoing.id, c.outgoing.attempt) for c in third] == [(message.id, 2)]


def test_without_a_mail_server_the_message_goes_to_a_file_and_the_log_names_only_the_file(
    db: Session, frozen_clock: FrozenClock, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    email = mail(db)
    sms = queue(db, channel=Channel.sms, recipient="+31612345678", purpose="test",
                body="Code 654321", keys=KEYS, now=clock.now())  # fmt: skip
    db.commit()
    drop = DropFolder(tmp_path / "mail")
    with caplog.at_level(logging.WARNING, logger="almerepas.outbox"):
        delivery = deliver_due(committer(db), mailer=drop, sms=drop, keys=KEYS, now=clock.now)
    assert len(delivery.sent) == 2
    written = BytesParser(policy=policy.default).parsebytes(
        (tmp_path / "mail" / f"email-{email.id}-1.eml").read_bytes()
    )
    assert written["To"] == "fatima@example.nl" and written["Subject"] == "Uw code"
    assert written.get_content().strip() == "Uw code is 123456."
    text = (tmp_path / "mail" / f"sms-{sms.id}-1.txt").read_text()
    assert "+31612345678" in text and "Code 654321" in text
    for secret in ("fatima@example.nl", "123456", "+31612345678", "654321"):
        assert secret not in caplog.text
    assert f"email-{email.id}-1.eml" in caplog.text
    assert state(db, sms) == (MessageStatus.sent, 1)


def test_production_without_an_sms_gateway_fails_text_messages(
    db: Session, frozen_clock: FrozenClock, tmp_path: Path
) -> None:
    sms = queue(db, channel=Channel.sms, recipient="+31612345678", purpose="test",
                body="Code 654321", keys=KEYS, now=clock.now())  # fmt: skip
    db.commit()
    delivery = deliver_due(
        committer(db), mailer=DropFolder(tmp_path), sms=NoSmsGateway(), keys=KEYS, now=clock.now
    )
    assert delivery.failed == [sms.id]
    assert state(db, sms) == (MessageStatus.failed, 1)
