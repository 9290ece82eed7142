"""Schemes get an ``age_rule``: how their age range is judged for a period.

The eligibility page judged age on the day asked about, the grant run on the period's reference
day, so a page could promise a budget the run then refused. Now a scheme says it:
``reference_day`` (the age on the reference day, what grant runs did before this revision, and
so the default for existing rows on both databases) or ``any_day`` (the age range holds on some
day of the period). New installations get the seed's values (docs/eligibility.md); an existing
installation keeps today's behaviour until an administrator sets them (``PATCH
/api/v1/schemes/{code}``). Downgrading drops the column: every scheme is judged on the reference day
again, as before.

Revision ID: 7c3d9e1f2a4b
Revises: 5b1e0c2f9a7d
Create Date: 2026-11-30 07:30:00.000000+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "7c3d9e1f2a4b"
down_revision = "5b1e0c2f9a7d"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scheme") as batch_op:
        batch_op.add_column(
            sa.Column(
                "age_rule",
                sa.Enum(
                    "reference_day",
                    "any_day",
                    name="age_rule",
                    native_enum=False,
                    create_constraint=True,
                    length=20,
                ),
                server_default="reference_day",
                nullable=False,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("scheme") as batch_op:
        batch_op.drop_constraint(op.f("ck_scheme_age_rule"), type_="check")
        batch_op.drop_column("age_rule")
