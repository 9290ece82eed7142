"""Letters to households about decisions: kept as facts, one per decision (``source_key``),
with the outbox message for an e-mail and the print time for paper.

A new table; downgrading drops it, and with it the record of which letters were written.

Revision ID: 5e77e4a1b0c2
Revises: 7a1c0de13a01
Create Date: 2026-11-30 15:00:00+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "5e77e4a1b0c2"
down_revision = "7a1c0de13a01"
branch_labels = None
depends_on = None

#: 64-bit on PostgreSQL; INTEGER on SQLite so primary keys are rowid aliases.
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "letter",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("household_id", BIGINT, nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "email",
                "post",
                name="letter_channel",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("source_key", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("message_id", BIGINT, nullable=True),
        sa.Column("printed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("printed_by", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(
            ["household_id"], ["household.id"], name=op.f("fk_letter_household_id_household")
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["message.id"], name=op.f("fk_letter_message_id_message")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letter")),
        sa.UniqueConstraint("source_key", name=op.f("uq_letter_source_key")),
    )
    with op.batch_alter_table("letter", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_letter_household_id"), ["household_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("letter", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_letter_household_id"))
    op.drop_table("letter")
