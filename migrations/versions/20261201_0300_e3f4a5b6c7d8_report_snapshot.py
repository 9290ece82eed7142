"""Report snapshots (issue 14, item 6): a year's grant facts, beneficiaries and partner use,
counted by ``almerepas reports refresh`` so that a year's figures read in milliseconds.

Four new tables of derived data and nothing else changed; downgrading drops them, and the
reports count from the grants and the ledger again, as before.

Revision ID: e3f4a5b6c7d8
Revises: d2e3f4a5b6c7
Create Date: 2026-12-01 03:00:00+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e3f4a5b6c7d8"
down_revision = "d2e3f4a5b6c7"
branch_labels = None
depends_on = None

#: 64-bit on PostgreSQL; INTEGER on SQLite so primary keys are rowid aliases.
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

FACT_INDEX = "ix_report_grant_fact_year_report_grant_fact_period"
USE_INDEX = "ix_report_partner_use_year_report_partner_use_period"
BENEFICIARY_INDEX = "ix_report_beneficiary_year_report_beneficiary_scheme_id"


def upgrade() -> None:
    op.create_table(
        "report_snapshot",
        sa.Column("year", BIGINT, autoincrement=False, nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("grants", BIGINT, nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_report_snapshot")),
    )
    op.create_table(
        "report_grant_fact",
        sa.Column("grant_id", BIGINT, autoincrement=False, nullable=False),
        sa.Column("year", BIGINT, nullable=False),
        sa.Column("scheme_id", BIGINT, nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("beneficiary_key", sa.String(length=40), nullable=False),
        sa.Column("person_id", BIGINT, nullable=True),
        sa.Column("household_id", BIGINT, nullable=True),
        sa.Column("amount", BIGINT, nullable=False),
        sa.Column("home_id", BIGINT, nullable=True),
        sa.Column("has_pass", sa.Boolean(), nullable=False),
        sa.Column("activated", sa.Boolean(), nullable=False),
        sa.Column("first_use_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("redeemed", BIGINT, nullable=False),
        sa.Column("reversed", BIGINT, nullable=False),
        sa.Column("expired", BIGINT, nullable=False),
        sa.Column("settled", BIGINT, nullable=False),
        sa.Column("half_used", BIGINT, nullable=False),
        sa.Column("district", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("grant_id", name=op.f("pk_report_grant_fact")),
    )
    op.create_index(op.f(FACT_INDEX), "report_grant_fact", ["year", "period"])
    op.create_table(
        "report_beneficiary",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("year", BIGINT, nullable=False),
        sa.Column("scheme_id", BIGINT, nullable=False),
        sa.Column("beneficiary_key", sa.String(length=40), nullable=False),
        sa.Column("district", sa.String(length=20), nullable=False),
        sa.Column("home_id", BIGINT, nullable=True),
        sa.Column("person_id", BIGINT, nullable=True),
        sa.Column("household_id", BIGINT, nullable=True),
        sa.Column("granted", BIGINT, nullable=False),
        sa.Column("with_pass", BIGINT, nullable=False),
        sa.Column("activated", BIGINT, nullable=False),
        sa.Column("first_use", BIGINT, nullable=False),
        sa.Column("half_used", BIGINT, nullable=False),
        sa.Column("granted_amount", BIGINT, nullable=False),
        sa.Column("redeemed", BIGINT, nullable=False),
        sa.Column("reversed", BIGINT, nullable=False),
        sa.Column("expired", BIGINT, nullable=False),
        sa.Column("settled", BIGINT, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_beneficiary")),
    )
    op.create_index(op.f(BENEFICIARY_INDEX), "report_beneficiary", ["year", "scheme_id"])
    op.create_table(
        "report_partner_use",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("year", BIGINT, nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("district", sa.String(length=20), nullable=False),
        sa.Column("scheme_id", BIGINT, nullable=False),
        sa.Column("partner_id", BIGINT, nullable=False),
        sa.Column("redemptions", BIGINT, nullable=False),
        sa.Column("redeemed", BIGINT, nullable=False),
        sa.Column("reversed", BIGINT, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_partner_use")),
    )
    op.create_index(op.f(USE_INDEX), "report_partner_use", ["year", "period"])


def downgrade() -> None:
    op.drop_index(op.f(USE_INDEX), table_name="report_partner_use")
    op.drop_table("report_partner_use")
    op.drop_index(op.f(BENEFICIARY_INDEX), table_name="report_beneficiary")
    op.drop_table("report_beneficiary")
    op.drop_index(op.f(FACT_INDEX), table_name="report_grant_fact")
    op.drop_table("report_grant_fact")
    op.drop_table("report_snapshot")
