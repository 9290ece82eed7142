"""What every page form does with typed text: the same checks and parsing on every page."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from flask import render_template, request
from flask_babel import gettext as _

from almerepas.core.errors import DomainError
from almerepas.core.paging import MAX_PAGE
from almerepas.core.session import get_session
from almerepas.core.text import is_plain

__all__ = ["Errors", "Form", "Refusals", "attempt", "is_plain", "page_number", "parse_day"]

#: (field name, message) pairs, shown beside the field and in the summary at the top.
Errors = list[tuple[str, str]]

_DMY = re.compile(r"([0-9]{1,2})[-/.]([0-9]{1,2})[-/.]([0-9]{4})")
_YMD = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")


def parse_day(text: str) -> dt.date:
    """A date typed as 15-03-2026 (also 15/3/2026, or 2026-03-15 from a date field); ValueError."""
    text = text.strip()
    if match := _DMY.fullmatch(text):
        day, month, year = (int(part) for part in match.groups())
    elif match := _YMD.fullmatch(text):
        year, month, day = (int(part) for part in match.groups())
    else:
        raise ValueError(f"not a date: {text!r}")
    if not 1900 <= year <= 2200:
        raise ValueError(f"year out of range: {year}")
    return dt.date(year, month, day)


def page_number(text: str) -> int:
    """The page asked for in a link; anything that is not a sensible page number is page 1."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()):
        return 1
    number = int(text)
    return number if 0 < number <= MAX_PAGE else 1


class Form:
    """What was typed, the errors found so far, and helpers that check one field each."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names
        self.values = {name: request.form.get(name, "").strip() for name in names}
        self.values.pop("bsn", None)  # never echoed back
        self.bsn = re.sub(r"[\s.]", "", request.form.get("bsn", ""))
        self.errors: Errors = []

    def error(self, name: str, message: str) -> None:
        if name not in dict(self.errors):
            self.errors.append((name, message))

    def text(self, name: str, max_length: int, missing: str | None) -> str:
        """Required text when ``missing`` is a message, otherwise optional."""
        value = self.values[name]
        if not value and missing:
            self.error(name, missing)
        elif not is_plain(value, max_length):
            self.error(name, _("Gebruik hoogstens %(n)s gewone tekens.", n=max_length))
        return value

    def day(self, name: str, missing: str, example: str) -> dt.date | None:
        if not self.values[name]:
            self.error(name, missing)
            return None
        try:
            return parse_day(self.values[name])
        except ValueError:
            message = _("Vul een datum in zoals %(example)s (dag-maand-jaar).", example=example)
            self.error(name, message)
            return None

    def sorted_errors(self) -> Errors:
        """In the order of the fields on the page, so the summary reads top to bottom."""
        return sorted(self.errors, key=lambda e: self.names.index(e[0]))

    def render(self, template: str, status: int, **context: Any) -> tuple[str, int]:
        if self.errors and self.bsn and "bsn" in self.names:
            self.error(
                "bsn",
                _(
                    "Vul het burgerservicenummer opnieuw in. "
                    "Wij zetten het niet terug in het formulier."
                ),
            )
        errors = self.sorted_errors()
        html = render_template(
            template, form=self.values, errors=errors, field_errors=dict(errors), **context
        )
        return html, status


def attempt(form: Form, work: Callable[[], Any], fields: Refusals) -> Any:
    """Run the domain work; a known refusal becomes field errors and nothing is written.

    The first refusal in ``fields`` that the error is an instance of decides: a (field, message)
    pair, or a function that turns the error into several.
    """
    try:
        return work()
    except DomainError as exc:
        for kind, refusal in fields.items():
            if isinstance(exc, kind):
                get_session().rollback()
                for name, message in refusal(exc) if callable(refusal) else [refusal]:
                    form.error(name, message)
                return None
        raise


Refusals = dict[type[DomainError], tuple[str, str] | Callable[[DomainError], Errors]]
