"""`almerepas outbox send`: what a request could not hand over goes out on the next run."""

from __future__ import annotations

from flask import Flask
from sqlalchemy.orm import Session

from almerepas.core import clock
from almerepas.outbox.models import Channel, Message, MessageStatus
from almerepas.outbox.queue import queue
from tests.factories import KEYS
from tests.fixtures import FrozenClock, SmtpServer, free_port


def test_outbox_send_retries_what_the_mail_server_refused_before(
    app: Flask, db: Session, frozen_clock: FrozenClock
) -> None:
    port = free_port()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_TIMEOUT=5)
    message = queue(db, channel=Channel.email, recipient="jan@example.nl", purpose="test",
                    subject="Test", body="Hallo", keys=KEYS, now=clock.now())  # fmt: skip
    db.commit()
    runner = app.test_cli_runner()

    first = runner.invoke(args=["outbox", "send"])
    assert first.exit_code == 0, first.output
    assert first.output.strip() == "0 verstuurd, 1 later opnieuw, 0 mislukt"

    server = SmtpServer(port)
    server.start()
    try:
        frozen_clock.advance(minutes=1)
        second = runner.invoke(args=["outbox", "send"])
        assert second.output.strip() == "1 verstuurd, 0 later opnieuw, 0 mislukt"
        [mail] = server.wait_for(1)
    finally:
        server.stop()
    assert mail["To"] == "jan@example.nl"
    db.refresh(message)
    assert (message.status, message.attempts) == (MessageStatus.sent, 2)
    assert isinstance(message, Message)
