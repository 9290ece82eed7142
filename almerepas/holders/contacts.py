"""What a resident types to log in, e-mail address or mobile number, in one normal form."""

from __future__ import annotations

import re
from dataclasses import dataclass

from almerepas.holders.errors import InvalidContact
from almerepas.outbox.models import Channel

EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}")
#: A Dutch mobile number: 06 and eight digits (+316..., 00316... and 316... too).
MOBILE = re.compile(r"(?:\+31|0031|31|0)(6[0-9]{8})")
SEPARATORS = re.compile(r"[\s().-]")


@dataclass(frozen=True)
class Contact:
    channel: Channel
    #: ``name@example.nl`` in lower case, or ``+316xxxxxxxx``
    value: str


def parse_contact(text: str) -> Contact:
    """Refuses anything that is neither an e-mail address nor a Dutch mobile number."""
    text = text.strip()
    if len(text) > 254 or any(ord(c) < 32 for c in text):
        raise InvalidContact()
    if "@" in text:
        if not EMAIL.fullmatch(text):
            raise InvalidContact()
        return Contact(Channel.email, text.lower())
    number = normal_mobile(text)
    if number is None:
        raise InvalidContact()
    return Contact(Channel.sms, number)


def normal_mobile(text: str) -> str | None:
    """``06-1234 5678``, ``+31 6 12345678``, ``0031612345678`` -> ``+31612345678``; else None."""
    match = MOBILE.fullmatch(SEPARATORS.sub("", text))
    return f"+31{match.group(1)}" if match else None
