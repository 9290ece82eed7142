"""How a value is written in the open export, and read back (docs/operations.md).

CSV (RFC 4180, UTF-8, CRLF, a header row): every value that is not NULL is quoted, so an
unquoted empty field is NULL and ``""`` is the empty string. JSON Lines: one object per row.
Integers (cents) stay integers; dates ISO 8601, datetimes ISO 8601 in UTC with ``+00:00``;
booleans ``true``/``false``; JSON columns as JSON (in CSV its text); binary as base64.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from almerepas.portability import catalogue as c
from almerepas.portability.catalogue import ExportColumn

CSV, JSONL = "csv", "json"
SUFFIX = {CSV: ".csv", JSONL: ".jsonl"}


def to_json(value: Any, column: ExportColumn) -> Any:
    """A database value as a JSON value."""
    if value is None:
        return None
    if column.kind == c.BINARY:
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, enum.Enum):
        return value.value
    if column.kind == c.DATETIME:
        return value.astimezone(dt.UTC).isoformat()
    if column.kind == c.DATE:
        return value.isoformat()
    return value


def to_text(value: Any, column: ExportColumn) -> str | None:
    """A database value as the text of a CSV field; None stays None (written unquoted)."""
    plain = to_json(value, column)
    if plain is None:
        return None
    if column.kind == c.BOOLEAN:
        return "true" if plain else "false"
    if column.kind == c.JSON_KIND:
        return json.dumps(plain, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return str(plain)


def from_json(value: Any, column: ExportColumn) -> Any:
    """A JSON value back to what the database column takes."""
    if value is None:
        return None
    kind = column.kind
    if kind == c.BINARY:
        return base64.b64decode(value)
    if kind == c.DATETIME:
        return dt.datetime.fromisoformat(value).astimezone(dt.UTC)
    if kind == c.DATE:
        return dt.date.fromisoformat(value)
    if kind == c.ENUM and column.enum_class is not None:
        return column.enum_class(value)
    return value


def from_text(text: str | None, column: ExportColumn) -> Any:
    """A CSV field back to what the database column takes."""
    if text is None:
        return None
    kind = column.kind
    if kind == c.INTEGER:
        return int(text)
    if kind == c.BOOLEAN:
        if text not in ("true", "false"):
            raise ValueError(f"{column.name}: {text!r} is not true or false")
        return text == "true"
    if kind == c.JSON_KIND:
        return json.loads(text)
    return from_json(text, column)


def _quote(text: str | None) -> str:
    return "" if text is None else '"' + text.replace('"', '""') + '"'


class HashingWriter:
    """A file that keeps the SHA-256 of the bytes written to it."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()

    def write(self, text: str) -> None:
        data = text.encode("utf-8")
        self.digest.update(data)
        self.handle.write(data)


def write_header(out: HashingWriter, fmt: str, columns: Sequence[ExportColumn]) -> None:
    if fmt == CSV:
        out.write(",".join(_quote(col.name) for col in columns) + "\r\n")


def write_row(out: HashingWriter, fmt: str, columns: Sequence[ExportColumn], row: Any) -> None:
    """One row, its values in the columns' order."""
    if fmt == CSV:
        out.write(",".join(_quote(to_text(v, col)) for v, col in zip(row, columns, strict=True)))
        out.write("\r\n")
    else:
        body = {col.name: to_json(v, col) for v, col in zip(row, columns, strict=True)}
        out.write(json.dumps(body, ensure_ascii=False, separators=(",", ":")) + "\n")


FIELD = re.compile(r'"((?:[^"]|"")*)"|')


def parse_record(record: str) -> list[str | None]:
    """One CSV record as written by write_row: quoted fields, or empty for NULL."""
    fields: list[str | None] = []
    pos = 0
    while True:
        match = FIELD.match(record, pos)
        if match is None:  # pragma: no cover - the pattern also matches the empty string
            raise ValueError("unreadable CSV field")
        fields.append(None if match.group(1) is None else match.group(1).replace('""', '"'))
        pos = match.end()
        if pos == len(record):
            return fields
        if record[pos] != ",":
            raise ValueError(f"unexpected {record[pos]!r} after field {len(fields)}")
        pos += 1


def csv_records(handle: IO[str]) -> Iterator[list[str | None]]:
    """The records of a CSV file opened with newline="": a record ends at a CRLF outside quotes."""
    pending = ""
    for line in handle:
        pending += line
        if pending.count('"') % 2 == 0 and pending.endswith("\r\n"):
            yield parse_record(pending[:-2])
            pending = ""
    if pending:
        raise ValueError("the file ends inside a record")


def read_rows(path: Path, fmt: str, columns: Sequence[ExportColumn]) -> Iterator[dict[str, Any]]:
    """The rows of one exported file as {column: database value}, in the file's order."""
    names = [col.name for col in columns]
    with path.open(encoding="utf-8", newline="") as handle:
        if fmt == CSV:
            records = csv_records(handle)
            header = next(records, None)
            if header != names:
                raise ValueError(f"{path.name}: the header is not {names}")
            for record in records:
                if len(record) != len(columns):
                    raise ValueError(f"{path.name}: a row has {len(record)} fields")
                yield {
                    col.name: from_text(text, col)
                    for text, col in zip(record, columns, strict=True)
                }
        else:
            for line in handle:
                body = json.loads(line)
                if list(body) != names:
                    raise ValueError(f"{path.name}: a row has the keys {list(body)}")
                yield {col.name: from_json(body[col.name], col) for col in columns}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
