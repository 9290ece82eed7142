"""Households, the persons in them, and where in the gemeente they live."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from almerepas.core import clock, gemeente
from almerepas.core.db import Base, str_enum

#: A district's code: one of the gemeente's (its data folder, almerepas.core.gemeente), or
#: ``UNKNOWN_DISTRICT`` for an address we cannot place. Data, so no constraint in the schema.
District = str
UNKNOWN_DISTRICT = gemeente.UNKNOWN_DISTRICT


class MemberRole(enum.StrEnum):
    applicant = "applicant"
    partner = "partner"
    child = "child"
    other = "other"


class PostcodeDistrict(Base):
    """PC4 to district, seeded from reference data; caseworkers correct low-confidence rows."""

    __tablename__ = "postcode_district"

    pc4: Mapped[str] = mapped_column(String(4), primary_key=True)
    #: ``None`` for PO-box ranges that no household lives in
    district: Mapped[District | None] = mapped_column(String(20))
    confidence: Mapped[str] = mapped_column(String(10))
    source: Mapped[str | None] = mapped_column(String(500))
    note: Mapped[str | None] = mapped_column(String(500))
    corrected_by: Mapped[str | None] = mapped_column(String(120))
    corrected_at: Mapped[dt.datetime | None]


class Household(Base):
    __tablename__ = "household"
    __table_args__ = (
        CheckConstraint("length(postcode) = 6", name="postcode_format"),
        CheckConstraint("house_number > 0", name="house_number_positive"),
        Index(None, "postcode", "house_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: normalised, e.g. ``1315AB``
    postcode: Mapped[str] = mapped_column(String(6))
    house_number: Mapped[int]
    house_number_suffix: Mapped[str | None] = mapped_column(String(10))
    street: Mapped[str] = mapped_column(String(200))
    #: derived from the postcode when the address is set; kept so reports stay stable
    district: Mapped[District] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(30))
    #: language for letters and messages (``nl``, ``en``, ...)
    language: Mapped[str] = mapped_column(String(8), default="nl")
    #: letters by post instead of e-mail
    letters_by_post: Mapped[bool] = mapped_column(default=False)
    #: the day the household left the gemeente; it gets nothing from the next period on
    moved_out_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    #: when ``almerepas privacy erase`` made its persons pseudonyms (docs/privacy.md)
    pseudonymised_at: Mapped[dt.datetime | None]

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="household", order_by="Membership.id", lazy="selectin"
    )


class Person(Base):
    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(150))
    date_of_birth: Mapped[dt.date] = mapped_column(Date)
    #: Fernet-encrypted BSN; never leaves the staff API, never logged
    bsn_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: keyed hash (HMAC-SHA256) of the BSN, for lookups without decrypting
    bsn_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(30))
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="person", order_by="Membership.valid_from"
    )


class Membership(Base):
    """A person's place in a household from ``valid_from`` up to and including ``valid_to``."""

    __tablename__ = "membership"
    __table_args__ = (
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid_period"),
        Index(None, "person_id", "valid_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    role: Mapped[MemberRole] = mapped_column(str_enum(MemberRole, "member_role"))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)

    household: Mapped[Household] = relationship(back_populates="memberships")
    person: Mapped[Person] = relationship(back_populates="memberships", lazy="joined")

    def active_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)
