"""The counted figures of a year, kept so a year of a gemeente reads in milliseconds, not seconds.

Derived data: ``almerepas reports refresh`` deletes a year's rows and counts them again from
the grants, the ledger and the redemptions (``reports.snapshot``). No foreign keys, so that a
refresh is a plain delete and insert and nothing else ever depends on these rows.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from almerepas.core.db import Base


class ReportSnapshot(Base):
    """When a year's figures were counted; the pages say so beside the figures."""

    __tablename__ = "report_snapshot"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    taken_at: Mapped[dt.datetime]
    grants: Mapped[int]


class ReportGrantFact(Base):
    """One grant as ``scope.grant_facts`` saw it when the year was counted: the same columns."""

    __tablename__ = "report_grant_fact"
    __table_args__ = (Index(None, "year", "period"),)

    grant_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    year: Mapped[int]
    scheme_id: Mapped[int]
    period: Mapped[str] = mapped_column(String(7))
    beneficiary_key: Mapped[str] = mapped_column(String(40))
    person_id: Mapped[int | None]
    household_id: Mapped[int | None]
    amount: Mapped[int]
    home_id: Mapped[int | None]
    has_pass: Mapped[bool]
    activated: Mapped[bool]
    first_use_at: Mapped[dt.datetime | None]
    redeemed: Mapped[int]
    reversed: Mapped[int]
    expired: Mapped[int]
    settled: Mapped[int]
    half_used: Mapped[int]
    district: Mapped[str] = mapped_column(String(20))


class ReportBeneficiary(Base):
    """One beneficiary of a scheme over the whole year, as ``scope.beneficiaries`` groups them:
    the year's figures count these 57,000 rows instead of grouping 300,000 grants again."""

    __tablename__ = "report_beneficiary"
    __table_args__ = (Index(None, "year", "scheme_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    scheme_id: Mapped[int]
    beneficiary_key: Mapped[str] = mapped_column(String(40))
    district: Mapped[str] = mapped_column(String(20))
    home_id: Mapped[int | None]
    person_id: Mapped[int | None]
    household_id: Mapped[int | None]
    #: 1 or 0: the funnel's steps
    granted: Mapped[int]
    with_pass: Mapped[int]
    activated: Mapped[int]
    first_use: Mapped[int]
    half_used: Mapped[int]
    #: in the scheme's unit
    granted_amount: Mapped[int]
    redeemed: Mapped[int]
    reversed: Mapped[int]
    expired: Mapped[int]
    settled: Mapped[int]


class ReportPartnerUse(Base):
    """Redemptions of a year's grants per partner, grouped as far as the figures' filters allow."""

    __tablename__ = "report_partner_use"
    __table_args__ = (Index(None, "year", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    period: Mapped[str] = mapped_column(String(7))
    district: Mapped[str] = mapped_column(String(20))
    scheme_id: Mapped[int]
    partner_id: Mapped[int]
    redemptions: Mapped[int]
    redeemed: Mapped[int]
    reversed: Mapped[int]
