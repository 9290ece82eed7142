"""Declarations (issue 13, item 7): receipts paid elsewhere, paid back through settlement runs.

A new table; a settlement payment now pays either a partner or one declaration (partner_id
becomes nullable, with a check that exactly one of the two is set). Downgrading deletes the
payments of declarations first (their runs' totals then no longer add up: downgrade only a
database that never paid one), then drops the table.

Revision ID: 9d2e4f6a8b10
Revises: 5e77e4a1b0c2
Create Date: 2026-11-30 20:30:00+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from almerepas.core.db import UTCDateTime

revision = "9d2e4f6a8b10"
down_revision = "5e77e4a1b0c2"
branch_labels = None
depends_on = None

#: 64-bit on PostgreSQL; INTEGER on SQLite so primary keys are rowid aliases.
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
OPEN = sa.text("status <> 'rejected'")


def upgrade() -> None:
    op.create_table(
        "reimbursement",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("grant_id", BIGINT, nullable=False),
        sa.Column("holder_id", BIGINT, nullable=False),
        sa.Column("submitted_by", sa.String(length=120), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "submitted",
                "approved",
                "rejected",
                name="reimbursement_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("amount", BIGINT, nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("paid_to", sa.String(length=200), nullable=False),
        sa.Column("iban", sa.String(length=34), nullable=False),
        sa.Column("account_name", sa.String(length=70), nullable=False),
        sa.Column("file_id", sa.String(length=32), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size", BIGINT, nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("submitted_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=120), nullable=True),
        sa.Column("decided_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column("entry_id", BIGINT, nullable=True),
        sa.CheckConstraint("amount > 0", name=op.f("ck_reimbursement_amount_positive")),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["journal_entry.id"], name=op.f("fk_reimbursement_entry_id_journal_entry")
        ),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["entitlement_grant.id"],
            name=op.f("fk_reimbursement_grant_id_entitlement_grant"),
        ),
        sa.ForeignKeyConstraint(
            ["holder_id"], ["person.id"], name=op.f("fk_reimbursement_holder_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reimbursement")),
    )
    with op.batch_alter_table("reimbursement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reimbursement_holder_id"), ["holder_id"])
        batch_op.create_index("ix_reimbursement_queue", ["status", "submitted_at"])
        batch_op.create_index(
            "uq_reimbursement_receipt_file",
            ["sha256"],
            unique=True,
            sqlite_where=OPEN,
            postgresql_where=OPEN,
        )
        batch_op.create_index(
            "uq_reimbursement_receipt_line",
            ["grant_id", "amount", "paid_on"],
            unique=True,
            sqlite_where=OPEN,
            postgresql_where=OPEN,
        )

    with op.batch_alter_table("settlement_payment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reimbursement_id", BIGINT, nullable=True))
        batch_op.alter_column("partner_id", existing_type=BIGINT, nullable=True)
        batch_op.create_unique_constraint(
            batch_op.f("uq_settlement_payment_reimbursement_id"), ["reimbursement_id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_settlement_payment_reimbursement_id_reimbursement"),
            "reimbursement",
            ["reimbursement_id"],
            ["id"],
        )
        batch_op.create_check_constraint(
            "partner_or_reimbursement", "(partner_id IS NULL) <> (reimbursement_id IS NULL)"
        )


def downgrade() -> None:
    op.execute("DELETE FROM settlement_payment WHERE reimbursement_id IS NOT NULL")
    with op.batch_alter_table("settlement_payment", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("ck_settlement_payment_partner_or_reimbursement"), type_="check"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_settlement_payment_reimbursement_id_reimbursement"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("uq_settlement_payment_reimbursement_id"), type_="unique"
        )
        batch_op.alter_column("partner_id", existing_type=BIGINT, nullable=False)
        batch_op.drop_column("reimbursement_id")

    with op.batch_alter_table("reimbursement", schema=None) as batch_op:
        batch_op.drop_index("uq_reimbursement_receipt_line")
        batch_op.drop_index("uq_reimbursement_receipt_file")
        batch_op.drop_index("ix_reimbursement_queue")
        batch_op.drop_index(batch_op.f("ix_reimbursement_holder_id"))
    op.drop_table("reimbursement")
