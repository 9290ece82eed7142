"""Unbound extensions; create_app binds them."""

from __future__ import annotations

from flask import current_app, has_request_context, request
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect  # type: ignore[import-untyped]

babel = Babel()
#: CSRF tokens for page forms; the JSON API is exempt (bearer tokens), see almerepas.staff_views.
csrf = CSRFProtect()


#: Each language in its own words, for the switch on every page (config LANGUAGES says which).
LANGUAGE_NAMES = {"nl": "Nederlands", "en": "English", "ar": "العربية"}
#: Languages written from right to left: the page gets dir="rtl" (docs/languages.md).
RIGHT_TO_LEFT = frozenset({"ar"})


def text_direction(language: str) -> str:
    """``rtl`` or ``ltr``: the ``dir`` of a page or a link in ``language``."""
    return "rtl" if language in RIGHT_TO_LEFT else "ltr"


def select_locale() -> str:
    """An explicit choice (?lang=, then the cookie) wins over Accept-Language; Dutch by default."""
    languages: tuple[str, ...] = current_app.config["LANGUAGES"]
    if not has_request_context():
        return languages[0]  # the CLI and domain code outside a request speak Dutch
    for choice in (request.args.get("lang"), request.cookies.get("lang")):
        if choice in languages:
            return choice
    return request.accept_languages.best_match(languages) or languages[0]
