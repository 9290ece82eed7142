"""Income per member and kind: ``income_line`` says how an assessment's total was made.

An assessment's ``net_income`` stays the counted monthly total that eligibility reads; each line
keeps what the caseworker entered (``amount``, ``per`` month or year) and what it counted for
(``counted``, ``reason``), copied from ``income/income_kinds.csv`` at the time, so the history
stays readable when that table changes. Assessments recorded before this revision (and those
recorded with a total only) have no lines. Downgrading drops the table: the totals stay.

Revision ID: c9e3b57d1f08
Revises: ff67a99ef8ba
Create Date: 2026-11-30 08:20:00.000000+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c9e3b57d1f08"
down_revision = "ff67a99ef8ba"
branch_labels = None
depends_on = None

#: 64-bit on PostgreSQL; INTEGER on SQLite so primary keys are rowid aliases.
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


def upgrade() -> None:
    op.create_table(
        "income_line",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("assessment_id", BIGINT, nullable=False),
        sa.Column("person_id", BIGINT, nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("amount", BIGINT, nullable=False),
        sa.Column("per", _enum("income_per", "month", "year"), nullable=False),
        sa.Column("counted", BIGINT, nullable=False),
        sa.Column(
            "reason",
            _enum(
                "income_line_reason",
                "counts",
                "excluded_kind",
                "spread_over_year",
                "minor_earnings",
                "not_in_family",
            ),
            nullable=False,
        ),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_income_line_amount_not_negative")),
        sa.CheckConstraint(
            "counted >= 0 AND counted <= amount", name=op.f("ck_income_line_counted_within_amount")
        ),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["income_assessment.id"],
            name=op.f("fk_income_line_assessment_id_income_assessment"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_income_line_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_income_line")),
    )
    with op.batch_alter_table("income_line") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_income_line_assessment_id"), ["assessment_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("income_line") as batch_op:
        batch_op.drop_index(batch_op.f("ix_income_line_assessment_id"))
    op.drop_table("income_line")
