"""Applications for the pass (issue 13): the answers, the evidence files' records.

New tables; downgrading drops them with every application in them (the evidence files in the
upload folder stay and must be removed by hand).

Revision ID: 7a1c0de13a01
Revises: ec928ed790d5
Create Date: 2026-11-30 14:00:00+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "7a1c0de13a01"
down_revision = "ec928ed790d5"
branch_labels = None
depends_on = None

#: 64-bit on PostgreSQL; INTEGER on SQLite so primary keys are rowid aliases.
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
STATUSES = ("draft", "submitted", "more_info", "approved", "rejected")


def upgrade() -> None:
    op.create_table(
        "application",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                *STATUSES,
                name="application_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("filled_by", sa.String(length=120), nullable=True),
        sa.Column("submission_token", sa.String(length=64), nullable=True),
        sa.Column("info_request", sa.String(length=1000), nullable=True),
        sa.Column("decision_reason", sa.String(length=40), nullable=True),
        sa.Column("decision_note", sa.String(length=1000), nullable=True),
        sa.Column("decided_by", sa.String(length=120), nullable=True),
        sa.Column("household_id", BIGINT, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["household_id"], ["household.id"], name=op.f("fk_application_household_id_household")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_application_code_hash")),
    )
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_application_status"), ["status"], unique=False)

    op.create_table(
        "application_evidence",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("application_id", BIGINT, nullable=False),
        sa.Column("file_id", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size", BIGINT, nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name=op.f("fk_application_evidence_application_id_application"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_evidence")),
        sa.UniqueConstraint("file_id", name=op.f("uq_application_evidence_file_id")),
    )
    with op.batch_alter_table("application_evidence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_application_evidence_application_id"), ["application_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("application_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_application_evidence_application_id"))
    op.drop_table("application_evidence")
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_application_status"))
    op.drop_table("application")
