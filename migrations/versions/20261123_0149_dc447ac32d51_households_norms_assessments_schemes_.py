"""Households, norms, income assessments, schemes, grants, staff accounts and the audit log.

The audit log is append-only: triggers on both databases refuse UPDATE and DELETE.

Revision ID: dc447ac32d51
Revises: eba4e095992a
Create Date: 2026-11-23 01:49:24.115216+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "dc447ac32d51"
down_revision = "eba4e095992a"
branch_labels = None
depends_on = None

#: 64-bit on PostgreSQL; INTEGER on SQLite so primary keys are rowid aliases.
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=True),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("entity_type", sa.String(length=40), nullable=True),
        sa.Column("entity_id", sa.String(length=40), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_actor"), ["actor"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_event_entity_type_audit_event_entity_id"),
            ["entity_type", "entity_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_audit_event_occurred_at"), ["occurred_at"], unique=False
        )

    op.create_table(
        "household",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("postcode", sa.String(length=6), nullable=False),
        sa.Column("house_number", BIGINT, nullable=False),
        sa.Column("house_number_suffix", sa.String(length=10), nullable=True),
        sa.Column("street", sa.String(length=200), nullable=False),
        sa.Column(
            "district",
            sa.Enum(
                "almere_stad",
                "almere_haven",
                "almere_buiten",
                "almere_poort",
                "almere_hout",
                "almere_pampus",
                "unknown",
                name="district",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=30), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("letters_by_post", sa.Boolean(), nullable=False),
        sa.Column("moved_out_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("house_number > 0", name=op.f("ck_household_house_number_positive")),
        sa.CheckConstraint("length(postcode) = 6", name=op.f("ck_household_postcode_format")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household")),
    )
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_household_postcode_household_house_number"),
            ["postcode", "house_number"],
            unique=False,
        )

    op.create_table(
        "norm",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column(
            "household_type",
            sa.Enum(
                "single",
                "single_parent",
                "couple",
                "couple_mixed",
                name="household_type",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "age_band",
            sa.Enum(
                "18-20",
                "21-pension",
                "pension",
                "18-20+21-pension",
                name="age_band",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "children",
            sa.Enum(
                "any",
                "none",
                "one_or_more",
                name="children",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("amount", BIGINT, nullable=False),
        sa.Column("provisional", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=1000), nullable=True),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.CheckConstraint("amount > 0", name=op.f("ck_norm_amount_positive")),
        sa.CheckConstraint("valid_to >= valid_from", name=op.f("ck_norm_valid_period")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_norm")),
        sa.UniqueConstraint(
            "household_type",
            "age_band",
            "children",
            "valid_from",
            name=op.f("uq_norm_household_type_age_band_children_valid_from"),
        ),
    )
    op.create_table(
        "person",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("given_name", sa.String(length=100), nullable=False),
        sa.Column("family_name", sa.String(length=150), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("bsn_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("bsn_hash", sa.String(length=64), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=30), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person")),
        sa.UniqueConstraint("bsn_hash", name=op.f("uq_person_bsn_hash")),
    )
    op.create_table(
        "postcode_district",
        sa.Column("pc4", sa.String(length=4), nullable=False),
        sa.Column(
            "district",
            sa.Enum(
                "almere_stad",
                "almere_haven",
                "almere_buiten",
                "almere_poort",
                "almere_hout",
                "almere_pampus",
                "unknown",
                name="district",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=True,
        ),
        sa.Column("confidence", sa.String(length=10), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("corrected_by", sa.String(length=120), nullable=True),
        sa.Column("corrected_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("pc4", name=op.f("pk_postcode_district")),
    )
    op.create_table(
        "scheme",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name_nl", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("description_nl", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "right",
                "budget",
                "quota",
                "discount",
                "offer",
                name="scheme_kind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "beneficiary",
            sa.Enum(
                "person",
                "household",
                name="beneficiary",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("max_income_percent", BIGINT, nullable=True),
        sa.Column("min_age", BIGINT, nullable=True),
        sa.Column("max_age", BIGINT, nullable=True),
        sa.Column("amount", BIGINT, nullable=False),
        sa.Column("unit", sa.String(length=12), nullable=False),
        sa.Column("discount_percent", BIGINT, nullable=True),
        sa.Column(
            "period",
            sa.Enum(
                "month", "year", name="period", native_enum=False, create_constraint=True, length=20
            ),
            nullable=False,
        ),
        sa.Column("pooled", sa.Boolean(), nullable=False),
        sa.Column("annual_budget", BIGINT, nullable=True),
        sa.Column(
            "mid_period_entry",
            sa.Enum(
                "full",
                "pro_rata",
                name="mid_period_entry",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_scheme_amount_not_negative")),
        sa.CheckConstraint(
            "annual_budget IS NULL OR annual_budget >= 0", name=op.f("ck_scheme_budget_positive")
        ),
        sa.CheckConstraint(
            "discount_percent IS NULL OR (discount_percent > 0 AND discount_percent <= 100)",
            name=op.f("ck_scheme_discount_percent_range"),
        ),
        sa.CheckConstraint(
            "min_age IS NULL OR max_age IS NULL OR max_age >= min_age",
            name=op.f("ck_scheme_age_range"),
        ),
        sa.CheckConstraint(
            "min_age IS NULL OR min_age >= 0", name=op.f("ck_scheme_min_age_not_negative")
        ),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to >= valid_from", name=op.f("ck_scheme_valid_period")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheme")),
        sa.UniqueConstraint("code", name=op.f("uq_scheme_code")),
    )
    op.create_table(
        "staff_user",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column(
            "role",
            sa.Enum(
                "caseworker",
                "finance",
                "policy",
                "administrator",
                "auditor",
                name="role",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("totp_secret_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("totp_last_step", BIGINT, nullable=True),
        sa.Column("failed_logins", BIGINT, nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_user")),
        sa.UniqueConstraint("username", name=op.f("uq_staff_user_username")),
    )
    op.create_table(
        "api_token",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("staff_user_id", BIGINT, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_user_id"], ["staff_user.id"], name=op.f("fk_api_token_staff_user_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_api_token_staff_user_id"), ["staff_user_id"], unique=False
        )

    op.create_table(
        "entitlement_grant",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("scheme_id", BIGINT, nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("beneficiary_key", sa.String(length=40), nullable=False),
        sa.Column("person_id", BIGINT, nullable=True),
        sa.Column("household_id", BIGINT, nullable=True),
        sa.Column("amount", BIGINT, nullable=False),
        sa.Column("account_id", BIGINT, nullable=True),
        sa.Column("entry_id", BIGINT, nullable=True),
        sa.Column("expiry_entry_id", BIGINT, nullable=True),
        sa.Column("expired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(person_id IS NULL) <> (household_id IS NULL)",
            name=op.f("ck_entitlement_grant_one_beneficiary"),
        ),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_entitlement_grant_amount_not_negative")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_entitlement_grant_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["journal_entry.id"],
            name=op.f("fk_entitlement_grant_entry_id_journal_entry"),
        ),
        sa.ForeignKeyConstraint(
            ["expiry_entry_id"],
            ["journal_entry.id"],
            name=op.f("fk_entitlement_grant_expiry_entry_id_journal_entry"),
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["household.id"],
            name=op.f("fk_entitlement_grant_household_id_household"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_entitlement_grant_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["scheme_id"], ["scheme.id"], name=op.f("fk_entitlement_grant_scheme_id_scheme")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entitlement_grant")),
        sa.UniqueConstraint(
            "scheme_id",
            "beneficiary_key",
            "period",
            name=op.f("uq_entitlement_grant_scheme_id_beneficiary_key_period"),
        ),
    )
    with op.batch_alter_table("entitlement_grant", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_entitlement_grant_household_id"), ["household_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_entitlement_grant_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "income_assessment",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("household_id", BIGINT, nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("net_income", BIGINT, nullable=False),
        sa.Column("norm_id", BIGINT, nullable=False),
        sa.Column("norm_amount", BIGINT, nullable=False),
        sa.Column(
            "household_type",
            sa.Enum(
                "single",
                "single_parent",
                "couple",
                "couple_mixed",
                name="household_type",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("percentage_bp", BIGINT, nullable=False),
        sa.Column("assessed_by", sa.String(length=120), nullable=False),
        sa.Column("evidence_ref", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("superseded_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "net_income >= 0", name=op.f("ck_income_assessment_income_not_negative")
        ),
        sa.CheckConstraint(
            "percentage_bp >= 0", name=op.f("ck_income_assessment_percentage_not_negative")
        ),
        sa.CheckConstraint(
            "valid_to >= valid_from", name=op.f("ck_income_assessment_valid_period")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["household.id"],
            name=op.f("fk_income_assessment_household_id_household"),
        ),
        sa.ForeignKeyConstraint(
            ["norm_id"], ["norm.id"], name=op.f("fk_income_assessment_norm_id_norm")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_income_assessment")),
        sa.UniqueConstraint(
            "household_id", "valid_from", name=op.f("uq_income_assessment_household_id_valid_from")
        ),
    )

    op.create_table(
        "membership",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("household_id", BIGINT, nullable=False),
        sa.Column("person_id", BIGINT, nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "applicant",
                "partner",
                "child",
                "other",
                name="member_role",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to >= valid_from", name=op.f("ck_membership_valid_period")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"], ["household.id"], name=op.f("fk_membership_household_id_household")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_membership_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_membership")),
    )
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_membership_household_id"), ["household_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_membership_person_id_membership_valid_from"),
            ["person_id", "valid_from"],
            unique=False,
        )
    _make_audit_log_append_only()


def _make_audit_log_append_only() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION audit_event_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
            "ON audit_event FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_event_no_{verb.lower()} BEFORE {verb} ON audit_event "
                "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_event_append_only ON audit_event")
        op.execute("DROP FUNCTION audit_event_append_only()")
    else:
        op.execute("DROP TRIGGER audit_event_no_update")
        op.execute("DROP TRIGGER audit_event_no_delete")
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_membership_person_id_membership_valid_from"))
        batch_op.drop_index(batch_op.f("ix_membership_household_id"))

    op.drop_table("membership")
    op.drop_table("income_assessment")
    with op.batch_alter_table("entitlement_grant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_entitlement_grant_person_id"))
        batch_op.drop_index(batch_op.f("ix_entitlement_grant_household_id"))

    op.drop_table("entitlement_grant")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_token_staff_user_id"))

    op.drop_table("api_token")
    op.drop_table("staff_user")
    op.drop_table("scheme")
    op.drop_table("postcode_district")
    op.drop_table("person")
    op.drop_table("norm")
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_household_postcode_household_house_number"))

    op.drop_table("household")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_occurred_at"))
        batch_op.drop_index(batch_op.f("ix_audit_event_entity_type_audit_event_entity_id"))
        batch_op.drop_index(batch_op.f("ix_audit_event_actor"))

    op.drop_table("audit_event")
