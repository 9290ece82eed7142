"""Schemes (regelingen) as data: who they are for, what they give, per which period."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import CheckConstraint, Date, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column

from almerepas.core import clock
from almerepas.core.db import Base, str_enum


class SchemeKind(enum.StrEnum):
    right = "right"  #: unlimited use while valid (free local buses)
    budget = "budget"  #: money per period (Stadsfonds)
    quota = "quota"  #: units per period (period products)
    discount = "discount"  #: a percentage off a basket, capped per period
    offer = "offer"  #: partner-funded offers for every resident; never granted


class Beneficiary(enum.StrEnum):
    person = "person"
    household = "household"


class Period(enum.StrEnum):
    month = "month"
    year = "year"


class MidPeriodEntry(enum.StrEnum):
    """What a household that arrives during a yearly period gets."""

    full = "full"
    pro_rata = "pro_rata"


class AgeRule(enum.StrEnum):
    """How a scheme judges age (``min_age``, ``max_age``) for a period."""

    #: the age on the reference day: the period's first day, or the later day someone arrives
    #: or an assessment starts (a child who turns 4 in March waits for next year)
    reference_day = "reference_day"
    #: the age condition holds on any day from the reference day to the period's last day
    #: (a child who turns 4 in March gets that year's budget)
    any_day = "any_day"


class Scheme(Base):
    __tablename__ = "scheme"
    __table_args__ = (
        CheckConstraint("min_age IS NULL OR min_age >= 0", name="min_age_not_negative"),
        CheckConstraint(
            "min_age IS NULL OR max_age IS NULL OR max_age >= min_age", name="age_range"
        ),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint(
            "discount_percent IS NULL OR (discount_percent > 0 AND discount_percent <= 100)",
            name="discount_percent_range",
        ),
        CheckConstraint("annual_budget IS NULL OR annual_budget >= 0", name="budget_positive"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid_period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_nl: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    description_nl: Mapped[str] = mapped_column(Text)
    description_en: Mapped[str] = mapped_column(Text)
    kind: Mapped[SchemeKind] = mapped_column(str_enum(SchemeKind, "scheme_kind"))
    beneficiary: Mapped[Beneficiary] = mapped_column(str_enum(Beneficiary, "beneficiary"))
    #: the highest income percentage of the social minimum that is eligible (inclusive)
    max_income_percent: Mapped[int | None]
    #: age range, inclusive, judged as ``age_rule`` says
    min_age: Mapped[int | None]
    max_age: Mapped[int | None]
    age_rule: Mapped[AgeRule] = mapped_column(
        str_enum(AgeRule, "age_rule"),
        default=AgeRule.reference_day,
        server_default=AgeRule.reference_day.value,
    )
    #: what one grant gives: cents (budget, discount cap) or units (quota); 0 for a right
    amount: Mapped[int] = mapped_column(default=0)
    #: ``EUR`` or a unit such as ``PACK``
    unit: Mapped[str] = mapped_column(String(12), default="EUR")
    discount_percent: Mapped[int | None]
    period: Mapped[Period] = mapped_column(str_enum(Period, "period"))
    #: one budget for all eligible children of a household instead of one each
    pooled: Mapped[bool] = mapped_column(default=False)
    #: first come, first served: grants stop when the year's budget is spent
    annual_budget: Mapped[int | None]
    mid_period_entry: Mapped[MidPeriodEntry] = mapped_column(
        str_enum(MidPeriodEntry, "mid_period_entry"), default=MidPeriodEntry.full
    )
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    #: switched on by the gemeente: an inactive scheme is not running, whatever its dates
    #: (no grant run grants it, no eligibility page or API offers it)
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=clock.now, onupdate=clock.now)


class Terms(Protocol):
    """What judging eligibility reads of a scheme (income/rules.py, grants/planning.py): a
    ``Scheme``, or its plain copy ``SchemeTerms``."""

    @property
    def valid_from(self) -> dt.date: ...
    @property
    def valid_to(self) -> dt.date | None: ...
    @property
    def max_income_percent(self) -> int | None: ...
    @property
    def min_age(self) -> int | None: ...
    @property
    def max_age(self) -> int | None: ...
    @property
    def age_rule(self) -> AgeRule: ...
    @property
    def pooled(self) -> bool: ...
    @property
    def amount(self) -> int: ...
    @property
    def mid_period_entry(self) -> MidPeriodEntry: ...


@dataclass(frozen=True, slots=True)
class SchemeTerms:
    """A scheme's terms as plain values: a whole-city run reads them about fifteen times per
    person, and every read of a mapped attribute is a call into the ORM (a tenth of planning)."""

    valid_from: dt.date
    valid_to: dt.date | None
    max_income_percent: int | None
    min_age: int | None
    max_age: int | None
    age_rule: AgeRule
    pooled: bool
    amount: int
    mid_period_entry: MidPeriodEntry

    @classmethod
    def of(cls, scheme: Terms) -> SchemeTerms:
        return cls(
            scheme.valid_from, scheme.valid_to, scheme.max_income_percent, scheme.min_age,
            scheme.max_age, scheme.age_rule, scheme.pooled, scheme.amount, scheme.mid_period_entry,
        )  # fmt: skip
