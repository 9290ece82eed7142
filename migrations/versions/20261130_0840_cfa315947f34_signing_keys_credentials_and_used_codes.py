"""Signing keys, the credentials issued with them, and the phone codes already used.

New tables only; downgrading drops them (and with them every key: make new ones with
`almerepas keys rotate` after upgrading again; codes made with the old keys stop working).

Revision ID: cfa315947f34
Revises: 06a9c4d4efc9
Create Date: 2026-11-30 08:03:22.896475+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "cfa315947f34"
down_revision = "06a9c4d4efc9"
branch_labels = None
depends_on = None

#: 64-bit on PostgreSQL; INTEGER on SQLite so primary keys are rowid aliases.
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "signing_key",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("kid", sa.String(length=8), nullable=False),
        sa.Column(
            "family",
            sa.Enum(
                "phone",
                "card",
                "bundle",
                "bus",
                "operator",
                name="key_family",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("alg", sa.String(length=20), nullable=False),
        sa.Column("public_jwk", sa.JSON(), nullable=False),
        sa.Column("private_key_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "retired",
                "revoked",
                name="key_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issue_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issue_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verify_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_key")),
        sa.UniqueConstraint("kid", name=op.f("uq_signing_key_kid")),
    )
    with op.batch_alter_table("signing_key", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_signing_key_family_signing_key_status"),
            ["family", "status"],
            unique=False,
        )

    op.create_table(
        "used_code",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("pseudonym", sa.String(length=22), nullable=False),
        sa.Column("step", BIGINT, nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_used_code")),
        sa.UniqueConstraint("pseudonym", "step", name=op.f("uq_used_code_pseudonym_step")),
    )
    with op.batch_alter_table("used_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_used_code_used_at"), ["used_at"], unique=False)

    op.create_table(
        "credential",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("pseudonym", sa.String(length=22), nullable=False),
        sa.Column("revocation_hash", sa.String(length=32), nullable=False),
        sa.Column("pass_id", BIGINT, nullable=False),
        sa.Column("generation", BIGINT, nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "phone",
                "card",
                name="credential_kind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("kid", sa.String(length=8), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["pass_id"], ["pass.id"], name=op.f("fk_credential_pass_id_pass")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential")),
        sa.UniqueConstraint("pseudonym", name=op.f("uq_credential_pseudonym")),
        sa.UniqueConstraint("revocation_hash", name=op.f("uq_credential_revocation_hash")),
    )
    with op.batch_alter_table("credential", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credential_pass_id_credential_revoked_at"),
            ["pass_id", "revoked_at"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_credential_revoked_at"), ["revoked_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("credential", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credential_revoked_at"))
        batch_op.drop_index(batch_op.f("ix_credential_pass_id_credential_revoked_at"))

    op.drop_table("credential")
    with op.batch_alter_table("used_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_used_code_used_at"))

    op.drop_table("used_code")
    with op.batch_alter_table("signing_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signing_key_family_signing_key_status"))

    op.drop_table("signing_key")
