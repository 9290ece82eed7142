"""The append-only audit log: every staff change, every batch run, every read of personal data."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from almerepas.core import clock
from almerepas.core.db import Base


class AuditEvent(Base):
    """Never updated or deleted: PostgreSQL and SQLite triggers refuse it (see the migrations),
    and on PostgreSQL the application role may only read and insert (``insert_only``, granted
    by ``almerepas.core.migrate.grant_app_role``)."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index(None, "entity_type", "entity_id"),
        Index(None, "occurred_at"),
        Index(None, "actor"),
        {"info": {"insert_only": True}},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    #: ``staff:<username>``, ``cli:<command>`` or ``system``
    actor: Mapped[str] = mapped_column(String(120))
    role: Mapped[str | None] = mapped_column(String(20))
    #: a verb on a noun: ``household.create``, ``household.view``, ``grants.issue``
    action: Mapped[str] = mapped_column(String(60))
    entity_type: Mapped[str | None] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(40))
    #: changed fields only: ``{"field": [before, after]}``; never a BSN
    changes: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    request_id: Mapped[str | None] = mapped_column(String(64))


class AuditValue(Base):
    """A resident's personal value that an audit event refers to (``{"value_ref": id}``), kept
    apart so erasure can delete it while the event itself stays append-only.

    The application role may read, add and delete these rows, never change one
    (``insert_delete``, granted by ``almerepas.core.migrate.grant_app_role``)."""

    __tablename__ = "audit_value"
    __table_args__ = ({"info": {"insert_delete": True}},)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the value as the event would have held it (JSON-safe, a BSN already masked)
    value: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
