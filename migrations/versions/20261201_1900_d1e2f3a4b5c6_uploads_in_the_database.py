"""Uploaded files in the database (docs/scaling.md, "What the servers must share"): the bytes of
the evidence residents add to an application and of the receipts holders hand in go in table
``upload`` under the random id the evidence or declaration row already names, so every app
server serves them and the database's backup holds them.

Only the new table. The migration has no app config, so it cannot read
``ALMEREPAS_UPLOAD_FOLDER``: after upgrading, ``almerepas uploads import-folder`` moves the files
that are there into the table (docs/operations.md, "Upgrading"). Downgrading drops the table and
with it every file's bytes: run ``almerepas backup`` first, and put the files back in a folder
by hand if the older release must serve them.

Revision ID: d1e2f3a4b5c6
Revises: f0a1b2c3d4e5
Create Date: 2026-12-01 19:00:00+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d1e2f3a4b5c6"
down_revision = "f0a1b2c3d4e5"
branch_labels = None
depends_on = None

#: 64-bit on PostgreSQL; INTEGER on SQLite.
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "upload",
        sa.Column("file_id", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("size", BIGINT, nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("file_id", name=op.f("pk_upload")),
    )


def downgrade() -> None:
    op.drop_table("upload")
