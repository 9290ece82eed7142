"""Outbox messages, holders' one-time login codes and holder page sessions.

New tables only; downgrading drops them (pending messages and open holder sessions with them).

Revision ID: 484e7efc253a
Revises: cfa315947f34
Create Date: 2026-11-30 09:00:00.000000+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "484e7efc253a"
down_revision = "cfa315947f34"
branch_labels = None
depends_on = None

#: 64-bit on PostgreSQL; INTEGER on SQLite so primary keys are rowid aliases.
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MOMENT = sa.DateTime(timezone=True)


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


def upgrade() -> None:
    op.create_table(
        "message",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("channel", _enum("message_channel", "email", "sms"), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("body_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("status", _enum("message_status", "pending", "sent", "failed"), nullable=False),
        sa.Column("attempts", BIGINT, nullable=False),
        sa.Column("next_attempt_at", MOMENT, nullable=False),
        sa.Column("expires_at", MOMENT, nullable=True),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("sent_at", MOMENT, nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_message_attempts_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message")),
    )
    op.create_index(
        op.f("ix_message_status_message_next_attempt_at"),
        "message",
        ["status", "next_attempt_at"],
        unique=False,
    )
    op.create_table(
        "holder_session",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("person_id", BIGINT, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("expires_at", MOMENT, nullable=False),
        sa.Column("revoked_at", MOMENT, nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_holder_session_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holder_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_holder_session_token_hash")),
    )
    op.create_index(
        op.f("ix_holder_session_person_id"), "holder_session", ["person_id"], unique=False
    )
    op.create_table(
        "login_code",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("contact_hash", sa.String(length=64), nullable=False),
        sa.Column("person_id", BIGINT, nullable=True),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("salt", sa.String(length=32), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("expires_at", MOMENT, nullable=False),
        sa.Column("attempts", BIGINT, nullable=False),
        sa.Column("used_at", MOMENT, nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_login_code_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_code")),
    )
    op.create_index(
        op.f("ix_login_code_contact_hash_login_code_created_at"),
        "login_code",
        ["contact_hash", "created_at"],
        unique=False,
    )
    op.create_index(op.f("ix_login_code_person_id"), "login_code", ["person_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_login_code_person_id"), table_name="login_code")
    op.drop_index(op.f("ix_login_code_contact_hash_login_code_created_at"), table_name="login_code")
    op.drop_table("login_code")
    op.drop_index(op.f("ix_holder_session_person_id"), table_name="holder_session")
    op.drop_table("holder_session")
    op.drop_index(op.f("ix_message_status_message_next_attempt_at"), table_name="message")
    op.drop_table("message")
