"""Passes: one per person, with a number, a status, a generation and a validity.

A new table only; downgrading drops it (and with it every pass).

Revision ID: ff67a99ef8ba
Revises: a4d2c8e6b1f3
Create Date: 2026-11-30 07:55:14.139782+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "ff67a99ef8ba"
down_revision = "a4d2c8e6b1f3"
branch_labels = None
depends_on = None

#: 64-bit on PostgreSQL; INTEGER on SQLite so primary keys are rowid aliases.
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "pass",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("person_id", BIGINT, nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "blocked",
                "replaced",
                "expired",
                name="pass_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("generation", BIGINT, nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("block_reason", sa.String(length=20), nullable=True),
        sa.Column("replaces_id", BIGINT, nullable=True),
        sa.CheckConstraint("generation >= 1", name=op.f("ck_pass_generation_positive")),
        sa.CheckConstraint("valid_until >= valid_from", name=op.f("ck_pass_valid_period")),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_pass_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["replaces_id"], ["pass.id"], name=op.f("fk_pass_replaces_id_pass")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pass")),
        sa.UniqueConstraint("number", name=op.f("uq_pass_number")),
    )
    with op.batch_alter_table("pass", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pass_person_id_pass_status"), ["person_id", "status"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("pass", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pass_person_id_pass_status"))

    op.drop_table("pass")
