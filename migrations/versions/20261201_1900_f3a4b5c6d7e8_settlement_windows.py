"""Settlement by windows of time: a run records, per partner, the span whose redemptions and
reversals it settles (``settlement_window``), and sums them in one line per contract, location
and kind (``settlement_line.sources`` counts them) instead of one line per source.

Existing runs get their windows: for each partner with redemption or reversal lines in a run
that was not cancelled, from the end of that partner's previous window (or 2000-01-01) to the
run's cutoff, in the order of the cutoffs. That says what those runs did, provided nothing was
recorded before a cutoff after the run was prepared, which runs prepared after the month make
true. Their per-source redemption and reversal lines are then summed the same way as new runs
write them. Rides and holder-months keep a line each.

Downgrading drops the windows and the count. It refuses while a run has summed lines: the
schema before this revision finds what is unsettled by looking for a line per source, and would
pay everything in a window again. Cancel those runs (if nothing was paid) or restore a backup.

Revision ID: f3a4b5c6d7e8
Revises: e2f3a4b5c6d7
Create Date: 2026-12-01 19:00:00+00:00
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "f3a4b5c6d7e8"
down_revision = "e2f3a4b5c6d7"
branch_labels = None
depends_on = None

#: 64-bit on PostgreSQL; INTEGER on SQLite so primary keys are rowid aliases.
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
#: windows.BEGINNING
BEGINNING = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
SUMMED = "('redemption', 'reversal')"


def upgrade() -> None:
    op.create_table(
        "settlement_window",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("run_id", BIGINT, nullable=False),
        sa.Column("partner_id", BIGINT, nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("starts_at < ends_at", name=op.f("ck_settlement_window_not_empty")),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partner.id"], name=op.f("fk_settlement_window_partner_id_partner")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["settlement_run.id"],
            name=op.f("fk_settlement_window_run_id_settlement_run"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlement_window")),
        sa.UniqueConstraint(
            "partner_id", "starts_at", name=op.f("uq_settlement_window_partner_id_starts_at")
        ),
    )
    op.create_index(
        op.f("ix_settlement_window_run_id"), "settlement_window", ["run_id"], unique=False
    )
    with op.batch_alter_table("settlement_line") as batch_op:
        batch_op.add_column(sa.Column("sources", BIGINT, server_default="1", nullable=False))
    _windows_of_existing_runs()
    _sum_existing_lines()


def _windows_of_existing_runs() -> None:
    conn = op.get_bind()
    beginning = BEGINNING.replace(tzinfo=None) if conn.dialect.name == "sqlite" else BEGINNING
    rows = conn.execute(
        sa.text(
            "SELECT DISTINCT r.id, r.cutoff_at, l.partner_id FROM settlement_run r"  # noqa: S608
            " JOIN settlement_line l ON l.run_id = r.id"
            f" WHERE r.status <> 'cancelled' AND l.kind IN {SUMMED}"
            " ORDER BY r.cutoff_at, r.id"
        ).columns(
            sa.column("id", BIGINT),
            sa.column("cutoff_at", sa.DateTime(timezone=True)),
            sa.column("partner_id", BIGINT),
        )
    ).all()
    ends: dict[int, dt.datetime] = {}
    windows = []
    for run_id, cutoff, partner_id in rows:
        starts = ends.get(partner_id, beginning)
        if starts < cutoff:  # two runs of one cutoff: the second's sources are the first's window
            windows.append(
                {"run_id": run_id, "partner_id": partner_id, "starts_at": starts, "ends_at": cutoff}
            )
            ends[partner_id] = cutoff
    if windows:
        table = sa.table(
            "settlement_window",
            sa.column("run_id", BIGINT),
            sa.column("partner_id", BIGINT),
            sa.column("starts_at", sa.DateTime(timezone=True)),
            sa.column("ends_at", sa.DateTime(timezone=True)),
        )
        conn.execute(sa.insert(table), windows)


def _sum_existing_lines() -> None:
    key = (
        "kind || 's:' || CAST(run_id AS VARCHAR) || ':' || CAST(contract_id AS VARCHAR) || ':'"
        " || CAST(COALESCE(location_id, 0) AS VARCHAR)"
    )
    op.execute(
        "INSERT INTO settlement_line (run_id, payment_id, partner_id, source_key, kind,"  # noqa: S608
        " contract_id, scheme_id, location_id, occurred_at, quantity, amount, sources)"
        f" SELECT run_id, payment_id, partner_id, {key}, kind, contract_id, scheme_id,"
        " location_id, MIN(occurred_at), SUM(quantity), SUM(amount), COUNT(*)"
        f" FROM settlement_line WHERE kind IN {SUMMED} AND redemption_id IS NOT NULL"
        " GROUP BY run_id, payment_id, partner_id, kind, contract_id, scheme_id, location_id"
    )
    op.execute(
        f"DELETE FROM settlement_line WHERE kind IN {SUMMED} AND redemption_id IS NOT NULL"  # noqa: S608
    )


def downgrade() -> None:
    conn = op.get_bind()
    summed = conn.execute(
        sa.text(
            f"SELECT COUNT(*) FROM settlement_line WHERE kind IN {SUMMED}"  # noqa: S608
            " AND redemption_id IS NULL"
        )
    ).scalar_one()
    if summed:
        raise RuntimeError(
            f"{summed} settlement lines sum redemptions or reversals; the schema before "
            "f3a4b5c6d7e8 would settle them again. Cancel their runs or restore a backup."
        )
    with op.batch_alter_table("settlement_line") as batch_op:
        batch_op.drop_column("sources")
    op.drop_index(op.f("ix_settlement_window_run_id"), table_name="settlement_window")
    op.drop_table("settlement_window")
