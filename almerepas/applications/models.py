"""An application for the pass (issue 13): the answers as typed, its evidence, its decision."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from almerepas.core import clock
from almerepas.core.db import Base, str_enum


class ApplicationStatus(enum.StrEnum):
    draft = "draft"
    submitted = "submitted"
    more_info = "more_info"
    approved = "approved"
    rejected = "rejected"


class Application(Base):
    """One household's application for every scheme at once.

    ``answers`` holds what was typed, as typed, per step, so nothing a resident typed is lost
    while it is still wrong; it is checked as a whole on submission. The resume code is only
    kept as its SHA-256.
    """

    __tablename__ = "application"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[ApplicationStatus] = mapped_column(
        str_enum(ApplicationStatus, "application_status"), index=True
    )
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: the staff member who filled it in for the resident (``staff:<username>``), if any
    filled_by: Mapped[str | None] = mapped_column(String(120))
    #: the token of the submission that was accepted: a second POST of it gets the same answer
    submission_token: Mapped[str | None] = mapped_column(String(64))
    info_request: Mapped[str | None] = mapped_column(String(1000))
    decision_reason: Mapped[str | None] = mapped_column(String(40))
    decision_note: Mapped[str | None] = mapped_column(String(1000))
    decided_by: Mapped[str | None] = mapped_column(String(120))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    submitted_at: Mapped[dt.datetime | None]
    decided_at: Mapped[dt.datetime | None]

    evidence: Mapped[list[Evidence]] = relationship(
        back_populates="application", order_by="Evidence.id"
    )


class Evidence(Base):
    """An uploaded document: its bytes in ``upload`` under ``file_id``, never its name."""

    __tablename__ = "application_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    file_id: Mapped[str] = mapped_column(String(64), unique=True)
    #: the type the content was checked to be: application/pdf, image/jpeg or image/png
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    #: when the file was removed (pruned); the row stays as a record that it existed
    deleted_at: Mapped[dt.datetime | None]

    application: Mapped[Application] = relationship(back_populates="evidence")
