"""Settlement lines and windows refer to their payment, contract and location with composite
foreign keys: three checks a line instead of six, and stricter ones.

A line's (payment, run, partner) must be one payment row, its (contract, partner, scheme) one
contract, its (location, partner) one of that partner's locations; a window's (run, partner)
must be a payment of that run to that partner. The single-column keys they replace said only
that each row existed. Checking six keys on each of a city's thousand lines was most of the
time a settlement run took to write them. The referred columns get the unique indexes the new
keys need.

The upgrade first counts the rows that break the stricter rule and refuses, saying how to
find them, when there are any. A line's payment and contract are chosen by its partner and
scheme, so those hold for what the application wrote; its location is the redemption's or
ride's, which the application checks (a partner redeems at its own locations) but no key of
``redemption`` or ``ride`` does. Downgrading restores the single-column keys.

Revision ID: a4b5c6d7e8f9
Revises: f3a4b5c6d7e8
Create Date: 2026-12-01 22:00:00+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a4b5c6d7e8f9"
down_revision = "f3a4b5c6d7e8"
branch_labels = None
depends_on = None

#: (index, table, columns) the composite keys refer to
PARENT_KEYS = [
    ("ix_contract_id_partner_scheme", "contract", ["id", "partner_id", "scheme_id"]),
    ("ix_partner_location_id_partner", "partner_location", ["id", "partner_id"]),
    ("ix_settlement_payment_id_run_partner", "settlement_payment", ["id", "run_id", "partner_id"]),
]
#: (name, table, columns, referred table, referred columns)
LINE_KEYS_BEFORE = [
    ("fk_settlement_line_run_id_settlement_run", "settlement_run", ["run_id"], ["id"]),
    ("fk_settlement_line_payment_id_settlement_payment", "settlement_payment", ["payment_id"], ["id"]),
    ("fk_settlement_line_partner_id_partner", "partner", ["partner_id"], ["id"]),
    ("fk_settlement_line_contract_id_contract", "contract", ["contract_id"], ["id"]),
    ("fk_settlement_line_scheme_id_scheme", "scheme", ["scheme_id"], ["id"]),
    ("fk_settlement_line_location_id_partner_location", "partner_location", ["location_id"], ["id"]),
]  # fmt: skip
LINE_KEYS_AFTER = [
    ("fk_settlement_line_payment", "settlement_payment",
     ["payment_id", "run_id", "partner_id"], ["id", "run_id", "partner_id"]),
    ("fk_settlement_line_contract", "contract",
     ["contract_id", "partner_id", "scheme_id"], ["id", "partner_id", "scheme_id"]),
    ("fk_settlement_line_location", "partner_location",
     ["location_id", "partner_id"], ["id", "partner_id"]),
]  # fmt: skip
WINDOW_KEYS_BEFORE = [
    ("fk_settlement_window_run_id_settlement_run", "settlement_run", ["run_id"], ["id"]),
    ("fk_settlement_window_partner_id_partner", "partner", ["partner_id"], ["id"]),
]
WINDOW_KEYS_AFTER = [
    ("fk_settlement_window_payment", "settlement_payment",
     ["run_id", "partner_id"], ["run_id", "partner_id"]),
]  # fmt: skip


#: Lines and windows the new keys would refuse (``upgrade`` counts them first).
ASTRAY = """
SELECT (SELECT count(*) FROM settlement_line l
        WHERE NOT EXISTS (SELECT 1 FROM settlement_payment p WHERE p.id = l.payment_id
                          AND p.run_id = l.run_id AND p.partner_id = l.partner_id)
           OR NOT EXISTS (SELECT 1 FROM contract c WHERE c.id = l.contract_id
                          AND c.partner_id = l.partner_id AND c.scheme_id = l.scheme_id)
           OR (l.location_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM partner_location o WHERE o.id = l.location_id
                               AND o.partner_id = l.partner_id))),
       (SELECT count(*) FROM settlement_window w
        WHERE NOT EXISTS (SELECT 1 FROM settlement_payment p
                          WHERE p.run_id = w.run_id AND p.partner_id = w.partner_id))
"""


def upgrade() -> None:
    lines, windows = op.get_bind().execute(sa.text(ASTRAY)).one()
    if lines or windows:
        raise RuntimeError(
            f"{lines} settlement lines and {windows} windows do not belong together with their "
            "payment, contract or location (a line's location another partner's, a window of "
            "a partner its run does not pay); the query ASTRAY in migration a4b5c6d7e8f9 "
            "counts them. Correct them before upgrading."
        )
    for name, table, columns in PARENT_KEYS:
        op.create_index(name, table, columns, unique=True)
    _swap("settlement_line", LINE_KEYS_BEFORE, LINE_KEYS_AFTER)
    _swap("settlement_window", WINDOW_KEYS_BEFORE, WINDOW_KEYS_AFTER)


def downgrade() -> None:
    _swap("settlement_window", WINDOW_KEYS_AFTER, WINDOW_KEYS_BEFORE)
    _swap("settlement_line", LINE_KEYS_AFTER, LINE_KEYS_BEFORE)
    for name, table, _ in reversed(PARENT_KEYS):
        op.drop_index(name, table_name=table)


def _swap(
    table: str,
    drop: list[tuple[str, str, list[str], list[str]]],
    create: list[tuple[str, str, list[str], list[str]]],
) -> None:
    """Replace ``table``'s foreign keys ``drop`` by ``create`` (one table rebuild on SQLite)."""
    with op.batch_alter_table(table) as batch_op:
        for name, _, _, _ in drop:
            batch_op.drop_constraint(name, type_="foreignkey")
        for name, referred, columns, referred_columns in create:
            batch_op.create_foreign_key(name, referred, columns, referred_columns)
