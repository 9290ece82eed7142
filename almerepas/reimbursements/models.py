"""A declaration (declaratie): a receipt paid elsewhere, taken from a budget once approved.

"Never twice for one receipt" rests on two partial unique indexes: the receipt file's SHA-256,
and the budget with the amount and the day paid, each among the declarations not rejected.
"Paid exactly once" rests on ``settlement_payment.reimbursement_id`` being unique.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from almerepas.core import clock
from almerepas.core.db import Base, str_enum
from almerepas.grants.models import Grant

_OPEN = text("status <> 'rejected'")


class ReimbursementStatus(enum.StrEnum):
    #: waiting for a caseworker
    submitted = "submitted"
    #: taken from the budget; paid in the next settlement run's SEPA file
    approved = "approved"
    rejected = "rejected"


class Reimbursement(Base):
    __tablename__ = "reimbursement"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        Index(
            "uq_reimbursement_receipt_file",
            "sha256",
            unique=True,
            sqlite_where=_OPEN,
            postgresql_where=_OPEN,
        ),
        Index(
            "uq_reimbursement_receipt_line",
            "grant_id",
            "amount",
            "paid_on",
            unique=True,
            sqlite_where=_OPEN,
            postgresql_where=_OPEN,
        ),
        Index("ix_reimbursement_queue", "status", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the budget it is taken from (a person's or household's grant of a period)
    grant_id: Mapped[int] = mapped_column(ForeignKey("entitlement_grant.id"))
    #: the holder who asked (a parent for a child): the one who sees its status
    holder_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    #: who filled it in: ``holder:<person>``, or a staff member on the resident's behalf
    submitted_by: Mapped[str] = mapped_column(String(120))
    status: Mapped[ReimbursementStatus] = mapped_column(
        str_enum(ReimbursementStatus, "reimbursement_status")
    )
    #: cents, as on the receipt
    amount: Mapped[int]
    #: the day on the receipt
    paid_on: Mapped[dt.date] = mapped_column(Date)
    #: where it was paid: the club, school or shop, as the holder wrote it
    paid_to: Mapped[str] = mapped_column(String(200))
    #: the account the money goes to, compact, checked by schwifty; and its holder's name
    iban: Mapped[str] = mapped_column(String(34))
    account_name: Mapped[str] = mapped_column(String(70))
    #: the receipt: its bytes in ``upload`` under a random id, checked by its content
    file_id: Mapped[str] = mapped_column(String(32))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decided_at: Mapped[dt.datetime | None]
    #: a key of deciding.REJECT_REASONS, and the caseworker's own words for the holder
    reason: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(String(1000))
    #: the approval's journal entry (the budget -> owed to holders)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entry.id"))

    grant: Mapped[Grant] = relationship()
