"""Translate what the domain says (Dutch message ids, with parameters) for this request."""

from __future__ import annotations

from flask_babel import gettext


def translate(text: str) -> str:
    """The text in the request's language; text not in the catalogue stays as it is (Dutch)."""
    return str(gettext(text))
