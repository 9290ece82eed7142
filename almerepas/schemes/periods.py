"""Calendar periods for grants: a month (``2027-01``) or a calendar year (``2027``)."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from almerepas.schemes.errors import InvalidPeriod, PeriodTooFarAhead
from almerepas.schemes.models import Period


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, or the month's last day when it has no such day."""
    year, month = divmod(day.month - 1 + months, 12)
    target = (day.year + year, month + 1)
    if not dt.MINYEAR <= target[0] <= dt.MAXYEAR:
        raise InvalidPeriod(detail="Deze datum ligt te ver weg.")
    return dt.date(*target, min(day.day, calendar.monthrange(*target)[1]))


@dataclass(frozen=True, order=True)
class PeriodSpan:
    start: dt.date
    end: dt.date
    kind: Period

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m}" if self.kind == Period.month else f"{self.start:%Y}"

    def months_from(self, day: dt.date) -> int:
        """Whole months left in the period, counting the month of ``day``."""
        return (self.end.year - day.year) * 12 + self.end.month - day.month + 1


def month(year: int, number: int) -> PeriodSpan:
    start = dt.date(year, number, 1)
    return PeriodSpan(start, add_months(start, 1) - dt.timedelta(days=1), Period.month)


def year(number: int) -> PeriodSpan:
    return PeriodSpan(dt.date(number, 1, 1), dt.date(number, 12, 31), Period.year)


def parse(label: str) -> PeriodSpan:
    """``2027-01`` is a month, ``2027`` a year; anything else is refused."""
    if match := re.fullmatch(r"(\d{4})-(\d{2})", label.strip()):
        y, m = int(match.group(1)), int(match.group(2))
        if 2000 <= y <= 2100 and 1 <= m <= 12:
            return month(y, m)
    elif (match := re.fullmatch(r"(\d{4})", label.strip())) and 2000 <= int(match.group(1)) <= 2100:
        return year(int(match.group(1)))
    raise InvalidPeriod(
        detail=f"Schrijf een periode als 2027-01 (maand) of 2027 (jaar), niet {label!r}."
    )


def span_for(kind: Period, requested: PeriodSpan) -> PeriodSpan:
    """The scheme's own period that contains the start of the requested one."""
    if kind == Period.month:
        return month(requested.start.year, requested.start.month)
    return year(requested.start.year)


def check_not_too_far(span: PeriodSpan, today: dt.date) -> None:
    """A run may be for any past or current period, or the next one; not beyond."""
    current = span_for(span.kind, PeriodSpan(today, today, span.kind))
    following = span_for(
        span.kind, PeriodSpan(current.end + dt.timedelta(days=1), today, span.kind)
    )
    if span.start > following.start:
        raise PeriodTooFarAhead(
            detail=f"De verste periode die nu kan is {following.label}; u vroeg {span.label}."
        )
