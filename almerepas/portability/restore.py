"""An open export back into an empty, migrated instance: all tables or nothing.

Everything is checked before the first row goes in: the manifest, the schema revision, every
file's SHA-256, and that the database holds no data. Rows keep their ids and go in foreign-key
order; the BSNs and messages are encrypted with this instance's keys, the BSN lookup hashed
with its hash key. Secrets were never exported: staff and partner users come back without a
password or second factor, counters must pair again, signing keys have no private half
(docs/operations.md says what the administrator does next).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyotp
from sqlalchemy import MetaData, Table, func, literal, select, text
from sqlalchemy.orm import Session

from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.core.crypto import Keyring
from almerepas.households.members import bsn_hash
from almerepas.portability import formats
from almerepas.portability.catalogue import (
    LEFT_OUT_COLUMNS,
    REVEALED,
    ExportTable,
    export_tables,
)
from almerepas.portability.errors import (
    RestoreFileChanged,
    RestoreManifestInvalid,
    RestoreRevisionMismatch,
    RestoreTargetNotEmpty,
)
from almerepas.portability.export import FORMAT_NAME, FORMAT_VERSION, MANIFEST, database_revision

BATCH = 1000

#: What a password hash is set to: no password matches it (argon2 does not even read it).
UNUSABLE_HASH = "!restored"

Row = dict[str, Any]


def _placeholder(row: Row, _keys: Keyring) -> str:
    """A unique value that no key or code hashes to (a hex digest never starts with '!')."""
    return f"!restored:{row['id']}"


def _unknown_second_factor(_row: Row, keys: Keyring) -> bytes:
    """A second factor nobody knows: the administrator resets it (staff reset-2fa)."""
    return keys.encrypt(pyotp.random_base32())


#: The values restored into the columns that were left out, by table and column; a column left
#: out and not named here comes back NULL.
FILL: dict[tuple[str, str], Callable[[Row, Keyring], Any]] = {
    ("staff_user", "password_hash"): lambda _row, _keys: UNUSABLE_HASH,
    ("staff_user", "totp_secret_encrypted"): _unknown_second_factor,
    ("partner_user", "password_hash"): lambda _row, _keys: UNUSABLE_HASH,
    ("partner_user", "totp_secret_encrypted"): lambda row, keys: (
        _unknown_second_factor(row, keys) if row["role"] == "manager" else None
    ),
    ("partner_device", "key_hash"): _placeholder,
    ("application", "code_hash"): _placeholder,
    ("person", "bsn_hash"): lambda row, keys: (
        bsn_hash(row["bsn"], keys=keys) if row["bsn"] else None
    ),
}


def _encrypted(value: str | None, keys: Keyring) -> bytes | None:
    return None if value is None else keys.encrypt(value)


@dataclass(frozen=True)
class Plan:
    """A checked export: its manifest and, per table, the spec and the manifest's entry."""

    folder: Path
    manifest: dict[str, Any]
    tables: list[tuple[ExportTable, dict[str, Any]]]

    @property
    def fmt(self) -> str:
        return str(self.manifest["file_format"])


def read_manifest(folder: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RestoreManifestInvalid(file=MANIFEST) from exc
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != FORMAT_NAME
        or manifest.get("format_version") != FORMAT_VERSION
        or manifest.get("file_format") not in formats.SUFFIX
    ):
        raise RestoreManifestInvalid(file=MANIFEST)
    return manifest


def _has_rows(session: Session, table: Table) -> bool:
    return session.scalar(select(literal(1)).select_from(table).limit(1)) is not None


