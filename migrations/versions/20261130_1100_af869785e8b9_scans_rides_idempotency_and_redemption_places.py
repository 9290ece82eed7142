"""Partner scans and their references, rides on a right, the first answers to partner requests
(idempotency), and where a redemption happened (partner, location, scan, basket).

New tables and new nullable columns; downgrading drops them, with every scan, ride and kept
answer, and forgets where earlier redemptions happened.

Revision ID: af869785e8b9
Revises: e0f083ea9e28
Create Date: 2026-11-30 11:00:39.271219+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "af869785e8b9"
down_revision = "e0f083ea9e28"
branch_labels = None
depends_on = None

#: 64-bit on PostgreSQL; INTEGER on SQLite so primary keys are rowid aliases.
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "idempotency_record",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status", BIGINT, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_record")),
        sa.UniqueConstraint("scope", "key", name=op.f("uq_idempotency_record_scope_key")),
    )
    op.create_table(
        "ride",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("partner_id", BIGINT, nullable=False),
        sa.Column("ride_ref", sa.String(length=80), nullable=False),
        sa.Column("location_id", BIGINT, nullable=False),
        sa.Column("device_id", BIGINT, nullable=True),
        sa.Column("pass_id", BIGINT, nullable=True),
        sa.Column("grant_id", BIGINT, nullable=True),
        sa.Column("line", sa.String(length=40), nullable=True),
        sa.Column("stop", sa.String(length=80), nullable=True),
        sa.Column("ridden_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result", sa.String(length=40), nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["partner_device.id"], name=op.f("fk_ride_device_id_partner_device")
        ),
        sa.ForeignKeyConstraint(
            ["grant_id"], ["entitlement_grant.id"], name=op.f("fk_ride_grant_id_entitlement_grant")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["partner_location.id"],
            name=op.f("fk_ride_location_id_partner_location"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partner.id"], name=op.f("fk_ride_partner_id_partner")
        ),
        sa.ForeignKeyConstraint(["pass_id"], ["pass.id"], name=op.f("fk_ride_pass_id_pass")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ride")),
        sa.UniqueConstraint("partner_id", "ride_ref", name=op.f("uq_ride_partner_id_ride_ref")),
    )
    with op.batch_alter_table("ride", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ride_partner_id_ride_ridden_at"),
            ["partner_id", "ridden_at"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_ride_pass_id"), ["pass_id"], unique=False)

    op.create_table(
        "scan",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("pass_id", BIGINT, nullable=False),
        sa.Column("partner_id", BIGINT, nullable=False),
        sa.Column("location_id", BIGINT, nullable=False),
        sa.Column("device_id", BIGINT, nullable=True),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("scanned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"], ["partner_device.id"], name=op.f("fk_scan_device_id_partner_device")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["partner_location.id"],
            name=op.f("fk_scan_location_id_partner_location"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partner.id"], name=op.f("fk_scan_partner_id_partner")
        ),
        sa.ForeignKeyConstraint(["pass_id"], ["pass.id"], name=op.f("fk_scan_pass_id_pass")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scan")),
        sa.UniqueConstraint("reference", name=op.f("uq_scan_reference")),
    )
    with op.batch_alter_table("scan", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_scan_partner_id_scan_scanned_at"),
            ["partner_id", "scanned_at"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_scan_pass_id"), ["pass_id"], unique=False)

    with op.batch_alter_table("redemption", schema=None) as batch_op:
        batch_op.add_column(sa.Column("partner_id", BIGINT, nullable=True))
        batch_op.add_column(sa.Column("location_id", BIGINT, nullable=True))
        batch_op.add_column(sa.Column("scan_id", BIGINT, nullable=True))
        batch_op.add_column(sa.Column("basket_amount", BIGINT, nullable=True))
        batch_op.create_index(
            batch_op.f("ix_redemption_partner_id_redemption_created_at"),
            ["partner_id", "created_at"],
            unique=False,
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_redemption_location_id_partner_location"),
            "partner_location",
            ["location_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_redemption_partner_id_partner"), "partner", ["partner_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_redemption_scan_id_scan"), "scan", ["scan_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("redemption", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_redemption_scan_id_scan"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_redemption_partner_id_partner"), type_="foreignkey")
        batch_op.drop_constraint(
            batch_op.f("fk_redemption_location_id_partner_location"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_redemption_partner_id_redemption_created_at"))
        batch_op.drop_column("basket_amount")
        batch_op.drop_column("scan_id")
        batch_op.drop_column("location_id")
        batch_op.drop_column("partner_id")

    with op.batch_alter_table("scan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scan_pass_id"))
        batch_op.drop_index(batch_op.f("ix_scan_partner_id_scan_scanned_at"))

    op.drop_table("scan")
    with op.batch_alter_table("ride", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ride_pass_id"))
        batch_op.drop_index(batch_op.f("ix_ride_partner_id_ride_ridden_at"))

    op.drop_table("ride")
    op.drop_table("idempotency_record")
