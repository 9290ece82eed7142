"""The audit log's personal values apart (docs/audit.md, "Personal values"): a resident's name,
birth date, address, contact or typed answer that an audit event records is stored in
``audit_value`` and the event refers to it, so erasure can delete the value while the event
stays append-only.

One new table and nothing else changed. Events written before this revision keep their values
inline: moving them would mean updating ``audit_event``, which its triggers refuse to everyone,
the owner included, and switching them off in a migration is what the log must never need.
Downgrading drops the table: the references in later events then read as erased.

Revision ID: c7d8e9f0a1b2
Revises: b6c7d8e9f0a1
Create Date: 2026-12-01 09:50:00+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c7d8e9f0a1b2"
down_revision = "b6c7d8e9f0a1"
branch_labels = None
depends_on = None

#: 64-bit on PostgreSQL; INTEGER on SQLite so primary keys are rowid aliases.
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "audit_value",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_value")),
    )


def downgrade() -> None:
    op.drop_table("audit_value")
