"""The double-entry ledger: accounts, journal entries and their transfers.

Sign convention: a transfer moves ``amount`` from its debit account to its credit account, and
an account's balance is the sum of its credits minus the sum of its debits. All balances
together are therefore always zero, per unit.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from almerepas.core import clock
from almerepas.core.db import Base, str_enum


class AccountKind(enum.StrEnum):
    """What an account is for; sets its default minimum balance (see ledger.open_account)."""

    source = "source"  #: the gemeente's budget, where funding comes from; unbounded
    funding = "funding"  #: a scheme's money or quota for a year
    entitlement = "entitlement"  #: one person's or household's budget or quota
    payable = "payable"  #: what the gemeente owes a partner; unbounded
    expense = "expense"  #: what a scheme has cost
    consumed = "consumed"  #: units of a quota used
    expired = "expired"  #: what was left when a period ended
    clearing = "clearing"  #: money on its way (payouts in transit)
    bank = "bank"  #: the gemeente's bank account that partners are paid from; unbounded


class EntryKind(enum.StrEnum):
    grant = "grant"
    redemption = "redemption"
    reversal = "reversal"
    expiry = "expiry"
    payout = "payout"
    #: a settlement run approved: the scheme's expense becomes what is owed to the partner
    settlement = "settlement"
    adjustment = "adjustment"


class Account(Base):
    __tablename__ = "account"
    __table_args__ = (
        UniqueConstraint("id", "unit"),  # target of the transfer's (account, unit) foreign keys
        CheckConstraint("min_balance IS NULL OR balance >= min_balance", name="balance_above_min"),
        CheckConstraint("length(unit) BETWEEN 2 AND 12", name="unit_length"),
        # An account without a cached balance is unbounded: nothing could guard its minimum.
        CheckConstraint(
            "cached OR (min_balance IS NULL AND balance = 0)", name="uncached_unbounded"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: stable human-readable key, e.g. ``funding:stadsfonds:2026`` or ``entitlement:123``
    code: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[AccountKind] = mapped_column(str_enum(AccountKind, "account_kind"))
    #: ``EUR`` for money in cents, or a unit such as ``PACK`` for a quota
    unit: Mapped[str] = mapped_column(String(12))
    #: ``None``: unbounded; ``0``: a budget or quota that may never go below zero
    min_balance: Mapped[int | None]
    #: cached sum of credits minus debits; changed only by almerepas.ledger.post_entry
    balance: Mapped[int] = mapped_column(default=0)
    #: ``False``: no cached balance (``balance`` stays 0); the balance is the sum of the
    #: transfers. For unbounded accounts that many entries credit at once (a partner's payable),
    #: so that no single row is updated by every redemption.
    cached: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)


class JournalEntry(Base):
    """One business event (a grant, a redemption, ...) and the transfers that book it."""

    __tablename__ = "journal_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[EntryKind] = mapped_column(str_enum(EntryKind, "entry_kind"))
    #: what makes the event unique in the business, e.g. ``grant:stadsfonds:person-12:2027``
    natural_key: Mapped[str] = mapped_column(String(200), unique=True)
    #: the client's Idempotency-Key, where the entry came from an API call
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    #: who caused it: a staff member, a partner, a batch job (``cli:grants``)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    #: when the event counts for the books (a redemption offline may be recorded later)
    effective_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    memo: Mapped[str | None] = mapped_column(String(500))

    transfers: Mapped[list[Transfer]] = relationship(
        back_populates="entry", order_by="Transfer.id", lazy="selectin"
    )


class Transfer(Base):
    """One movement of ``amount`` from the debit account to the credit account, in one unit."""

    __tablename__ = "transfer"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("debit_account_id <> credit_account_id", name="distinct_accounts"),
        # The unit is repeated on the transfer so the database itself refuses mixed units.
        ForeignKeyConstraint(["debit_account_id", "unit"], ["account.id", "account.unit"]),
        ForeignKeyConstraint(["credit_account_id", "unit"], ["account.id", "account.unit"]),
        Index(None, "debit_account_id"),
        Index(None, "credit_account_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entry.id"), index=True)
    debit_account_id: Mapped[int]
    credit_account_id: Mapped[int]
    unit: Mapped[str] = mapped_column(String(12))
    amount: Mapped[int]

    entry: Mapped[JournalEntry] = relationship(back_populates="transfers")
