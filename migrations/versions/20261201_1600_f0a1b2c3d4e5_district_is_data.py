"""A district is data of the gemeente (its data folder), not a fixed list in the schema: the
CHECK constraints that held Almere's six stadsdelen on ``household.district`` and
``postcode_district.district`` go; the app checks a code against the loaded districts.

Downgrading puts the constraints back; a code outside Almere's list (another gemeente's) then
becomes ``unknown`` in ``household`` and NULL in ``postcode_district``, as it would not fit.

Revision ID: f0a1b2c3d4e5
Revises: c7d8e9f0a1b2
Create Date: 2026-12-01 16:00:00+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "f0a1b2c3d4e5"
down_revision = "c7d8e9f0a1b2"
branch_labels = None
depends_on = None

#: The values the constraints held before this revision.
OLD = (
    "almere_stad",
    "almere_haven",
    "almere_buiten",
    "almere_poort",
    "almere_hout",
    "almere_pampus",
    "unknown",
)
_LISTED = ", ".join(f"'{v}'" for v in OLD)


def upgrade() -> None:
    for table in ("household", "postcode_district"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_district"), type_="check")


def downgrade() -> None:
    op.execute(f"UPDATE household SET district = 'unknown' WHERE district NOT IN ({_LISTED})")  # noqa: S608
    op.execute(
        f"UPDATE postcode_district SET district = NULL WHERE district NOT IN ({_LISTED})"  # noqa: S608
    )
    for table in ("household", "postcode_district"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.create_check_constraint("district", sa.column("district").in_(OLD))
