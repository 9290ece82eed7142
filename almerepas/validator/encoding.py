"""Strict base64url (no padding, canonical) and JSON objects without duplicate keys."""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

B64URL = re.compile(r"[A-Za-z0-9_-]*")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    """Decode unpadded base64url; ValueError for any other alphabet, length or trailing bits.

    Canonical only: the text must be exactly what :func:`b64url` makes of the bytes, so no two
    spellings of one value exist.
    """
    if not B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as exc:
        raise ValueError("not base64url") from exc
    if b64url(data) != text:
        raise ValueError("not canonical base64url")
    return data


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def json_object(data: bytes) -> dict[str, Any]:
    """A JSON object from UTF-8 bytes; ValueError for anything else or a key given twice."""
    try:
        value = json.loads(
            data.decode("utf-8"), object_pairs_hook=_no_duplicates, parse_constant=_no_constants
        )
    except (UnicodeDecodeError, RecursionError) as exc:
        raise ValueError("not JSON") from exc
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


def compact_json(value: Any) -> bytes:
    """JSON as the service signs it: no spaces, keys in the order given."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=True).encode("ascii")
