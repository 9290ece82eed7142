"""Partners as data: partners, locations, contracts (with their locations), partner users,
devices and offers.

New tables only; downgrading drops them, with every partner, contract, device key and offer.

Revision ID: e0f083ea9e28
Revises: b7e41d2c9a05
Create Date: 2026-11-30 09:10:00.000000+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e0f083ea9e28"
down_revision = "b7e41d2c9a05"
branch_labels = None
depends_on = None

#: 64-bit on PostgreSQL; INTEGER on SQLite so primary keys are rowid aliases.
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "partner",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kvk_number", sa.String(length=8), nullable=False),
        sa.Column("iban", sa.String(length=34), nullable=False),
        sa.Column("bic", sa.String(length=11), nullable=True),
        sa.Column(
            "payout_method",
            sa.Enum(
                "sepa",
                "stripe",
                name="payout_method",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner")),
        sa.UniqueConstraint("kvk_number", name=op.f("uq_partner_kvk_number")),
    )
    op.create_table(
        "contract",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("partner_id", BIGINT, nullable=False),
        sa.Column("scheme_id", BIGINT, nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column(
            "tariff_kind",
            sa.Enum(
                "amount_redeemed",
                "per_unit",
                "per_ride",
                "flat_per_holder_month",
                "discount_reimbursed",
                name="tariff_kind",
                native_enum=False,
                create_constraint=True,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("tariff", BIGINT, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(tariff_kind = 'amount_redeemed' AND tariff IS NULL) OR (tariff_kind = 'discount_reimbursed' AND tariff > 0 AND tariff <= 10000) OR (tariff_kind IN ('per_unit', 'per_ride', 'flat_per_holder_month') AND tariff >= 0)",
            name=op.f("ck_contract_tariff_fits_kind"),
        ),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to >= valid_from", name=op.f("ck_contract_valid_period")
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partner.id"], name=op.f("fk_contract_partner_id_partner")
        ),
        sa.ForeignKeyConstraint(
            ["scheme_id"], ["scheme.id"], name=op.f("fk_contract_scheme_id_scheme")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract")),
    )
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contract_partner_id"), ["partner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contract_scheme_id"), ["scheme_id"], unique=False)

    op.create_table(
        "offer",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("partner_id", BIGINT, nullable=False),
        sa.Column("title_nl", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("description_nl", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("conditions_nl", sa.Text(), nullable=True),
        sa.Column("conditions_en", sa.Text(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to >= valid_from", name=op.f("ck_offer_valid_period")
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partner.id"], name=op.f("fk_offer_partner_id_partner")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offer")),
    )
    with op.batch_alter_table("offer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_offer_partner_id"), ["partner_id"], unique=False)

    op.create_table(
        "partner_location",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("partner_id", BIGINT, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("street", sa.String(length=200), nullable=False),
        sa.Column("house_number", sa.String(length=20), nullable=False),
        sa.Column("postcode", sa.String(length=6), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "sport",
                "culture",
                "shop",
                "transport",
                "other",
                name="location_kind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partner.id"], name=op.f("fk_partner_location_partner_id_partner")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_location")),
    )
    with op.batch_alter_table("partner_location", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_partner_location_partner_id"), ["partner_id"], unique=False
        )

    op.create_table(
        "partner_user",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("partner_id", BIGINT, nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "cashier",
                "manager",
                name="partner_role",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("totp_secret_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("totp_last_step", BIGINT, nullable=True),
        sa.Column("failed_logins", BIGINT, nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role <> 'manager' OR totp_secret_encrypted IS NOT NULL",
            name=op.f("ck_partner_user_manager_has_second_factor"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partner.id"], name=op.f("fk_partner_user_partner_id_partner")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_user")),
        sa.UniqueConstraint("username", name=op.f("uq_partner_user_username")),
    )
    with op.batch_alter_table("partner_user", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_partner_user_partner_id"), ["partner_id"], unique=False
        )

    op.create_table(
        "contract_location",
        sa.Column("contract_id", BIGINT, nullable=False),
        sa.Column("location_id", BIGINT, nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contract.id"], name=op.f("fk_contract_location_contract_id_contract")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["partner_location.id"],
            name=op.f("fk_contract_location_location_id_partner_location"),
        ),
        sa.PrimaryKeyConstraint("contract_id", "location_id", name=op.f("pk_contract_location")),
    )
    with op.batch_alter_table("contract_location", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contract_location_location_id"), ["location_id"], unique=False
        )

    op.create_table(
        "partner_device",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("partner_id", BIGINT, nullable=False),
        sa.Column("location_id", BIGINT, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["partner_location.id"],
            name=op.f("fk_partner_device_location_id_partner_location"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partner.id"], name=op.f("fk_partner_device_partner_id_partner")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_device")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_partner_device_key_hash")),
    )
    with op.batch_alter_table("partner_device", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_partner_device_location_id"), ["location_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_partner_device_partner_id"), ["partner_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("partner_device", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_device_partner_id"))
        batch_op.drop_index(batch_op.f("ix_partner_device_location_id"))

    op.drop_table("partner_device")
    with op.batch_alter_table("contract_location", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_location_location_id"))

    op.drop_table("contract_location")
    with op.batch_alter_table("partner_user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_user_partner_id"))

    op.drop_table("partner_user")
    with op.batch_alter_table("partner_location", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_location_partner_id"))

    op.drop_table("partner_location")
    with op.batch_alter_table("offer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_offer_partner_id"))

    op.drop_table("offer")
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_scheme_id"))
        batch_op.drop_index(batch_op.f("ix_contract_partner_id"))

    op.drop_table("contract")
    op.drop_table("partner")
