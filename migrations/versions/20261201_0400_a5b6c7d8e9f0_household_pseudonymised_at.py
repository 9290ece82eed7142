"""When a household's persons were made pseudonyms after the retention period (issue 15, item 4;
docs/privacy.md), so ``almerepas privacy erase`` passes them by the next night.

One nullable column; downgrading drops it (the pseudonyms stay pseudonyms).

Revision ID: a5b6c7d8e9f0
Revises: e3f4a5b6c7d8
Create Date: 2026-12-01 04:00:00+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a5b6c7d8e9f0"
down_revision = "e3f4a5b6c7d8"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("pseudonymised_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.drop_column("pseudonymised_at")
