"""Partner users' tokens (the API's bearer tokens and the portal's page sessions) and the page
sessions of a browser paired with a device; only SHA-256 hashes of the tokens are stored.

New tables; downgrading drops them, which logs every partner user and paired browser out.

Revision ID: ed6f75663dd3
Revises: 3c5d7e9f1a2b
Create Date: 2026-11-30 11:03:16.100846+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "ed6f75663dd3"
down_revision = "3c5d7e9f1a2b"
branch_labels = None
depends_on = None

#: 64-bit on PostgreSQL; INTEGER on SQLite so primary keys are rowid aliases.
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "partner_user_token",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("partner_user_id", BIGINT, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["partner_user_id"],
            ["partner_user.id"],
            name=op.f("fk_partner_user_token_partner_user_id_partner_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_user_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_partner_user_token_token_hash")),
    )
    with op.batch_alter_table("partner_user_token", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_partner_user_token_partner_user_id"), ["partner_user_id"], unique=False
        )

    op.create_table(
        "partner_device_session",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("device_id", BIGINT, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["partner_device.id"],
            name=op.f("fk_partner_device_session_device_id_partner_device"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_device_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_partner_device_session_token_hash")),
    )
    with op.batch_alter_table("partner_device_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_partner_device_session_device_id"), ["device_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("partner_device_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_device_session_device_id"))

    op.drop_table("partner_device_session")
    with op.batch_alter_table("partner_user_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_user_token_partner_user_id"))

    op.drop_table("partner_user_token")
