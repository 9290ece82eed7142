"""Redemptions, scans, rides and the idempotency records of partner requests."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from almerepas.contracts.models import Device, Location, Partner
from almerepas.core import clock
from almerepas.core.db import Base
from almerepas.grants.models import Grant
from almerepas.ledger.models import Account, JournalEntry
from almerepas.passes.models import Pass


class Scan(Base):
    """A pass a partner checked, and the short-lived reference its redemption uses.

    Every successful scan is kept: it is also the record that a pass was used at a partner
    without a contract (the offers), for the reports.
    """

    __tablename__ = "scan"
    __table_args__ = (Index(None, "partner_id", "scanned_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: random, returned to the partner; what a redemption names instead of the rotating code
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    pass_id: Mapped[int] = mapped_column(ForeignKey("pass.id"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("partner_location.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("partner_device.id"))
    #: "phone", "card" or "number" (typed by the cashier)
    method: Mapped[str] = mapped_column(String(10))
    scanned_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[dt.datetime]
    #: set by the one redemption the reference is spent on (a guarded UPDATE)
    used_at: Mapped[dt.datetime | None]

    pass_: Mapped[Pass] = relationship()
    partner: Mapped[Partner] = relationship()
    location: Mapped[Location] = relationship()


class Redemption(Base):
    __tablename__ = "redemption"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        # The backstop of reverse(): never more back than was taken.
        CheckConstraint("reversed >= 0 AND reversed <= amount", name="reversed_within_amount"),
        Index(None, "partner_id", "created_at"),
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
    #: the caller's unique reference (the partner's request); the entry's natural key
    reference: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    #: where it happened; empty only for redemptions booked without a partner (tests, tools)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("partner_location.id"))
    scan_id: Mapped[int | None] = mapped_column(ForeignKey("scan.id"))
    #: a discount: the basket the discount was computed from, in cents
    basket_amount: Mapped[int | None]

    grant: Mapped[Grant] = relationship()
    entry: Mapped[JournalEntry] = relationship()
    payee_account: Mapped[Account] = relationship()
    partner: Mapped[Partner | None] = relationship()
    location: Mapped[Location | None] = relationship()


class Reversal(Base):
    """A part (or all) of a redemption given back; settled on its own line (negative)."""

    __tablename__ = "redemption_reversal"

    id: Mapped[int] = mapped_column(primary_key=True)
    redemption_id: Mapped[int] = mapped_column(ForeignKey("redemption.id"), index=True)
    #: the journal entry that gave it back (payee -> entitlement, or funding once expired)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entry.id"), unique=True)
    #: in the redemption's unit (cents or units)
    amount: Mapped[int]
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)

    redemption: Mapped[Redemption] = relationship()


class Ride(Base):
    """One ride on a right (free local buses): scanned online, or recorded offline and sent
    in a batch. Judged as of ``ridden_at``; ``result`` is ``ok`` or the refusal's code."""

    __tablename__ = "ride"
    __table_args__ = (
        UniqueConstraint("partner_id", "ride_ref"),
        Index(None, "partner_id", "ridden_at"),
        # A grant's first ride: its first use, in the figures (docs/reports.md).
        Index(None, "grant_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"))
    #: the validator's own id of the ride; a second upload of the same id changes nothing
    ride_ref: Mapped[str] = mapped_column(String(80))
    location_id: Mapped[int] = mapped_column(ForeignKey("partner_location.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("partner_device.id"))
    pass_id: Mapped[int | None] = mapped_column(ForeignKey("pass.id"), index=True)
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("entitlement_grant.id"))
    line: Mapped[str | None] = mapped_column(String(40))
    stop: Mapped[str | None] = mapped_column(String(80))
    ridden_at: Mapped[dt.datetime]
    received_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    #: "ok", or the code of the refusal (credential_expired, not_contracted, ...)
    result: Mapped[str] = mapped_column(String(40))
    online: Mapped[bool] = mapped_column(default=False)
    #: the credential's pseudonym and, for a phone code, its time step, once the code verified:
    #: the same phone code on a later ride is refused (credential_replayed)
    pseudonym: Mapped[str | None] = mapped_column(String(22), index=True)
    step: Mapped[int | None]

    partner: Mapped[Partner] = relationship()
    location: Mapped[Location] = relationship()
    device: Mapped[Device | None] = relationship()


class IdempotencyRecord(Base):
    """The first answer to a partner request with this ``Idempotency-Key``, kept to repeat it."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: whose key space: ``partner:12`` (one partner's devices and users share it)
    scope: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(200))
    #: SHA-256 of method, path and body: the same key with another request is refused
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int]
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
