"""The one place that reads the time, so tests can freeze it."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

#: Periods, budgets and expiries follow the calendar in Almere, not in Greenwich.
LOCAL = ZoneInfo("Europe/Amsterdam")


def now() -> dt.datetime:
    """The current moment, aware and in UTC."""
    return dt.datetime.now(dt.UTC)


def local_moment(day: dt.date, time: dt.time = dt.time()) -> dt.datetime:
    """``day`` at ``time`` on the clock in Almere, as an aware datetime."""
    return dt.datetime.combine(day, time, LOCAL)
