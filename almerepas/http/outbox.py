"""Sending the outbox from a request or a command: the transports the config names, and the
hand-over after the response, so a request never waits for a mail server.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from flask import Flask, Response, after_this_request, current_app

from almerepas.core import clock
from almerepas.core.session import get_keys, in_own_transaction
from almerepas.outbox.sending import Delivery, deliver_due
from almerepas.outbox.transports import (
    DropFolder,
    Mailer,
    NoSmsGateway,
    SmsGateway,
    SmtpMailer,
)

log = logging.getLogger("almerepas.outbox")


def mailer(app: Flask) -> Mailer:
    """SMTP when ALMEREPAS_SMTP_HOST is set (production requires it); otherwise the drop folder."""
    config = app.config
    if config.get("SMTP_HOST"):
        return SmtpMailer(
            host=config["SMTP_HOST"],
            port=config["SMTP_PORT"],
            sender=config["SMTP_FROM"],
            timeout=config["SMTP_TIMEOUT"],
        )
    return DropFolder(drop_folder(app))


def sms_gateway(app: Flask) -> SmsGateway:
    """No SMS provider is connected yet: the drop folder outside production, a refusal in it."""
    return NoSmsGateway() if app.config["ENV"] == "production" else DropFolder(drop_folder(app))


def drop_folder(app: Flask) -> Path:
    """ALMEREPAS_MAIL_DROP, else ``mail/`` in the instance folder."""
    return Path(app.config.get("MAIL_DROP") or Path(app.instance_path) / "mail")


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
    """Send the outbox on a thread of its own once this request has committed.

    The resident does not wait for the mail server, and the time the answer takes does not tell
    whether a message was queued. Not a close callback of the response: werkzeug skips those
    when the browser resets the connection after reading the answer (it does, now and then,
    after a redirect), and the login code then waited for the retry run. A failure is logged
    and left to that run (``almerepas outbox send``); a thread cut off by a restart leaves its
    message leased, and the run sends it when the lease ends. ``OUTBOX_HAND_OVER = "close"``
    keeps the close callback, in the request's thread, for the tests' app on one connection.
    """
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]

    def hand_over() -> None:
        with app.app_context():
            try:
                delivery = deliver_now()
            except Exception:  # the response has gone; the message waits for the next run
                log.exception("sending the outbox after a response failed")
                return
        log.info(
            "outbox after a response: %d sent, %d to retry, %d failed",
            len(delivery.sent), len(delivery.retrying), len(delivery.failed),
        )  # fmt: skip

    @after_this_request
    def _start(response: Response) -> Response:
        if app.config["OUTBOX_HAND_OVER"] == "close":
            response.call_on_close(hand_over)
        else:
            threading.Thread(target=hand_over, name="outbox-hand-over", daemon=True).start()
        return response
