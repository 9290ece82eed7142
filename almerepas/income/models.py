"""The legal social minimum (norms) and income assessments against it."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from almerepas.core import clock
from almerepas.core.db import Base, str_enum


class HouseholdType(enum.StrEnum):
    single = "single"
    single_parent = "single_parent"
    couple = "couple"
    #: a couple where one partner is 18-20 and the other 21 or older
    couple_mixed = "couple_mixed"


class Per(enum.StrEnum):
    """How an income line's amount was entered: per month, or per year (counted as 1/12)."""

    month = "month"
    year = "year"


class LineReason(enum.StrEnum):
    """Why an income line counts as it does (``income.lines.count``)."""

    #: counts in full, per month
    counts = "counts"
    #: the kind never counts (Participatiewet art. 31 lid 2: child benefit, allowances...)
    excluded_kind = "excluded_kind"
    #: entered per year; 1/12 counts per month
    spread_over_year = "spread_over_year"
    #: earnings of a member under 18 do not count
    minor_earnings = "minor_earnings"
    #: a lodger or a child of 18 or older: not the family of art. 4 Participatiewet
    not_in_family = "not_in_family"


class AgeBand(enum.StrEnum):
    young = "18-20"
    adult = "21-pension"
    pension = "pension"
    mixed = "18-20+21-pension"


class Children(enum.StrEnum):
    """Whether the norm depends on children: only for couples under 21 in the Participatiewet."""

    any = "any"
    none = "none"
    one_or_more = "one_or_more"


class Norm(Base):
    """A net monthly social-minimum amount (including holiday allowance) for a period."""

    __tablename__ = "norm"
    __table_args__ = (
        UniqueConstraint("household_type", "age_band", "children", "valid_from"),
        CheckConstraint("valid_to >= valid_from", name="valid_period"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_type: Mapped[HouseholdType] = mapped_column(str_enum(HouseholdType, "household_type"))
    age_band: Mapped[AgeBand] = mapped_column(str_enum(AgeBand, "age_band"))
    children: Mapped[Children] = mapped_column(str_enum(Children, "children"))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date] = mapped_column(Date)
    #: net per month in cents, including the 5% holiday allowance
    amount: Mapped[int]
    #: derived, not published; replaced when the published half-year is imported
    provisional: Mapped[bool] = mapped_column(default=False)
    source: Mapped[str | None] = mapped_column(String(1000))
    note: Mapped[str | None] = mapped_column(String(1000))


class IncomeAssessment(Base):
    """A household's net monthly income compared with the norm that applied on the assessment date.

    A newer assessment supersedes this one from its own ``valid_from``; rows are never deleted.
    """

    __tablename__ = "income_assessment"
    __table_args__ = (
        CheckConstraint("net_income >= 0", name="income_not_negative"),
        CheckConstraint("valid_to >= valid_from", name="valid_period"),
        CheckConstraint("percentage_bp >= 0", name="percentage_not_negative"),
        CheckConstraint("assets IS NULL OR assets >= 0", name="assets_not_negative"),
        # Two assessments cannot start on the same day: one decision per household per day.
        UniqueConstraint("household_id", "valid_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    assessed_on: Mapped[dt.date] = mapped_column(Date)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date] = mapped_column(Date)
    #: net household income per month, cents
    net_income: Mapped[int]
    norm_id: Mapped[int] = mapped_column(ForeignKey("norm.id"))
    #: the norm amount, copied so the decision stays readable if norms are corrected later
    norm_amount: Mapped[int]
    household_type: Mapped[HouseholdType] = mapped_column(str_enum(HouseholdType, "household_type"))
    #: income as a percentage of the norm in hundredths of a percent, rounded up (see eligibility)
    percentage_bp: Mapped[int]
    assessed_by: Mapped[str] = mapped_column(String(120))
    evidence_ref: Mapped[str | None] = mapped_column(String(200))
    #: the household's assets in cents (art. 34), asked only while an asset limit is set
    assets: Mapped[int | None]
    #: the caseworker found that the parents of an 18-20 year old cannot support them, so the
    #: youth norm gets the supplement of art. 20(3)
    youth_supplement: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: the period the monthly income was averaged over (the ``income_period`` setting then)
    income_period: Mapped[str] = mapped_column(String(20), default="month", server_default="month")
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    superseded_on: Mapped[dt.date | None] = mapped_column(Date)

    norm: Mapped[Norm] = relationship(lazy="joined")
    #: how ``net_income`` was made, when it was entered per member and kind (none: a total only)
    lines: Mapped[list[IncomeLine]] = relationship(
        back_populates="assessment", order_by="IncomeLine.id"
    )


class IncomeLine(Base):
    """One income of one member on an assessment, as entered, with what it counted for.

    The kind's treatment is copied (``per``, ``counted``, ``reason``), so the assessment stays
    readable when ``income_kinds.csv`` changes later.
    """

    __tablename__ = "income_line"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("counted >= 0 AND counted <= amount", name="counted_within_amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("income_assessment.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    #: a ``kind`` of income_kinds.csv
    kind: Mapped[str] = mapped_column(String(40))
    #: cents, as entered: per month, or per year when ``per`` is ``year``
    amount: Mapped[int]
    per: Mapped[Per] = mapped_column(str_enum(Per, "income_per"))
    #: cents per month that count towards ``IncomeAssessment.net_income``
    counted: Mapped[int]
    reason: Mapped[LineReason] = mapped_column(str_enum(LineReason, "income_line_reason"))

    assessment: Mapped[IncomeAssessment] = relationship(back_populates="lines")


class PolicySetting(Base):
    """A choice the gemeente made (income/policy.py); a key without a row has its default."""

    __tablename__ = "policy_setting"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    changed_by: Mapped[str] = mapped_column(String(120))
    changed_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