def check(session: Session, folder: Path, metadata: MetaData) -> Plan:
    """Everything a restore needs before the first row; raise the first problem found."""
    manifest = read_manifest(folder)
    if manifest.get("alembic_revision") != database_revision(session):
        raise RestoreRevisionMismatch(
            export=manifest.get("alembic_revision"), database=database_revision(session)
        )
    entries = {t.get("name"): t for t in manifest.get("tables", []) if isinstance(t, dict)}
    specs = export_tables(metadata)
    if set(entries) != {s.name for s in specs}:
        raise RestoreManifestInvalid(file=MANIFEST)
    tables = []
    for spec in specs:
        entry = entries[spec.name]
        if [c.get("name") for c in entry.get("columns", [])] != [c.name for c in spec.columns]:
            raise RestoreManifestInvalid(file=entry.get("file"))
        if entry.get("file") != spec.name + formats.SUFFIX[manifest["file_format"]]:
            raise RestoreManifestInvalid(file=entry.get("file"))  # no path out of the folder
        path = folder / str(entry.get("file"))
        if not path.is_file() or formats.sha256_of(path) != entry.get("sha256"):
            raise RestoreFileChanged(file=entry.get("file"))
        tables.append((spec, entry))
    full = [t.name for t in metadata.sorted_tables if _has_rows(session, t)]
    if full:
        raise RestoreTargetNotEmpty(tables=full)
    return Plan(folder, manifest, tables)


def _database_row(spec: ExportTable, row: Row, keys: Keyring) -> Row:
    """A row as read from the file, as the table takes it: secrets filled, plain text encrypted."""
    values = {col.source: row[col.name] for col in spec.columns}
    for (table, column), name in REVEALED.items():
        if table == spec.name:
            values[column] = _encrypted(row[name], keys)
    for table, column in LEFT_OUT_COLUMNS:
        if table == spec.name:
            fill = FILL.get((table, column))
            values[column] = fill(row, keys) if fill else None
    return values


def _batches(rows: Iterator[Row]) -> Iterator[list[Row]]:
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def load_table(
    session: Session, plan: Plan, spec: ExportTable, entry: dict[str, Any], keys: Keyring
) -> int:
    """Insert one table's rows with their ids; return how many."""
    rows = formats.read_rows(plan.folder / str(entry["file"]), plan.fmt, spec.columns)
    count = 0
    try:
        for batch in _batches(_database_row(spec, row, keys) for row in rows):
            session.connection().execute(spec.table.insert(), batch)
            count += len(batch)
    except (ValueError, KeyError) as exc:
        raise RestoreManifestInvalid(file=entry["file"]) from exc
    if count != entry.get("rows"):
        raise RestoreFileChanged(file=entry["file"])
    return count


def set_sequences(session: Session, metadata: MetaData) -> int:
    """PostgreSQL: every id sequence past the highest id restored, so new rows get new ids."""
    if session.get_bind().dialect.name != "postgresql":
        return 0  # SQLite gives a new row the highest id plus one by itself
    done = 0
    for table in metadata.sorted_tables:
        for column in table.primary_key.columns:
            sequence = session.scalar(
                text("SELECT pg_get_serial_sequence(:table, :column)"),
                {"table": f'"{table.name}"', "column": column.name},
            )
            if sequence is None:
                continue
            highest = session.scalar(select(func.max(column)))
            session.execute(
                text("SELECT setval(:sequence, :value, :called)"),
                {"sequence": sequence, "value": highest or 1, "called": highest is not None},
            )
            done += 1
    return done


def finish(session: Session, plan: Plan, *, actor: Actor, rows: int) -> None:
    """The restore's own audit row, after the sequences are set (it draws a new id)."""
    audit.record(
        session,
        actor=actor,
        action="data.restored",
        changes={
            "format": plan.fmt,
            "tables": len(plan.tables),
            "rows": rows,
            "exported_at": plan.manifest.get("created_at"),
            "exported_by_version": plan.manifest.get("app_version"),
        },
    )


def restore_all(
    session: Session, folder: Path, *, metadata: MetaData, keys: Keyring, actor: Actor
) -> int:
    """Check, load every table, set the sequences and audit; the caller commits once."""
    plan = check(session, folder, metadata)
    rows = sum(load_table(session, plan, spec, entry, keys) for spec, entry in plan.tables)
    set_sequences(session, metadata)
    finish(session, plan, actor=actor, rows=rows)
    return rows
