"""A redemption: what was taken from one grant, for which payee, and how much came back."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from almerepas.core import clock
from almerepas.core.db import Base
from almerepas.grants.models import Grant
from almerepas.ledger.models import Account, JournalEntry


class Redemption(Base):
    __tablename__ = "redemption"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        # The backstop of reverse(): never more back than was taken.
        CheckConstraint("reversed >= 0 AND reversed <= amount", name="reversed_within_amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("entitlement_grant.id"), index=True)
    #: the journal entry that took it (entitlement -> payee)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entry.id"))
    #: cents for a budget or discount, units for a quota (the grant's unit)
    amount: Mapped[int]
    #: how much of ``amount`` has been given back so far; changed only by a guarded UPDATE
    reversed: Mapped[int] = mapped_column(default=0)
    payee_account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    #: the caller's unique reference (later: the partner's request); the entry's natural key
    reference: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)

    grant: Mapped[Grant] = relationship()
    entry: Mapped[JournalEntry] = relationship()
    payee_account: Mapped[Account] = relationship()
