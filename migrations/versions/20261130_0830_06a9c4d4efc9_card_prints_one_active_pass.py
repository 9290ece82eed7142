"""Printed cards, and one active pass per person in the schema.

``card_print`` records every card printed (``almerepas cards print``), so a batch prints a card
only for a pass that has none of its generation yet. A partial unique index keeps one active
pass per person also when two caseworkers issue one at the same moment. Downgrading drops both
(and with them the record of what was printed).

Revision ID: 06a9c4d4efc9
Revises: c9e3b57d1f08
Create Date: 2026-11-30 08:30:00+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "06a9c4d4efc9"
down_revision = "c9e3b57d1f08"
branch_labels = None
depends_on = None

#: 64-bit on PostgreSQL; INTEGER on SQLite so primary keys are rowid aliases.
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ACTIVE = sa.text("status = 'active'")


def upgrade() -> None:
    op.create_table(
        "card_print",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("pass_id", BIGINT, nullable=False),
        sa.Column("generation", BIGINT, nullable=False),
        sa.Column("printed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("printed_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(["pass_id"], ["pass.id"], name=op.f("fk_card_print_pass_id_pass")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_print")),
    )
    with op.batch_alter_table("card_print", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_card_print_pass_id"), ["pass_id"], unique=False)
    with op.batch_alter_table("pass", schema=None) as batch_op:
        batch_op.create_index(
            "ix_pass_one_active_per_person",
            ["person_id"],
            unique=True,
            postgresql_where=ACTIVE,
            sqlite_where=ACTIVE,
        )


def downgrade() -> None:
    with op.batch_alter_table("pass", schema=None) as batch_op:
        batch_op.drop_index("ix_pass_one_active_per_person")
    with op.batch_alter_table("card_print", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_card_print_pass_id"))
    op.drop_table("card_print")
