"""Unbound extensions; create_app binds them."""

from __future__ import annotations

from flask import current_app, has_request_context, request
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect  # type: ignore[import-untyped]

babel = Babel()
#: CSRF tokens for page forms; the JSON API is exempt (bearer tokens), see almerepas.staff_views.
csrf = CSRFProtect()


def select_locale() -> str:
    """An explicit choice (?lang=, then the cookie) wins over Accept-Language; Dutch by default."""
    languages: tuple[str, ...] = current_app.config["LANGUAGES"]
    if not has_request_context():
        return languages[0]  # the CLI and domain code outside a request speak Dutch
    for choice in (request.args.get("lang"), request.cookies.get("lang")):
        if choice in languages:
            return choice
    return request.accept_languages.best_match(languages) or languages[0]
