"""Translate what the domain says (Dutch message ids, with parameters) for this request."""

from __future__ import annotations

from flask_babel import gettext

from almerepas.core.i18n import Message


def translate(text: str | Message) -> str:
    """The text in the request's language; text not in the catalogue stays as it is (Dutch)."""
    if isinstance(text, Message):
        return str(gettext(text.msgid, **text.params))
    return str(gettext(text))
