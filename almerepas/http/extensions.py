"""Unbound extensions; create_app binds them."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, has_request_context, request
from flask_babel import Babel, Domain, get_locale
from flask_wtf.csrf import CSRFProtect  # type: ignore[import-untyped]

from almerepas.core import gemeente

babel = Babel()
#: CSRF tokens for page forms; the JSON API is exempt (bearer tokens), see almerepas.staff_views.
csrf = CSRFProtect()


#: Each language in its own words, for the switch on every page (config LANGUAGES says which).
LANGUAGE_NAMES = {"nl": "Nederlands", "en": "English", "ar": "العربية"}
#: Languages written from right to left: the page gets dir="rtl" (docs/languages.md).
RIGHT_TO_LEFT = frozenset({"ar"})


#: Languages only the resident pages speak (docs/languages.md); staff, partner and finance pages
#: and the API fall back to the others.
RESIDENT_ONLY = frozenset({"ar"})
#: The public pages, the check and the holder's own pages.
RESIDENT_BLUEPRINTS = frozenset({"web", "desk", "holder"})
_NOT_RESIDENT_PATHS = ("/api/", "/partner", "/medewerkers", "/financien")


def text_direction(language: str) -> str:
    """``rtl`` or ``ltr``: the ``dir`` of a page or a link in ``language``."""
    return "rtl" if language in RIGHT_TO_LEFT else "ltr"


def resident_page() -> bool:
    """A page of the public site or the holder's own pages, or an error page outside the others."""
    if request.blueprint is None:  # a 404 or 405 has no blueprint: judge by the path
        return not request.path.startswith(_NOT_RESIDENT_PATHS)
    return request.blueprint in RESIDENT_BLUEPRINTS


def offered_languages() -> tuple[str, ...]:
    """The languages of this page: all of them for residents, without Arabic elsewhere."""
    languages: tuple[str, ...] = current_app.config["LANGUAGES"]
    if not has_request_context() or resident_page():
        return languages
    return tuple(code for code in languages if code not in RESIDENT_ONLY)


def language_switch() -> list[tuple[str, str]]:
    """(code, name in its own words) for the switch on this page."""
    return [(code, LANGUAGE_NAMES[code]) for code in offered_languages()]


def select_locale() -> str:
    """An explicit choice (?lang=, then the cookie) wins over Accept-Language; Dutch by default."""
    languages = offered_languages()
    if not has_request_context():
        return languages[0]  # the CLI and domain code outside a request speak Dutch
    for choice in (request.args.get("lang"), request.cookies.get("lang")):
        if choice in languages:
            return choice
    return request.accept_languages.best_match(languages) or languages[0]


def _fill(text: str) -> str:
    """The gemeente's names in ``text``, spelled for the request's language."""
    return gemeente.current().fill(text, str(get_locale() or "nl"))


class _GemeenteTranslations:
    """A catalogue whose texts come back with the gemeente's names for their placeholders."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def ugettext(self, message: str) -> str:
        return _fill(self._inner.ugettext(message))

    def ungettext(self, singular: str, plural: str, n: int) -> str:
        return _fill(self._inner.ungettext(singular, plural, n))

    def upgettext(self, context: str, message: str) -> str:
        return _fill(self._inner.upgettext(context, message))

    def unpgettext(self, context: str, singular: str, plural: str, n: int) -> str:
        return _fill(self._inner.unpgettext(context, singular, plural, n))

    gettext, ngettext = ugettext, ungettext
    pgettext, npgettext = upgettext, unpgettext

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _GemeenteDomain(Domain):  # type: ignore[misc]
    """Flask-Babel's domain, its texts filled with the gemeente of the app that serves them."""

    def get_translations(self) -> Any:
        return _GemeenteTranslations(super().get_translations())


def gemeente_texts(app: Flask) -> None:
    """Texts name the gemeente and its pass by placeholders (``%(gemeente)s``, ``%(pass_name)s``,
    ``%(organisation)s``): every translated text, in templates, views and the domain's marked
    messages, has them filled from the app's gemeente; ``gemeente`` is a template global too
    (docs/gemeente.md)."""
    babel.domain_instance = _GemeenteDomain()
    app.jinja_env.globals["gemeente"] = app.config["GEMEENTE"]
