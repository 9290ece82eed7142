"""The bytes of an uploaded file, in the database so every app server reads what any one took."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from almerepas.core import clock
from almerepas.core.db import Base


class Upload(Base):
    """One file's bytes under its random id; the row that names it (evidence, a declaration)
    keeps the checked type and the SHA-256. Added and deleted, never changed: the application
    role may not UPDATE it (``insert_delete``, ``almerepas.core.migrate.grant_app_role``)."""

    __tablename__ = "upload"
    __table_args__ = ({"info": {"insert_delete": True}},)

    #: 32 random hex characters (``secrets.token_hex(16)``): not guessable, never the file's name
    file_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int]
    stored_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
