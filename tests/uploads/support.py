"""What is in table ``upload``: the bytes every app server reads."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.uploads.models import Upload


def stored(session: Session) -> dict[str, bytes]:
    """Every stored file's bytes by id."""
    return {f: bytes(d) for f, d in session.execute(select(Upload.file_id, Upload.data))}
