"""Every table to one file, and manifest.json last, from one consistent read of the database.

The BSN and the messages' bodies are decrypted (the export must be readable without our keys);
the secrets in catalogue.py are left out. The export is audited (``data.exported``): who, when,
in which format, how many rows.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import MetaData, func, select
from sqlalchemy.orm import Session

from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.core import migrate
from almerepas.core.crypto import Keyring
from almerepas.portability import formats
from almerepas.portability.catalogue import (
    LEFT_OUT_TABLES,
    REVEALED,
    ExportColumn,
    ExportTable,
    export_tables,
)
from almerepas.portability.errors import ExportFolderNotEmpty

MANIFEST = "manifest.json"
FORMAT_NAME = "almerepas-open-export"
FORMAT_VERSION = 1
NULL_CONVENTION = {
    "csv": 'an unquoted empty field is NULL; every other value is quoted, "" is the empty string',
    "json": "JSON null is NULL",
}


def app_version() -> str:
    try:
        return importlib.metadata.version("almerepas")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - run from a checkout
        return "unknown"


def database_revision(session: Session) -> str:
    """The alembic revision the database is at (heads joined by commas, sorted)."""
    return ",".join(sorted(migrate.current_revisions(session.connection())))


def check_folder(folder: Path) -> None:
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ExportFolderNotEmpty()


def _snapshot(session: Session) -> None:
    """One snapshot for every table on PostgreSQL; SQLite's BEGIN IMMEDIATE holds writers off."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def _decrypting(columns: list[ExportColumn], table: str) -> list[int]:
    revealed = {name for (t, _), name in REVEALED.items() if t == table}
    return [i for i, col in enumerate(columns) if col.name in revealed]


def table_rows(session: Session, spec: ExportTable, keys: Keyring) -> Iterator[list[Any]]:
    """The table's rows in primary-key order, encrypted columns as plain text."""
    table = spec.table
    statement = select(*(table.c[col.source] for col in spec.columns)).order_by(
        *table.primary_key.columns
    )
    plain = _decrypting(spec.columns, table.name)
    # Closed also when a row fails (a key that cannot decrypt): no server cursor left open.
    with session.connection().execute(statement.execution_options(yield_per=1000)) as result:
        for row in result:
            values = list(row)
            for i in plain:
                if values[i] is not None:
                    values[i] = keys.decrypt(values[i])
            yield values


def write_table(
    session: Session, spec: ExportTable, folder: Path, fmt: str, keys: Keyring
) -> dict[str, Any]:
    """Write one table's file; return its manifest entry."""
    name = spec.name + formats.SUFFIX[fmt]
    count = 0
    with private_file(folder / name) as handle:
        out = formats.HashingWriter(handle)
        formats.write_header(out, fmt, spec.columns)
        for values in table_rows(session, spec, keys):
            formats.write_row(out, fmt, spec.columns, values)
            count += 1
    return {
        "name": spec.name,
        "file": name,
        "rows": count,
        "sha256": out.digest.hexdigest(),
        "columns": [col.describe() for col in spec.columns],
        "primary_key": [col.name for col in spec.table.primary_key.columns],
        "left_out_columns": spec.left_out(),
    }


def count_rows(session: Session, spec: ExportTable) -> int:
    """How many rows the table's file would hold: a dry run."""
    return session.scalar(select(func.count()).select_from(spec.table)) or 0


def begin(session: Session, folder: Path) -> None:
    """Refuse a folder with files in it, take the snapshot, make the folder."""
    check_folder(folder)
    _snapshot(session)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder.chmod(0o700)  # also a folder that existed: the files hold BSNs in plain text


def private_file(path: Path) -> BinaryIO:
    """A new file only its owner may read or write (never an existing one)."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")


def remove_files(folder: Path, metadata: MetaData) -> None:
    """An export that failed leaves no plain-text file behind: what it may have written goes."""
    for name in [MANIFEST] + [
        spec.name + suffix for spec in export_tables(metadata) for suffix in formats.SUFFIX.values()
    ]:
        (folder / name).unlink(missing_ok=True)


def finish(
    session: Session,
    folder: Path,
    *,
    fmt: str,
    tables: list[dict[str, Any]],
    actor: Actor,
    now: dt.datetime,
) -> dict[str, Any]:
    """Write manifest.json, last (a folder without one is an export that did not finish), and
    audit the export; return the manifest."""
    manifest = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "app_version": app_version(),
        "alembic_revision": database_revision(session),
        "created_at": now.astimezone(dt.UTC).isoformat(),
        "file_format": fmt,
        "encoding": "utf-8",
        "null": NULL_CONVENTION[fmt],
        "tables": tables,
        "left_out_tables": dict(LEFT_OUT_TABLES),
    }
    with private_file(folder / MANIFEST) as handle:
        handle.write((json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    rows = sum(int(t["rows"]) for t in tables)
    audit.record(
        session,
        actor=actor,
        action="data.exported",
        changes={"format": fmt, "tables": len(tables), "rows": rows},
    )
    return manifest


def export_all(
    session: Session,
    folder: Path,
    *,
    fmt: str,
    metadata: MetaData,
    keys: Keyring,
    actor: Actor,
    now: dt.datetime,
) -> dict[str, Any]:
    """Write every table and the manifest into ``folder`` (new or empty); the caller commits."""
    begin(session, folder)
    tables = [write_table(session, spec, folder, fmt, keys) for spec in export_tables(metadata)]
    return finish(session, folder, fmt=fmt, tables=tables, actor=actor, now=now)
