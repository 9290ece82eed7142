"""The audit log refuses an insert that would overwrite a row (SQLite).

SQLite resolves ``INSERT OR REPLACE`` and ``REPLACE INTO`` by deleting the row in the way
without firing delete triggers (``recursive_triggers`` is off), so the append-only triggers of
dc447ac32d51 let an insert with an existing id overwrite an audit event. Two more triggers close
that: one refuses any insert whose id already exists, whatever its conflict clause; the other
refuses an id below 1, because while BEFORE INSERT triggers run, a row whose id SQLite has yet
to assign has the id -1, so a real row with id -1 would make every later insert look like an
overwrite.

PostgreSQL needs nothing new: an upsert (``INSERT ... ON CONFLICT (id) DO UPDATE``) fires the
statement-level BEFORE UPDATE trigger ``audit_event_append_only``, which refuses it, and a plain
insert with an existing id fails on the primary key.

Revision ID: 340b8109a793
Revises: dc447ac32d51
Create Date: 2026-11-30 06:05:00.000000+00:00
"""

from __future__ import annotations

from alembic import op

revision = "340b8109a793"
down_revision = "dc447ac32d51"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        "CREATE TRIGGER audit_event_no_overwrite BEFORE INSERT ON audit_event "
        "WHEN EXISTS (SELECT 1 FROM audit_event WHERE id = NEW.id) "
        "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: id exists'); END"
    )
    op.execute(
        "CREATE TRIGGER audit_event_no_id_below_one AFTER INSERT ON audit_event "
        "WHEN NEW.id < 1 "
        "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: id below 1'); END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TRIGGER audit_event_no_id_below_one")
    op.execute("DROP TRIGGER audit_event_no_overwrite")
