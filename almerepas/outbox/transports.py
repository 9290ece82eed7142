"""How a message leaves: SMTP for e-mail, an ``SmsGateway`` for text messages, or a drop folder.

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
from pathlib import Path
from typing import Protocol

from almerepas.core import clock
from almerepas.core.redaction import without_addresses

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
            reply = without_addresses(repr(exc.smtp_error))
            raise failure(f"SMTP {exc.smtp_code}: {reply}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TemporaryFailure(f"{type(exc).__name__}: {without_addresses(str(exc))}") from exc


@dataclass(frozen=True)
class DropFolder:
    """Development and tests without a mail server or SMS provider: each message becomes a file
    in ``folder`` (e-mail as ``.eml``), and the log says only which file, never an address or a
    code, so the logs stay free of personal data here too."""

    folder: Path

    def _write(self, name: str, content: bytes, kind: str, message: Outgoing) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / name
        path.write_bytes(content)
        log.warning("no %s configured; message %s written to %s", kind, message.id, path)

    def send_email(self, message: Outgoing) -> None:
        mail = EmailMessage()
        mail["To"] = message.recipient
        mail["Subject"] = message.subject or ""
        mail["Date"] = format_datetime(clock.now())
        mail.set_content(message.body)
        name = f"email-{message.id}-{message.attempt}.eml"
        self._write(name, mail.as_bytes(), "SMTP server", message)

    def send_sms(self, message: Outgoing) -> None:
        text = f"Aan: {message.recipient}\n\n{message.body}\n".encode()
        self._write(f"sms-{message.id}-{message.attempt}.txt", text, "SMS gateway", message)


class NoSmsGateway:
    """Production until an SMS provider is connected: every text message fails for good."""

    def send_sms(self, message: Outgoing) -> None:
        raise PermanentFailure("no SMS gateway is configured")
