"""Staff who log in through the gemeente's identity provider (issue 15, item 8; docs/login.md):
the provider's subject (``sub``) of the account, unique, empty for local accounts.

One nullable column with a unique constraint; downgrading drops it (the accounts made at a
first single sign-on stay, and can no longer log in until they get a password).

Revision ID: b6c7d8e9f0a1
Revises: a5b6c7d8e9f0
Create Date: 2026-12-01 09:00:00+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b6c7d8e9f0a1"
down_revision = "a5b6c7d8e9f0"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sso_subject", sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint("uq_staff_user_sso_subject", ["sso_subject"])


def downgrade() -> None:
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.drop_constraint("uq_staff_user_sso_subject", type_="unique")
        batch_op.drop_column("sso_subject")
