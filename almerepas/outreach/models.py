"""Outreach runs, the reminder (or the deliberate silence) for each household, and opt-outs."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from almerepas.core import clock
from almerepas.core.db import Base, str_enum


class Reason(enum.StrEnum):
    #: a budget, quota or discount not used after some weeks of its period
    unused = "unused"
    #: the household's assessment, and so its pass, ends soon
    expiring = "expiring"


class Group(enum.StrEnum):
    reminded = "reminded"
    #: the experiment's comparison half: recorded, deliberately not reminded
    comparison = "comparison"


class OutreachRun(Base):
    """One sending of reminders, from the page or ``almerepas outreach send``."""

    __tablename__ = "outreach_run"
    __table_args__ = (CheckConstraint("weeks >= 0", name="weeks_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)
    weeks: Mapped[int]
    experiment: Mapped[bool] = mapped_column(default=False)
    #: the seed of the experiment's random split, so the split can be made again and checked
    seed: Mapped[int | None]
    started_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    started_by: Mapped[str] = mapped_column(String(120))


class OutreachContact(Base):
    """A household reminded (or held back as comparison) about one scheme in one period, or
    about one assessment that ends. ``key`` is unique: nobody is reminded twice about the same."""

    __tablename__ = "outreach_contact"
    __table_args__ = (
        CheckConstraint(
            "(reason = 'unused') = (scheme_id IS NOT NULL AND period IS NOT NULL)",
            name="unused_names_scheme_and_period",
        ),
        CheckConstraint(
            "(reason = 'expiring') = (assessment_id IS NOT NULL)",
            name="expiring_names_assessment",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("outreach_run.id"), index=True)
    #: ``unused:household:7:scheme:3:2027`` or ``expiring:assessment:5``
    key: Mapped[str] = mapped_column(String(80), unique=True)
    reason: Mapped[Reason] = mapped_column(str_enum(Reason, "outreach_reason"))
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    scheme_id: Mapped[int | None] = mapped_column(ForeignKey("scheme.id"))
    period: Mapped[str | None] = mapped_column(String(7))
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("income_assessment.id"))
    #: the unused grants the reminder is about: take-up is measured on them
    grant_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    group: Mapped[Group] = mapped_column(str_enum(Group, "outreach_group"))
    #: ``email``, ``sms`` or ``post``; none for the comparison group
    channel: Mapped[str | None] = mapped_column(String(10))
    language: Mapped[str] = mapped_column(String(8))
    letter_id: Mapped[int | None] = mapped_column(ForeignKey("letter.id"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)


class OptOut(Base):
    """A household that wants no reminders."""

    __tablename__ = "outreach_opt_out"

    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    created_by: Mapped[str] = mapped_column(String(120))
