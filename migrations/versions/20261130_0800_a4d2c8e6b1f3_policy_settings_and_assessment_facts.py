"""The gemeente's choices become settings; an assessment records assets, the youth supplement and
the income period.

``policy_setting`` holds only the settings that were changed; a missing key has the default in
``income/policy.py``, so an existing installation behaves as the defaults say from this revision
on (docs/eligibility.md). Existing assessments get no asset figure (the asset rule does not apply
to them), no youth supplement, and ``month`` as their income period, which is what the form asked
before. Downgrading drops the table and the three columns: the choices fall back to what the
code did before this revision.

Revision ID: a4d2c8e6b1f3
Revises: 7c3d9e1f2a4b
Create Date: 2026-11-30 08:00:00.000000+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a4d2c8e6b1f3"
down_revision = "7c3d9e1f2a4b"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "policy_setting",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("changed_by", sa.String(length=120), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_policy_setting")),
    )
    with op.batch_alter_table("income_assessment") as batch_op:
        batch_op.add_column(
            sa.Column("assets", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True)
        )
        batch_op.add_column(
            sa.Column("youth_supplement", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("income_period", sa.String(length=20), server_default="month", nullable=False)
        )
        batch_op.create_check_constraint(
            op.f("ck_income_assessment_assets_not_negative"), "assets IS NULL OR assets >= 0"
        )


def downgrade() -> None:
    with op.batch_alter_table("income_assessment") as batch_op:
        batch_op.drop_constraint(op.f("ck_income_assessment_assets_not_negative"), type_="check")
        batch_op.drop_column("income_period")
        batch_op.drop_column("youth_supplement")
        batch_op.drop_column("assets")
    op.drop_table("policy_setting")
