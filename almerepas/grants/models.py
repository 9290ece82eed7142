"""The grants made under a scheme: one per beneficiary per period, never twice."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from almerepas.core import clock
from almerepas.core.db import Base
from almerepas.ledger.models import Account, JournalEntry
from almerepas.schemes.models import Scheme


class Grant(Base):
    """One scheme's entitlement for one person or household for one period.

    ``beneficiary_key`` (``person:12`` or ``household:7``) makes one unique key over both kinds,
    so a grant run can never grant the same thing twice.
    """

    __tablename__ = "entitlement_grant"
    __table_args__ = (
        UniqueConstraint("scheme_id", "beneficiary_key", "period"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("(person_id IS NULL) <> (household_id IS NULL)", name="one_beneficiary"),
        Index(None, "household_id"),
        Index(None, "person_id"),
        # The figures start from a year's grants (docs/reports.md).
        Index(None, "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("scheme.id"))
    #: ``2027-01`` for a month, ``2027`` for a year
    period: Mapped[str] = mapped_column(String(7))
    beneficiary_key: Mapped[str] = mapped_column(String(40))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id"))
    amount: Mapped[int]
    #: the entitlement account holding what is left; none for a right
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entry.id"))
    expiry_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entry.id"))
    expired_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)

    scheme: Mapped[Scheme] = relationship(lazy="joined")
    account: Mapped[Account | None] = relationship()
    entry: Mapped[JournalEntry | None] = relationship(foreign_keys=[entry_id])
