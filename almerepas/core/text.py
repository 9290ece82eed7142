"""What counts as text we accept: one rule for the API's schemas and the pages' forms.

A control character (NUL, a newline, a tab, ...) does not belong in a name, an address or a
search: PostgreSQL refuses a NUL that SQLite stores, and a trailing newline is invisible on a
page but makes two values differ. Text of several lines (a description) may hold newlines and
tabs, no other control characters. A lone surrogate (half of a UTF-16 pair, which JSON can
write as ``\\ud800``) is no text at all: it cannot be encoded, stored or shown.
"""

from __future__ import annotations

import re

#: One line: no control characters. ``$`` is only written for OpenAPI (where it means the end);
#: Python checks with fullmatch, so a trailing newline never slips through.
PLAIN = r"^[^\x00-\x1f\x7f]*$"
#: Several lines: newlines, carriage returns and tabs are fine, other control characters not.
MULTILINE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"

_PLAIN = re.compile(PLAIN)
_MULTILINE = re.compile(MULTILINE)


def is_plain(value: str, max_length: int, *, multiline: bool = False) -> bool:
    """Text that may be stored or searched: not too long, no control characters, real text."""
    pattern = _MULTILINE if multiline else _PLAIN
    return len(value) <= max_length and pattern.fullmatch(value) is not None and is_unicode(value)


def is_unicode(value: str) -> bool:
    """False for a string with a lone surrogate, which no encoder or database accepts."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


#: What an Arabic keyboard types for 0-9 (Arabic-Indic and Persian digits) and for , and . .
_WESTERN = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹،٫٬", "01234567890123456789,,.")


def western_digits(value: str) -> str:
    """``٣٥`` as ``35``: a number typed on an Arabic keyboard counts as the same number."""
    return value.translate(_WESTERN)
