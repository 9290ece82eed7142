"""Schemes get an ``active`` flag: the gemeente switches a scheme on or off.

A scheme shipped in the seed before the gemeente decided on it (the early-education fund of
the election programme) must not run, whatever its dates; a ``valid_from`` far ahead would
still be "running" once that day came. Existing schemes are running, so the column defaults
to true on both databases; downgrading drops it (what was switched off is then running again,
as before this revision).

Revision ID: 5b1e0c2f9a7d
Revises: 340b8109a793
Create Date: 2026-11-30 07:00:00.000000+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "5b1e0c2f9a7d"
down_revision = "340b8109a793"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scheme") as batch_op:
        batch_op.add_column(
            sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("scheme") as batch_op:
        batch_op.drop_column("active")
