"""Redemptions, and ledger accounts without a cached balance.

``account.cached`` (true for every existing account) lets an unbounded account that many
redemptions credit, a payee's, keep no cached balance: its balance is the sum of its transfers,
so no single row is updated by every redemption. A CHECK keeps such accounts unbounded.
``redemption`` records what was taken from a grant and how much of it came back. Downgrading
drops both (and with them the redemption records; the journal entries stay).

Revision ID: b7e41d2c9a05
Revises: 484e7efc253a
Create Date: 2026-11-30 09:10:00.000000+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b7e41d2c9a05"
down_revision = "484e7efc253a"
branch_labels = None
depends_on = None

#: 64-bit on PostgreSQL; INTEGER on SQLite so primary keys are rowid aliases.
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("account") as batch_op:
        batch_op.add_column(
            sa.Column("cached", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.create_check_constraint(
            op.f("ck_account_uncached_unbounded"),
            "cached OR (min_balance IS NULL AND balance = 0)",
        )
    op.create_table(
        "redemption",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("grant_id", BIGINT, nullable=False),
        sa.Column("entry_id", BIGINT, nullable=False),
        sa.Column("amount", BIGINT, nullable=False),
        sa.Column("reversed", BIGINT, nullable=False),
        sa.Column("payee_account_id", BIGINT, nullable=False),
        sa.Column("reference", sa.String(length=120), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_redemption_amount_positive")),
        sa.CheckConstraint(
            "reversed >= 0 AND reversed <= amount",
            name=op.f("ck_redemption_reversed_within_amount"),
        ),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["entitlement_grant.id"],
            name=op.f("fk_redemption_grant_id_entitlement_grant"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["journal_entry.id"], name=op.f("fk_redemption_entry_id_journal_entry")
        ),
        sa.ForeignKeyConstraint(
            ["payee_account_id"],
            ["account.id"],
            name=op.f("fk_redemption_payee_account_id_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_redemption")),
        sa.UniqueConstraint("reference", name=op.f("uq_redemption_reference")),
    )
    op.create_index(op.f("ix_redemption_grant_id"), "redemption", ["grant_id"], unique=False)
    op.create_index(
        op.f("ix_redemption_payee_account_id"), "redemption", ["payee_account_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_redemption_payee_account_id"), table_name="redemption")
    op.drop_index(op.f("ix_redemption_grant_id"), table_name="redemption")
    op.drop_table("redemption")
    with op.batch_alter_table("account") as batch_op:
        batch_op.drop_constraint(op.f("ck_account_uncached_unbounded"), type_="check")
        batch_op.drop_column("cached")
