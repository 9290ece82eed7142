"""What the open export holds: every table of the metadata, column by column, but the secrets.

The tables are walked from the models' metadata, so a table or column added later is exported
without anyone remembering to. What is left out is listed here, each with its reason; a test
fails when a new column looks like a secret and is in neither list (tests/ops/test_export.py).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Enum,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.types import TypeDecorator

#: Whole tables left out: login state that means nothing outside this service. A restored
#: instance starts with everyone logged out, which is what a move to another system means anyway.
LEFT_OUT_TABLES: dict[str, str] = {
    "api_token": "staff API tokens: hashes of bearer tokens, only valid on this instance",
    "holder_session": "residents' login sessions: token hashes",
    "login_code": "residents' one-time login codes: hashes, valid for ten minutes",
    "partner_user_token": "partner users' API tokens: token hashes",
    "partner_device_session": "paired counters' sessions: token hashes",
}

#: Columns left out: secrets of the service, not the gemeente's data. On a restore a column
#: that may not be empty gets a value that opens nothing (restore.py, FILL).
LEFT_OUT_COLUMNS: dict[tuple[str, str], str] = {
    ("staff_user", "password_hash"): "a password hash; the administrator gives a new password",
    ("staff_user", "totp_secret_encrypted"): "the second factor's secret; reset with reset-2fa",
    ("partner_user", "password_hash"): "a password hash; the partner's manager gets a new one",
    ("partner_user", "totp_secret_encrypted"): "the second factor's secret",
    ("partner_device", "key_hash"): "the hash of a counter's device key; the counter pairs anew",
    ("application", "code_hash"): "the hash of the code a resident resumes a draft with",
    ("application", "submission_token"): "a one-time token of the submit form",
    ("signing_key", "private_key_encrypted"): "the private half of a signing key; never leaves",
    ("person", "bsn_hash"): "a keyed hash under this instance's key; made anew from the BSN",
}

#: Encrypted columns exported as their plain text under another name: the export must be
#: readable without our code and keys. The restore encrypts them with the target's keys.
REVEALED: dict[tuple[str, str], str] = {
    ("person", "bsn_encrypted"): "bsn",
    ("message", "body_encrypted"): "body",
}

#: Columns whose names sound secret but which are data, kept on purpose.
NOT_SECRET: dict[tuple[str, str], str] = {
    ("idempotency_record", "request_hash"): "SHA-256 of a request body, to compare a retry",
    ("settlement_run", "lines_hash"): "SHA-256 of a run's lines, what the approver saw",
    ("credential", "revocation_hash"): "public: the validators' revocation list carries it",
    ("credential", "pseudonym"): "the pass's pseudonym in its codes; no personal data",
    ("used_code", "pseudonym"): "the same pseudonym, of a rotating code already used",
    ("ride", "pseudonym"): "the same pseudonym, of a ride",
    ("household", "pseudonymised_at"): "when erasure made the persons pseudonyms",
}

SECRET_WORDS = ("hash", "secret", "encrypted", "token", "salt", "password", "pseudonym", "private")

#: The type names the manifest uses, one per kind of value (docs/operations.md).
INTEGER, STRING, BOOLEAN, DATE, DATETIME, JSON_KIND, BINARY, ENUM = (
    "integer",
    "string",
    "boolean",
    "date",
    "datetime",
    "json",
    "binary",
    "enum",
)


def kind_of(column: Column[object]) -> str:
    """The manifest's type of a column, from its SQLAlchemy type (decorators unwrapped)."""
    sql_type = column.type
    if isinstance(sql_type, TypeDecorator):
        sql_type = sql_type.impl_instance
    for cls, kind in (
        (Boolean, BOOLEAN),
        (Enum, ENUM),
        (Integer, INTEGER),
        (DateTime, DATETIME),
        (Date, DATE),
        (JSON, JSON_KIND),
        (LargeBinary, BINARY),
        (Text, STRING),
        (String, STRING),
    ):
        if isinstance(sql_type, cls):
            return kind
    raise TypeError(f"{column.table.name}.{column.name}: no export type for {sql_type!r}")


@dataclass(frozen=True)
class ExportColumn:
    """One column of a file: its name, type, and the database column it comes from."""

    name: str
    kind: str
    nullable: bool
    source: str
    references: str | None = None
    values: tuple[str, ...] = ()
    enum_class: type[enum.Enum] | None = None

    def describe(self) -> dict[str, object]:
        """The column as the manifest lists it."""
        found: dict[str, object] = {"name": self.name, "type": self.kind, "nullable": self.nullable}
        if self.references:
            found["references"] = self.references
        if self.values:
            found["values"] = list(self.values)
        return found


@dataclass(frozen=True)
class ExportTable:
    table: Table
    columns: list[ExportColumn] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.table.name

    def left_out(self) -> dict[str, str]:
        return {c: why for (t, c), why in LEFT_OUT_COLUMNS.items() if t == self.name}


def _column(column: Column[object]) -> ExportColumn:
    key = (column.table.name, column.name)
    if key in REVEALED:
        return ExportColumn(REVEALED[key], STRING, bool(column.nullable), column.name)
    foreign = next(iter(column.foreign_keys), None)
    values: tuple[str, ...] = ()
    enum_class = None
    if isinstance(column.type, Enum):
        values = tuple(column.type.enums)
        enum_class = column.type.enum_class
    return ExportColumn(
        column.name,
        kind_of(column),
        bool(column.nullable),
        column.name,
        references=foreign.target_fullname if foreign is not None else None,
        values=values,
        enum_class=enum_class,
    )


def export_tables(metadata: MetaData) -> list[ExportTable]:
    """Every table but the left-out ones, parents before children (foreign-key order)."""
    return [
        ExportTable(
            table,
            [_column(c) for c in table.columns if (table.name, c.name) not in LEFT_OUT_COLUMNS],
        )
        for table in metadata.sorted_tables
        if table.name not in LEFT_OUT_TABLES
    ]


def unclassified_secrets(metadata: MetaData) -> Iterator[str]:
    """Columns named like a secret that no list above decides on: each needs a decision."""
    decided = set(LEFT_OUT_COLUMNS) | set(REVEALED) | set(NOT_SECRET)
    for table in metadata.sorted_tables:
        if table.name in LEFT_OUT_TABLES:
            continue
        for column in table.columns:
            key = (table.name, column.name)
            if key not in decided and any(word in column.name for word in SECRET_WORDS):
                yield f"{table.name}.{column.name}"
