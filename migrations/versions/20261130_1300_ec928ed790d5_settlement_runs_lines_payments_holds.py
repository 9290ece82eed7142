"""Settlement: runs, their lines, payments, held-back partners and the SEPA files; reversals
as rows of their own; a partner's Stripe account; the ledger's ``bank`` accounts and
``settlement`` entries.

``settlement_line.source_key`` is unique: each redemption, reversal, ride and holder-month is
settled once. Existing reversals (journal entries of kind ``reversal``, natural key
``reversal:<redemption>:<total reversed>``) are copied into ``redemption_reversal``. Downgrading
drops the settlement tables and the reversal rows (the journal entries stay); it fails while
the ledger holds ``bank`` accounts or ``settlement`` entries.

Revision ID: ec928ed790d5
Revises: ed6f75663dd3
Create Date: 2026-11-30 13:00:00.000000+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "ec928ed790d5"
down_revision = "ed6f75663dd3"
branch_labels = None
depends_on = None

#: 64-bit on PostgreSQL; INTEGER on SQLite so primary keys are rowid aliases.
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

ACCOUNT_KINDS_BEFORE = (
    "source",
    "funding",
    "entitlement",
    "payable",
    "expense",
    "consumed",
    "expired",
    "clearing",
)
ENTRY_KINDS_BEFORE = ("grant", "redemption", "reversal", "expiry", "payout", "adjustment")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _kinds(account_kinds: tuple[str, ...], entry_kinds: tuple[str, ...]) -> None:
    with op.batch_alter_table("account") as batch_op:
        batch_op.drop_constraint(op.f("ck_account_account_kind"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_account_account_kind"), _in("kind", account_kinds)
        )
    with op.batch_alter_table("journal_entry") as batch_op:
        batch_op.drop_constraint(op.f("ck_journal_entry_entry_kind"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_journal_entry_entry_kind"), _in("kind", entry_kinds)
        )


def _copy_reversals() -> None:
    """One row per existing reversal entry: the redemption is in its natural key."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT e.id, e.natural_key, e.created_at, t.amount FROM journal_entry e"
            " JOIN transfer t ON t.entry_id = e.id WHERE e.kind = 'reversal' ORDER BY e.id"
        )
    ).all()
    for entry_id, natural_key, created_at, amount in rows:
        redemption_id = int(natural_key.split(":")[1])
        bind.execute(
            sa.text(
                "INSERT INTO redemption_reversal (redemption_id, entry_id, amount, created_at)"
                " VALUES (:r, :e, :a, :c)"
            ),
            {"r": redemption_id, "e": entry_id, "a": amount, "c": created_at},
        )


