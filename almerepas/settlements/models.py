"""Settlement runs, their windows and lines, the partners held back, the payments and the SEPA
files.

A partner's redemptions and reversals are settled by time: a run's ``SettlementWindow`` says
that everything the partner recorded in that span is in the run, and no two windows of a partner
overlap. A ride or a holder's month belongs to one settlement line at most: its
``SettlementLine.source_key`` is unique. Those two are what "paid exactly once" rests on
(docs/settlement.md).
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from almerepas.contracts.models import Partner, PayoutMethod
from almerepas.core import clock
from almerepas.core.db import Base, str_enum
from almerepas.ledger.models import JournalEntry
from almerepas.redemptions.models import Redemption, Reversal, Ride
from almerepas.reimbursements.models import Reimbursement


class RunStatus(enum.StrEnum):
    #: prepared, waiting for a second finance user to approve it
    draft = "draft"
    #: approved: the gemeente owes the partners its totals; to be paid
    approved = "approved"
    #: every payment has gone out (a SEPA file made, Stripe transfers made)
    paid_out = "paid_out"
    #: the bank statement shows the payments: done
    confirmed = "confirmed"
    #: stopped before payout; its lines were released for a later run
    cancelled = "cancelled"


class LineKind(enum.StrEnum):
    redemption = "redemption"
    reversal = "reversal"
    ride = "ride"
    #: the flat fee for one holder who rode at least once in a month
    holder_month = "holder_month"


class PaymentStatus(enum.StrEnum):
    #: approved (or waiting for approval), not paid yet
    pending = "pending"
    #: in a SEPA file, or a Stripe transfer was made
    sent = "sent"
    #: seen on the bank statement
    confirmed = "confirmed"


class HoldReason(enum.StrEnum):
    #: the partner's IBAN fails its check: fix it, the next run pays
    iban_invalid = "iban_invalid"
    #: a Stripe partner without a connected account
    stripe_account_missing = "stripe_account_missing"
    #: reversals outweigh redemptions: carried forward, never paid out negative
    total_not_positive = "total_not_positive"
    #: a contract's tariff does not fit its scheme (e.g. an amount for packs)
    tariff_unfit = "tariff_unfit"


class SettlementRun(Base):
    __tablename__ = "settlement_run"
    __table_args__ = (
        # Four eyes, as a backstop of the domain's check: nobody approves their own run.
        CheckConstraint("approved_by IS NULL OR approved_by <> prepared_by", name="four_eyes"),
        Index(None, "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``2027-01``: the month whose redemptions (and what was left over before) it settles
    period: Mapped[str] = mapped_column(String(7))
    #: a run for one partner only; None: every partner with something to settle
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"))
    status: Mapped[RunStatus] = mapped_column(str_enum(RunStatus, "settlement_run_status"))
    #: sources recorded before this moment are in the run (the period's end)
    cutoff_at: Mapped[dt.datetime]
    #: SHA-256 of the lines (source and amount): what the approver saw is what is approved
    lines_hash: Mapped[str] = mapped_column(String(64))
    #: cents: what the run pays, all partners together
    total: Mapped[int]
    #: ``staff:<username>``
    prepared_by: Mapped[str] = mapped_column(String(120))
    prepared_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    approved_by: Mapped[str | None] = mapped_column(String(120))
    approved_at: Mapped[dt.datetime | None]
    paid_out_at: Mapped[dt.datetime | None]
    confirmed_by: Mapped[str | None] = mapped_column(String(120))
    confirmed_at: Mapped[dt.datetime | None]
    cancelled_by: Mapped[str | None] = mapped_column(String(120))
    cancelled_at: Mapped[dt.datetime | None]
    #: the approval's journal entry (scheme expense -> owed to the partner)
    approval_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entry.id"))
    #: the confirmation's journal entry (payments in transit -> the bank)
    confirm_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entry.id"))

    partner: Mapped[Partner | None] = relationship()
    payments: Mapped[list[SettlementPayment]] = relationship(
        back_populates="run", order_by="SettlementPayment.id"
    )
    holds: Mapped[list[SettlementHold]] = relationship(order_by="SettlementHold.id")


class SettlementWindow(Base):
    """Everything one partner recorded from ``starts_at`` until ``ends_at`` (redemptions and
    reversals) is settled by this run; a cancelled run's windows are deleted with its lines."""

    __tablename__ = "settlement_window"
    __table_args__ = (
        # Prepare is serialised (runs._one_prepare_at_a_time); this is the backstop: two runs
        # that read the same gap start their windows at the same moment.
        UniqueConstraint("partner_id", "starts_at"),
        CheckConstraint("starts_at < ends_at", name="not_empty"),
        Index(None, "run_id"),
        # One check instead of two, and stricter: a run settles a window of a partner it pays.
        ForeignKeyConstraint(
            ["run_id", "partner_id"],
            ["settlement_payment.run_id", "settlement_payment.partner_id"],
            name="fk_settlement_window_payment",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int]
    partner_id: Mapped[int]
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]


