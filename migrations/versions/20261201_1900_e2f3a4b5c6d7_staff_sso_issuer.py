"""A staff account of single sign-on is the provider's issuer and subject together (docs/login.md):
OpenID Connect's ``sub`` is unique only within its issuer, so matching on ``sub`` alone let a
token of another provider with the same ``sub`` log in as someone else.

Adds ``staff_user.sso_issuer`` (nullable) and replaces the unique constraint on ``sso_subject``
by one on (``sso_issuer``, ``sso_subject``). Existing accounts keep ``sso_issuer`` NULL: the
migration cannot know the configured issuer; the account's next login through the provider binds
it (``staff.sso_bound`` in the audit log).

Downgrading drops the column and makes ``sso_subject`` unique again. It refuses, changing
nothing, when one subject has accounts at two issuers: the old schema cannot tell them apart,
and picking one would hand it to the wrong provider's person. Turn the account of the provider
no longer used off and clear its ``sso_subject`` first.

Revision ID: e2f3a4b5c6d7
Revises: d1e2f3a4b5c6
Create Date: 2026-12-01 19:00:00+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e2f3a4b5c6d7"
down_revision = "d1e2f3a4b5c6"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sso_issuer", sa.String(length=255), nullable=True))
        batch_op.drop_constraint("uq_staff_user_sso_subject", type_="unique")
        batch_op.create_unique_constraint(
            "uq_staff_user_sso_issuer_sso_subject", ["sso_issuer", "sso_subject"]
        )


def downgrade() -> None:
    shared = op.get_bind().scalars(
        sa.text(
            "SELECT sso_subject FROM staff_user WHERE sso_subject IS NOT NULL "
            "GROUP BY sso_subject HAVING COUNT(*) > 1 ORDER BY sso_subject"
        )
    )
    subjects = list(shared)
    if subjects:
        raise RuntimeError(
            f"cannot downgrade e2f3a4b5c6d7: {len(subjects)} provider subject(s) have accounts "
            "at more than one issuer, which the old schema cannot tell apart; turn off the "
            "account of the issuer no longer used and set its sso_subject to NULL first"
        )
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.drop_constraint("uq_staff_user_sso_issuer_sso_subject", type_="unique")
        batch_op.create_unique_constraint("uq_staff_user_sso_subject", ["sso_subject"])
        batch_op.drop_column("sso_issuer")
