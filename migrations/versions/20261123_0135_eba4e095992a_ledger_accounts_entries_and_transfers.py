"""Ledger: accounts, journal entries and their transfers.

Revision ID: eba4e095992a
Revises:
Create Date: 2026-11-23 01:35:47.391086+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "eba4e095992a"
down_revision = None
branch_labels = None
depends_on = None

#: 64-bit on PostgreSQL; INTEGER on SQLite so primary keys are rowid aliases.
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("code", sa.String(length=120), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "source",
                "funding",
                "entitlement",
                "payable",
                "expense",
                "consumed",
                "expired",
                "clearing",
                name="account_kind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("unit", sa.String(length=12), nullable=False),
        sa.Column("min_balance", BIGINT, nullable=True),
        sa.Column("balance", BIGINT, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(unit) BETWEEN 2 AND 12", name=op.f("ck_account_unit_length")),
        sa.CheckConstraint(
            "min_balance IS NULL OR balance >= min_balance",
            name=op.f("ck_account_balance_above_min"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account")),
        sa.UniqueConstraint("code", name=op.f("uq_account_code")),
        sa.UniqueConstraint("id", "unit", name=op.f("uq_account_id_unit")),
    )
    op.create_table(
        "journal_entry",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "grant",
                "redemption",
                "reversal",
                "expiry",
                "payout",
                "adjustment",
                name="entry_kind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("natural_key", sa.String(length=200), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=True),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("effective_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("memo", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_entry")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_journal_entry_idempotency_key")),
        sa.UniqueConstraint("natural_key", name=op.f("uq_journal_entry_natural_key")),
    )
    op.create_table(
        "transfer",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("entry_id", BIGINT, nullable=False),
        sa.Column("debit_account_id", BIGINT, nullable=False),
        sa.Column("credit_account_id", BIGINT, nullable=False),
        sa.Column("unit", sa.String(length=12), nullable=False),
        sa.Column("amount", BIGINT, nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_transfer_amount_positive")),
        sa.CheckConstraint(
            "debit_account_id <> credit_account_id", name=op.f("ck_transfer_distinct_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["credit_account_id", "unit"],
            ["account.id", "account.unit"],
            name=op.f("fk_transfer_credit_account_id_unit_account"),
        ),
        sa.ForeignKeyConstraint(
            ["debit_account_id", "unit"],
            ["account.id", "account.unit"],
            name=op.f("fk_transfer_debit_account_id_unit_account"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["journal_entry.id"], name=op.f("fk_transfer_entry_id_journal_entry")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer")),
    )
    with op.batch_alter_table("transfer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_transfer_credit_account_id"), ["credit_account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_transfer_debit_account_id"), ["debit_account_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_transfer_entry_id"), ["entry_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("transfer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transfer_entry_id"))
        batch_op.drop_index(batch_op.f("ix_transfer_debit_account_id"))
        batch_op.drop_index(batch_op.f("ix_transfer_credit_account_id"))

    op.drop_table("transfer")
    op.drop_table("journal_entry")
    op.drop_table("account")
