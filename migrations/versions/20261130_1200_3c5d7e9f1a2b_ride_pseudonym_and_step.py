"""The pseudonym and time step of the code a ride was shown with, so the same phone code on a
second ride (a copied screenshot) is found also when the rides come in different uploads.

Two nullable columns and an index; downgrading drops them (the rides stay).

Revision ID: 3c5d7e9f1a2b
Revises: af869785e8b9
Create Date: 2026-11-30 12:00:00.000000+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "3c5d7e9f1a2b"
down_revision = "af869785e8b9"
branch_labels = None
depends_on = None

#: 64-bit on PostgreSQL; INTEGER on SQLite.
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("ride", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pseudonym", sa.String(length=22), nullable=True))
        batch_op.add_column(sa.Column("step", BIGINT, nullable=True))
        batch_op.create_index(batch_op.f("ix_ride_pseudonym"), ["pseudonym"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ride", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ride_pseudonym"))
        batch_op.drop_column("step")
        batch_op.drop_column("pseudonym")
