"""Sending the outbox from a request or a command: the transports the config names, and the
hand-over after the response, so a request never waits for a mail server.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, after_this_request, current_app

from almerepas.core import clock
from almerepas.core.session import get_keys, in_own_transaction
from almerepas.outbox.sending import Delivery, deliver_due
from almerepas.outbox.transports import (
    LogMailer,
    LogSmsGateway,
    Mailer,
    NoSmsGateway,
    SmsGateway,
    SmtpMailer,
)

log = logging.getLogger("almerepas.outbox")


def mailer(app: Flask) -> Mailer:
    """SMTP when ALMEREPAS_SMTP_HOST is set (production requires it); otherwise the log."""
    config = app.config
    if config.get("SMTP_HOST"):
        return SmtpMailer(
            host=config["SMTP_HOST"],
            port=config["SMTP_PORT"],
            sender=config["SMTP_FROM"],
            timeout=config["SMTP_TIMEOUT"],
        )
    return LogMailer()


def sms_gateway(app: Flask) -> SmsGateway:
    """No SMS provider is connected yet: the log outside production, a refusal in production."""
    return NoSmsGateway() if app.config["ENV"] == "production" else LogSmsGateway()


def deliver_now() -> Delivery:
    """Send what is due now, in the current app context (``almerepas outbox send``)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return deliver_due(
        in_own_transaction,
        mailer=mailer(app),
        sms=sms_gateway(app),
        keys=get_keys(),
        now=clock.now,
    )


def send_after_response() -> None:
    """Send the outbox once this request's response has gone out (after its commit).

    Runs when the server closes the response, so the resident does not wait for the mail
    server, and the time the answer takes does not tell whether a message was queued. A failure
    is logged and left to the retry (``almerepas outbox send``).
    """
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]

    def hand_over() -> None:
        with app.app_context():
            try:
                deliver_now()
            except Exception:  # the response has gone; the message waits for the next run
                log.exception("sending the outbox after a response failed")

    @after_this_request
    def _register(response: Response) -> Response:
        response.call_on_close(hand_over)
        return response
