"""Time in SQL on both databases: the local day of a stored moment, and seconds between two.

Moments are stored in UTC (``core.db.UTCDateTime``); a day in the signals is a day on the clock
in local time, so that a redemption at 00:30 in the night belongs to the day it started. PostgreSQL
knows the time zone; SQLite (demo, development, tests) knows none, so there the offset is
computed from the EU rule that Europe/Amsterdam follows: summer time (UTC+2) from 01:00 UTC on
the last Sunday of March until 01:00 UTC on the last Sunday of October, UTC+1 otherwise.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Date, Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

#: Named in the SQL itself (never a bound parameter), so GROUP BY repeats the same expression.
ZONE = "Europe/Amsterdam"


class local_day(FunctionElement[Any]):
    """The local calendar day of a UTC moment column."""

    type = Date()
    name = "local_day"
    inherit_cache = True


class seconds_between(FunctionElement[Any]):
    """Seconds from the first moment column to the second (negative when the second is earlier)."""

    type = Float()
    name = "seconds_between"
    inherit_cache = True


@compiles(local_day, "postgresql")
def _local_day_pg(element: local_day, compiler: Any, **kw: Any) -> str:
    (moment,) = element.clauses
    return f"CAST(({compiler.process(moment, **kw)}) AT TIME ZONE '{ZONE}' AS DATE)"


@compiles(local_day, "sqlite")
def _local_day_sqlite(element: local_day, compiler: Any, **kw: Any) -> str:
    (moment,) = element.clauses
    at = compiler.process(moment, **kw)
    year = f"strftime('%Y', {at})"

    def last_sunday(month: str) -> str:
        # The Sunday on or after the 25th is the month's last (March and October have 31 days).
        return f"datetime({year} || '-{month}-25', 'weekday 0', '+1 hours')"

    summer = f"{at} >= {last_sunday('03')} AND {at} < {last_sunday('10')}"
    return f"date({at}, CASE WHEN {summer} THEN '+2 hours' ELSE '+1 hours' END)"


@compiles(seconds_between, "postgresql")
def _seconds_pg(element: seconds_between, compiler: Any, **kw: Any) -> str:
    first, second = (compiler.process(c, **kw) for c in element.clauses)
    return f"EXTRACT(EPOCH FROM ({second}) - ({first}))"


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element: seconds_between, compiler: Any, **kw: Any) -> str:
    first, second = (compiler.process(c, **kw) for c in element.clauses)
    return f"((julianday({second}) - julianday({first})) * 86400.0)"


def day_of(moment: Any) -> local_day:
    """``local_day(moment)``, typed for callers."""
    return local_day(moment)


def seconds_from(first: Any, second: Any) -> seconds_between:
    """``seconds_between(first, second)``, typed for callers."""
    return seconds_between(first, second)