def upgrade() -> None:
    op.create_table(
        "settlement_run",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("partner_id", BIGINT, nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "approved",
                "paid_out",
                "confirmed",
                "cancelled",
                name="settlement_run_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("cutoff_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lines_hash", sa.String(length=64), nullable=False),
        sa.Column("total", BIGINT, nullable=False),
        sa.Column("prepared_by", sa.String(length=120), nullable=False),
        sa.Column("prepared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.String(length=120), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_by", sa.String(length=120), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.String(length=120), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approval_entry_id", BIGINT, nullable=True),
        sa.Column("confirm_entry_id", BIGINT, nullable=True),
        sa.CheckConstraint(
            "approved_by IS NULL OR approved_by <> prepared_by",
            name=op.f("ck_settlement_run_four_eyes"),
        ),
        sa.ForeignKeyConstraint(
            ["approval_entry_id"],
            ["journal_entry.id"],
            name=op.f("fk_settlement_run_approval_entry_id_journal_entry"),
        ),
        sa.ForeignKeyConstraint(
            ["confirm_entry_id"],
            ["journal_entry.id"],
            name=op.f("fk_settlement_run_confirm_entry_id_journal_entry"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partner.id"], name=op.f("fk_settlement_run_partner_id_partner")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlement_run")),
    )
    with op.batch_alter_table("settlement_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_settlement_run_period"), ["period"], unique=False)

    op.create_table(
        "payout_file",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("run_id", BIGINT, nullable=False),
        sa.Column("msg_id", sa.String(length=35), nullable=False),
        sa.Column("schema", sa.String(length=20), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("execution_date", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["settlement_run.id"], name=op.f("fk_payout_file_run_id_settlement_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout_file")),
        sa.UniqueConstraint("msg_id", name=op.f("uq_payout_file_msg_id")),
        sa.UniqueConstraint("run_id", name=op.f("uq_payout_file_run_id")),
    )
    op.create_table(
        "settlement_hold",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("run_id", BIGINT, nullable=False),
        sa.Column("partner_id", BIGINT, nullable=False),
        sa.Column(
            "reason",
            sa.Enum(
                "iban_invalid",
                "stripe_account_missing",
                "total_not_positive",
                "tariff_unfit",
                name="hold_reason",
                native_enum=False,
                create_constraint=True,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("amount", BIGINT, nullable=False),
        sa.Column("line_count", BIGINT, nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partner.id"], name=op.f("fk_settlement_hold_partner_id_partner")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["settlement_run.id"], name=op.f("fk_settlement_hold_run_id_settlement_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlement_hold")),
        sa.UniqueConstraint(
            "run_id", "partner_id", name=op.f("uq_settlement_hold_run_id_partner_id")
        ),
    )
    op.create_table(
        "settlement_payment",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("run_id", BIGINT, nullable=False),
        sa.Column("partner_id", BIGINT, nullable=False),
        sa.Column(
            "method",
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
        sa.Column("amount", BIGINT, nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "sent",
                "confirmed",
                name="payment_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("end_to_end_id", sa.String(length=35), nullable=True),
        sa.Column("iban", sa.String(length=34), nullable=True),
        sa.Column("bic", sa.String(length=11), nullable=True),
        sa.Column("stripe_account", sa.String(length=64), nullable=True),
        sa.Column("stripe_transfer_id", sa.String(length=64), nullable=True),
        sa.Column("stripe_attempt", BIGINT, server_default="1", nullable=False),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("payout_file_id", BIGINT, nullable=True),
        sa.Column("payout_entry_id", BIGINT, nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("amount > 0", name=op.f("ck_settlement_payment_amount_positive")),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partner.id"], name=op.f("fk_settlement_payment_partner_id_partner")
        ),
        sa.ForeignKeyConstraint(
            ["payout_entry_id"],
            ["journal_entry.id"],
            name=op.f("fk_settlement_payment_payout_entry_id_journal_entry"),
        ),
        sa.ForeignKeyConstraint(
            ["payout_file_id"],
            ["payout_file.id"],
            name=op.f("fk_settlement_payment_payout_file_id_payout_file"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["settlement_run.id"],
            name=op.f("fk_settlement_payment_run_id_settlement_run"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlement_payment")),
        sa.UniqueConstraint("end_to_end_id", name=op.f("uq_settlement_payment_end_to_end_id")),
        sa.UniqueConstraint(
            "run_id", "partner_id", name=op.f("uq_settlement_payment_run_id_partner_id")
        ),
        sa.UniqueConstraint(
            "stripe_transfer_id", name=op.f("uq_settlement_payment_stripe_transfer_id")
        ),
    )
    with op.batch_alter_table("settlement_payment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_settlement_payment_partner_id"), ["partner_id"], unique=False
        )

    op.create_table(
        "redemption_reversal",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("redemption_id", BIGINT, nullable=False),
        sa.Column("entry_id", BIGINT, nullable=False),
        sa.Column("amount", BIGINT, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["journal_entry.id"],
            name=op.f("fk_redemption_reversal_entry_id_journal_entry"),
        ),
        sa.ForeignKeyConstraint(
            ["redemption_id"],
            ["redemption.id"],
            name=op.f("fk_redemption_reversal_redemption_id_redemption"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_redemption_reversal")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_redemption_reversal_entry_id")),
    )
    with op.batch_alter_table("redemption_reversal", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_redemption_reversal_redemption_id"), ["redemption_id"], unique=False
        )

    op.create_table(
        "settlement_line",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("run_id", BIGINT, nullable=False),
        sa.Column("payment_id", BIGINT, nullable=False),
        sa.Column("partner_id", BIGINT, nullable=False),
        sa.Column("source_key", sa.String(length=120), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "redemption",
                "reversal",
                "ride",
                "holder_month",
                name="settlement_line_kind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("contract_id", BIGINT, nullable=False),
        sa.Column("scheme_id", BIGINT, nullable=False),
        sa.Column("location_id", BIGINT, nullable=True),
        sa.Column("redemption_id", BIGINT, nullable=True),
        sa.Column("reversal_id", BIGINT, nullable=True),
        sa.Column("ride_id", BIGINT, nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("quantity", BIGINT, nullable=False),
        sa.Column("amount", BIGINT, nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contract.id"], name=op.f("fk_settlement_line_contract_id_contract")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["partner_location.id"],
            name=op.f("fk_settlement_line_location_id_partner_location"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partner.id"], name=op.f("fk_settlement_line_partner_id_partner")
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["settlement_payment.id"],
            name=op.f("fk_settlement_line_payment_id_settlement_payment"),
        ),
        sa.ForeignKeyConstraint(
            ["redemption_id"],
            ["redemption.id"],
            name=op.f("fk_settlement_line_redemption_id_redemption"),
        ),
        sa.ForeignKeyConstraint(
            ["reversal_id"],
            ["redemption_reversal.id"],
            name=op.f("fk_settlement_line_reversal_id_redemption_reversal"),
        ),
        sa.ForeignKeyConstraint(
            ["ride_id"], ["ride.id"], name=op.f("fk_settlement_line_ride_id_ride")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["settlement_run.id"], name=op.f("fk_settlement_line_run_id_settlement_run")
        ),
        sa.ForeignKeyConstraint(
            ["scheme_id"], ["scheme.id"], name=op.f("fk_settlement_line_scheme_id_scheme")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlement_line")),
        sa.UniqueConstraint("source_key", name=op.f("uq_settlement_line_source_key")),
    )
    with op.batch_alter_table("settlement_line", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_settlement_line_payment_id"), ["payment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_settlement_line_redemption_id"), ["redemption_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_settlement_line_reversal_id"), ["reversal_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_settlement_line_ride_id"), ["ride_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_settlement_line_run_id_settlement_line_partner_id"),
            ["run_id", "partner_id"],
            unique=False,
        )

    with op.batch_alter_table("partner", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stripe_account", sa.String(length=64), nullable=True))
    _kinds((*ACCOUNT_KINDS_BEFORE, "bank"), (*ENTRY_KINDS_BEFORE, "settlement"))
    _copy_reversals()


def downgrade() -> None:
    _kinds(ACCOUNT_KINDS_BEFORE, ENTRY_KINDS_BEFORE)
    with op.batch_alter_table("partner", schema=None) as batch_op:
        batch_op.drop_column("stripe_account")

    with op.batch_alter_table("settlement_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_settlement_line_run_id_settlement_line_partner_id"))
        batch_op.drop_index(batch_op.f("ix_settlement_line_ride_id"))
        batch_op.drop_index(batch_op.f("ix_settlement_line_reversal_id"))
        batch_op.drop_index(batch_op.f("ix_settlement_line_redemption_id"))
        batch_op.drop_index(batch_op.f("ix_settlement_line_payment_id"))

    op.drop_table("settlement_line")
    with op.batch_alter_table("redemption_reversal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_redemption_reversal_redemption_id"))

    op.drop_table("redemption_reversal")
    with op.batch_alter_table("settlement_payment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_settlement_payment_partner_id"))

    op.drop_table("settlement_payment")
    op.drop_table("settlement_hold")
    op.drop_table("payout_file")
    with op.batch_alter_table("settlement_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_settlement_run_period"))

    op.drop_table("settlement_run")
