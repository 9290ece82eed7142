"""What every page form does with typed text: the same checks and parsing on every page."""

from __future__ import annotations

import datetime as dt
import re

from almerepas.core.paging import MAX_PAGE
from almerepas.core.text import is_plain

__all__ = ["Errors", "is_plain", "page_number", "parse_day"]

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
