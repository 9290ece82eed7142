"""Save, read and delete an uploaded file's bytes (table ``upload``). Flush, never commit.

The bytes go in and out with Core statements, so a 5 MB file is not kept in the session's
identity map for the rest of the unit of work.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable

from sqlalchemy import delete as sql_delete
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from almerepas.uploads.models import Upload


class UploadMissing(LookupError):
    """A row names a file whose bytes are not in the database (deleted, or never imported)."""


def new_id() -> str:
    """A random, unguessable id: 128 bits as 32 hex characters."""
    return secrets.token_hex(16)


def save(session: Session, data: bytes, *, now: dt.datetime, file_id: str | None = None) -> str:
    """Store the bytes under a new random id (or ``file_id``, for the folder import); its id."""
    file_id = file_id or new_id()
    session.execute(
        insert(Upload).values(file_id=file_id, data=data, size=len(data), stored_at=now)
    )
    return file_id


def read(session: Session, file_id: str) -> bytes:
    """The stored bytes; :raises UploadMissing: there are none under this id."""
    data = session.scalar(select(Upload.data).where(Upload.file_id == file_id))
    if data is None:
        raise UploadMissing(file_id)
    return bytes(data)


def exists(session: Session, file_id: str) -> bool:
    return session.scalar(select(Upload.file_id).where(Upload.file_id == file_id)) is not None


def delete(session: Session, file_ids: Iterable[str]) -> int:
    """Delete these files' bytes for good (the rows go); how many there were."""
    ids = list(file_ids)
    if not ids:
        return 0
    result = session.execute(
        sql_delete(Upload)
        .where(Upload.file_id.in_(ids))
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
