"""Indexes for the figures (docs/reports.md): grants by period, rides by grant.

A report starts from the grants of a year and its months (``entitlement_grant.period``) and
finds each grant's first ride (``ride.grant_id``, the bus right's use); neither had an index.
Only indexes: both ways are safe on a full database.

Revision ID: c1d2e3f4a5b6
Revises: 9d2e4f6a8b10
Create Date: 2026-11-30 22:00:00+00:00
"""

from __future__ import annotations

from alembic import op

revision = "c1d2e3f4a5b6"
down_revision = "9d2e4f6a8b10"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_entitlement_grant_period", "entitlement_grant", ["period"])
    op.create_index("ix_ride_grant_id", "ride", ["grant_id"])


def downgrade() -> None:
    op.drop_index("ix_ride_grant_id", table_name="ride")
    op.drop_index("ix_entitlement_grant_period", table_name="entitlement_grant")