class SettlementLine(Base):
    """What a run pays a partner for one contract at one location (its redemptions, or its
    reversals, summed), or for one ride or holder's month: positive for what the partner earned,
    negative for reversals."""

    __tablename__ = "settlement_line"
    __table_args__ = (
        # A ride's or a holder-month's exactly-once constraint: ``ride:40``,
        # ``holder-month:<contract>:<person>:2027-01``; the sums of redemptions and reversals
        # are named by run, contract and location: ``redemptions:<run>:<contract>:<location>``.
        UniqueConstraint("source_key"),
        # Three checks a line instead of six, and stricter: the payment is this run's to this
        # partner, the contract is this partner's for this scheme, the location is this
        # partner's. Six checks were most of the time a run took to write its lines.
        ForeignKeyConstraint(
            ["payment_id", "run_id", "partner_id"],
            ["settlement_payment.id", "settlement_payment.run_id", "settlement_payment.partner_id"],
            name="fk_settlement_line_payment",
        ),
        ForeignKeyConstraint(
            ["contract_id", "partner_id", "scheme_id"],
            ["contract.id", "contract.partner_id", "contract.scheme_id"],
            name="fk_settlement_line_contract",
        ),
        ForeignKeyConstraint(
            ["location_id", "partner_id"],
            ["partner_location.id", "partner_location.partner_id"],
            name="fk_settlement_line_location",
        ),
        Index(None, "run_id", "partner_id"),
        Index(None, "redemption_id"),
        Index(None, "reversal_id"),
        Index(None, "ride_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int]
    payment_id: Mapped[int] = mapped_column(index=True)
    partner_id: Mapped[int]
    source_key: Mapped[str] = mapped_column(String(120))
    kind: Mapped[LineKind] = mapped_column(str_enum(LineKind, "settlement_line_kind"))
    contract_id: Mapped[int]
    scheme_id: Mapped[int]
    location_id: Mapped[int | None]
    redemption_id: Mapped[int | None] = mapped_column(ForeignKey("redemption.id"))
    reversal_id: Mapped[int | None] = mapped_column(ForeignKey("redemption_reversal.id"))
    ride_id: Mapped[int | None] = mapped_column(ForeignKey("ride.id"))
    #: when it happened (the first of the redemptions or reversals, the ride; a holder's month:
    #: its first day)
    occurred_at: Mapped[dt.datetime]
    #: what was redeemed, in the scheme's unit (cents, packs), rides, or 1 holder; signed
    quantity: Mapped[int]
    #: cents owed for it at the tariff; negative for a reversal
    amount: Mapped[int]
    #: how many sources the line sums (redemptions or reversals); 1 for a ride or holder-month
    sources: Mapped[int] = mapped_column(default=1, server_default="1")

    redemption: Mapped[Redemption | None] = relationship()
    reversal: Mapped[Reversal | None] = relationship()
    ride: Mapped[Ride | None] = relationship()


class SettlementPayment(Base):
    """What one run pays one partner, or one holder for one declaration: one SEPA transaction
    or one Stripe transfer."""

    __tablename__ = "settlement_payment"
    __table_args__ = (
        UniqueConstraint("run_id", "partner_id"),
        #: what a settlement line's (payment, run, partner) refers to
        Index("ix_settlement_payment_id_run_partner", "id", "run_id", "partner_id", unique=True),
        # A declaration is paid exactly once: by one payment of one run (a cancelled run's
        # payments are deleted, which frees it for the next).
        UniqueConstraint("reimbursement_id"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(
            "(partner_id IS NULL) <> (reimbursement_id IS NULL)", name="partner_or_reimbursement"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("settlement_run.id"))
    #: the partner paid; None for a holder's declaration
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"), index=True)
    #: the declaration paid back to a holder (always by SEPA); None for a partner
    reimbursement_id: Mapped[int | None] = mapped_column(ForeignKey("reimbursement.id"))
    method: Mapped[PayoutMethod] = mapped_column(str_enum(PayoutMethod, "payout_method"))
    #: cents
    amount: Mapped[int]
    status: Mapped[PaymentStatus] = mapped_column(str_enum(PaymentStatus, "payment_status"))
    #: ``ALM-<run>-<payment>``: the SEPA EndToEndId and the Stripe transfer's metadata
    end_to_end_id: Mapped[str | None] = mapped_column(String(35), unique=True)
    #: the account paid to, as it was when the run was prepared
    iban: Mapped[str | None] = mapped_column(String(34))
    bic: Mapped[str | None] = mapped_column(String(11))
    stripe_account: Mapped[str | None] = mapped_column(String(64))
    stripe_transfer_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: part of the Stripe idempotency key; raised after Stripe refused (it replays a refusal
    #: to the same key for a day), never after an unknown outcome
    stripe_attempt: Mapped[int] = mapped_column(default=1, server_default="1")
    #: why the last attempt to pay failed (``payout_refused``, ``payout_unavailable``, ...)
    last_error: Mapped[str | None] = mapped_column(String(200))
    payout_file_id: Mapped[int | None] = mapped_column(ForeignKey("payout_file.id"))
    #: the payout's journal entry (owed -> in transit)
    payout_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entry.id"))
    sent_at: Mapped[dt.datetime | None]

    run: Mapped[SettlementRun] = relationship(back_populates="payments")
    partner: Mapped[Partner | None] = relationship()
    reimbursement: Mapped[Reimbursement | None] = relationship()
    payout_entry: Mapped[JournalEntry | None] = relationship()


class SettlementHold(Base):
    """A partner the run did not pay, and why; its lines stay open for the next run."""

    __tablename__ = "settlement_hold"
    __table_args__ = (UniqueConstraint("run_id", "partner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("settlement_run.id"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"))
    reason: Mapped[HoldReason] = mapped_column(str_enum(HoldReason, "hold_reason", length=30))
    #: cents it would have been
    amount: Mapped[int]
    line_count: Mapped[int]

    partner: Mapped[Partner] = relationship()


class PayoutFile(Base):
    """A pain.001 file as made once: downloads return these bytes, never a rebuilt file."""

    __tablename__ = "payout_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("settlement_run.id"), unique=True)
    #: the SEPA message id, ``ALM-<run>``
    msg_id: Mapped[str] = mapped_column(String(35), unique=True)
    schema: Mapped[str] = mapped_column(String(20))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    execution_date: Mapped[dt.date]
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    created_by: Mapped[str] = mapped_column(String(120))
