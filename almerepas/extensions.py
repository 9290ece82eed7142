"""Unbound extensions; create_app binds them."""

from __future__ import annotations

from flask import current_app, request
from flask_babel import Babel

babel = Babel()


def select_locale() -> str:
    """An explicit choice (?lang=, then the cookie) wins over Accept-Language; Dutch by default."""
    languages: tuple[str, ...] = current_app.config["LANGUAGES"]
    for choice in (request.args.get("lang"), request.cookies.get("lang")):
        if choice in languages:
            return choice
    return request.accept_languages.best_match(languages) or languages[0]
