"""Input no field can hold is refused here, for the API and the pages alike, before a view runs.

- **JSON** (`load_json`, used by the API's argument parser): nested deeper than
  `MAX_JSON_DEPTH` is 400 `json_too_deep` (a thousand levels used to exhaust Python's
  recursion); a lone surrogate (``"\\ud800"``) in a value or a key, or a number too long for
  Python to read, is 400 `validation_failed` naming the field.
- **Query strings and form posts** (`check_request`, before every request): werkzeug reads bytes
  that are not UTF-8 (``%ED%A0%80``, how a lone surrogate looks in a URL) as the literal text
  ``%ED%A0%80``, so such a key or value is refused as 400 `validation_failed` naming the key,
  instead of being searched for or stored as something the client never sent.
- **Path parameters** with a control character (``/postcodes/13%0015``): 400 naming the
  parameter; PostgreSQL refuses a NUL that SQLite compares.

What else a field may hold (its length, control characters, a trailing newline) each schema and
form checks: `almerepas.core.text` holds the one rule for both.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote_to_bytes

from flask import Flask, request
from flask_babel import gettext as _

from almerepas.core.errors import ValidationFailed
from almerepas.core.i18n import N_
from almerepas.core.text import is_plain, is_unicode
from almerepas.http.errors import JsonTooDeep

#: Far more than any request body we accept (two levels today), far less than Python's stack.
MAX_JSON_DEPTH = 16
#: A JSON integer with more digits than this is refused at its field (Python reads at most 4300).
MAX_INTEGER_DIGITS = 100
#: The detail of a validation_failed that names its fields in ``errors``, as webargs's.
SEE_ERRORS = N_("Een of meer velden kloppen niet. Zie 'errors' voor wat er mis is.")

FieldError = dict[str, str]
_SURROGATE = re.compile("[\ud800-\udfff]")


class _TooLong:
    """A JSON integer too long to read; reported at its field after parsing."""


_TOO_LONG = _TooLong()


def _integer(text: str) -> int | _TooLong:
    return _TOO_LONG if len(text.lstrip("-")) > MAX_INTEGER_DIGITS else int(text)


def load_json(data: bytes) -> Any:
    """The JSON document in ``data``; raises JsonTooDeep or ValidationFailed as above.

    Bytes that are not UTF-8 or not JSON raise json.JSONDecodeError, which the caller reports
    as malformed_json.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Not an empty doc: webargs reads a JSONDecodeError of "" as "no body at all".
        raise json.JSONDecodeError(f"not UTF-8: {exc.reason}", str(exc.object), exc.start) from exc
    try:
        document = json.loads(text, parse_int=_integer)
    except RecursionError:
        raise JsonTooDeep() from None
    errors: list[FieldError] = []
    _walk(document, "", 0, errors)
    if errors:
        raise ValidationFailed(SEE_ERRORS, errors=errors)
    return document


def _walk(value: Any, path: str, depth: int, errors: list[FieldError]) -> None:
    if depth > MAX_JSON_DEPTH:
        raise JsonTooDeep()
    if isinstance(value, dict):
        for key, item in value.items():
            name = key if is_unicode(key) else _SURROGATE.sub("\ufffd", key)
            field = f"{path}.{name}" if path else name
            if name != key:
                errors.append(_unreadable(field, "json"))
            else:
                _walk(item, field, depth + 1, errors)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk(item, f"{path}.{index}" if path else str(index), depth + 1, errors)
    elif isinstance(value, str) and not is_unicode(value):
        errors.append(_unreadable(path, "json"))
    elif value is _TOO_LONG:
        errors.append({"field": path, "in": "json", "detail": _("Dit getal is te lang.")})


def _unreadable(field: str, location: str) -> FieldError:
    return {"field": field, "in": location, "detail": _("Dit is geen leesbare tekst (UTF-8).")}


def _undecodable(raw: bytes, location: str) -> list[FieldError]:
    """The keys of ``key=value&...`` whose key or value, percent-decoded, is not UTF-8."""
    errors = []
    for part in raw.split(b"&"):
        key, _sep, value = part.partition(b"=")
        key, value = (unquote_to_bytes(p.replace(b"+", b" ")) for p in (key, value))
        try:
            key.decode("utf-8")
            value.decode("utf-8")
        except UnicodeDecodeError:
            # Named as werkzeug reads it: the bytes that are not UTF-8 percent-encoded again.
            name = key.decode("utf-8", "werkzeug.url_quote")
            errors.append(_unreadable(name, location))
    return errors


def check_request() -> None:
    """Refuse a query string, form body or path parameter that no field can hold."""
    errors = _undecodable(request.query_string, "query")
    if request.mimetype == "application/x-www-form-urlencoded":
        errors += _undecodable(request.get_data(cache=True), "form")
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str) and not is_plain(value, len(value)):
            detail = _("Gebruik alleen gewone tekens, geen stuurtekens.")
            errors.append({"field": name, "in": "path", "detail": detail})
    if errors:
        raise ValidationFailed(SEE_ERRORS, errors=errors)


def init_app(app: Flask) -> None:
    app.before_request(check_request)
