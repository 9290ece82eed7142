"""How a message leaves: SMTP for e-mail, an ``SmsGateway`` for text messages, or the log.

A transport raises ``TemporaryFailure`` when trying again later may work (the server is down,
refuses for now, times out) and ``PermanentFailure`` when it never will (the address is refused
for good). The sender turns that into a retry with backoff or into ``failed``.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Protocol

from almerepas.core import clock

log = logging.getLogger("almerepas.outbox")


class TransportFailure(Exception):
    """A message could not be handed over; the text goes into ``message.last_error``."""


class TemporaryFailure(TransportFailure):
    """Try again later."""


class PermanentFailure(TransportFailure):
    """Trying again will not help."""


@dataclass(frozen=True)
class Outgoing:
    """What a transport needs of a message: decrypted, detached from the database."""

    id: int
    recipient: str
    subject: str | None
    body: str
    attempt: int


class Mailer(Protocol):
    def send_email(self, message: Outgoing) -> None: ...


class SmsGateway(Protocol):
    """A provider that sends text messages (an HTTP API in production, not built yet)."""

    def send_sms(self, message: Outgoing) -> None: ...


@dataclass(frozen=True)
class SmtpMailer:
    """Hands e-mail to an SMTP server (smtplib), one connection per batch of messages."""

    host: str
    port: int
    sender: str
    timeout: float = 10.0

    @property
    def domain(self) -> str:
        """The sender's domain, for EHLO and the Message-ID: no lookup of this host's name in
        DNS (smtplib and make_msgid would ask for its fully qualified name every message)."""
        address = parseaddr(self.sender)[1]
        return address.rpartition("@")[2] or "localhost"

    def build(self, message: Outgoing) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.recipient
        email["Subject"] = message.subject or ""
        email["Date"] = format_datetime(clock.now())
        email["Message-ID"] = make_msgid(idstring=f"almerepas.{message.id}", domain=self.domain)
        email.set_content(message.body)
        return email

    def send_email(self, message: Outgoing) -> None:
        try:
            with smtplib.SMTP(
                self.host, self.port, timeout=self.timeout, local_hostname=self.domain
            ) as smtp:
                smtp.send_message(self.build(message))
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _text in exc.recipients.values()]
            failure = PermanentFailure if all(c >= 500 for c in codes) else TemporaryFailure
            raise failure(f"recipient refused: {codes}") from exc
        except smtplib.SMTPResponseException as exc:
            failure = PermanentFailure if exc.smtp_code >= 500 else TemporaryFailure
            raise failure(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TemporaryFailure(f"{type(exc).__name__}: {exc}") from exc


class LogMailer:
    """Development and tests without a mail server: the message, code and all, goes to the log."""

    def send_email(self, message: Outgoing) -> None:
        log.warning(
            "no SMTP server configured; e-mail %s to %s: %s\n%s",
            message.id,
            message.recipient,
            message.subject,
            message.body,
        )


class LogSmsGateway:
    """Development and tests: the text message goes to the log instead of a phone."""

    def send_sms(self, message: Outgoing) -> None:
        log.warning(
            "no SMS gateway; text %s to %s:\n%s", message.id, message.recipient, message.body
        )


class NoSmsGateway:
    """Production until an SMS provider is connected: every text message fails for good."""

    def send_sms(self, message: Outgoing) -> None:
        raise PermanentFailure("no SMS gateway is configured")
