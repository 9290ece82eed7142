"""Outreach (issue 14, items 4 and 5): reminder runs, one row per household reminded (or held
back as the experiment's comparison group) with a unique key per scheme and period, and the
households that want no reminders.

Three new tables and nothing else changed; downgrading drops them with what they recorded.

Revision ID: d2e3f4a5b6c7
Revises: c1d2e3f4a5b6
Create Date: 2026-11-30 22:10:00+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d2e3f4a5b6c7"
down_revision = "c1d2e3f4a5b6"
branch_labels = None
depends_on = None

#: 64-bit on PostgreSQL; INTEGER on SQLite so primary keys are rowid aliases.
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


def upgrade() -> None:
    op.create_table(
        "outreach_run",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("weeks", BIGINT, nullable=False),
        sa.Column("experiment", sa.Boolean(), nullable=False),
        sa.Column("seed", BIGINT, nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_by", sa.String(length=120), nullable=False),
        sa.CheckConstraint("weeks >= 0", name=op.f("ck_outreach_run_weeks_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_run")),
    )
    op.create_table(
        "outreach_contact",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("run_id", BIGINT, nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("reason", _enum("outreach_reason", "unused", "expiring"), nullable=False),
        sa.Column("household_id", BIGINT, nullable=False),
        sa.Column("scheme_id", BIGINT, nullable=True),
        sa.Column("period", sa.String(length=7), nullable=True),
        sa.Column("assessment_id", BIGINT, nullable=True),
        sa.Column("grant_ids", sa.JSON(), nullable=False),
        sa.Column("group", _enum("outreach_group", "reminded", "comparison"), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("letter_id", BIGINT, nullable=True),
        sa.Column("message_id", BIGINT, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(reason = 'unused') = (scheme_id IS NOT NULL AND period IS NOT NULL)",
            name=op.f("ck_outreach_contact_unused_names_scheme_and_period"),
        ),
        sa.CheckConstraint(
            "(reason = 'expiring') = (assessment_id IS NOT NULL)",
            name=op.f("ck_outreach_contact_expiring_names_assessment"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["outreach_run.id"], name=op.f("fk_outreach_contact_run_id_outreach_run")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["household.id"],
            name=op.f("fk_outreach_contact_household_id_household"),
        ),
        sa.ForeignKeyConstraint(
            ["scheme_id"], ["scheme.id"], name=op.f("fk_outreach_contact_scheme_id_scheme")
        ),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["income_assessment.id"],
            name=op.f("fk_outreach_contact_assessment_id_income_assessment"),
        ),
        sa.ForeignKeyConstraint(
            ["letter_id"], ["letter.id"], name=op.f("fk_outreach_contact_letter_id_letter")
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["message.id"], name=op.f("fk_outreach_contact_message_id_message")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_contact")),
        sa.UniqueConstraint("key", name=op.f("uq_outreach_contact_key")),
    )
    with op.batch_alter_table("outreach_contact", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outreach_contact_run_id"), ["run_id"])
        batch_op.create_index(batch_op.f("ix_outreach_contact_household_id"), ["household_id"])
    op.create_table(
        "outreach_opt_out",
        sa.Column("household_id", BIGINT, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["household.id"],
            name=op.f("fk_outreach_opt_out_household_id_household"),
        ),
        sa.PrimaryKeyConstraint("household_id", name=op.f("pk_outreach_opt_out")),
    )


def downgrade() -> None:
    op.drop_table("outreach_opt_out")
    with op.batch_alter_table("outreach_contact", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outreach_contact_household_id"))
        batch_op.drop_index(batch_op.f("ix_outreach_contact_run_id"))
    op.drop_table("outreach_contact")
    op.drop_table("outreach_run")
