"""The one place that reads the time, so tests can freeze it and the local calendar is used."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

#: Periods, budgets, expiries and "today" follow the local calendar, not Greenwich's.
LOCAL = ZoneInfo("Europe/Amsterdam")


def _wall_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


#: Where now() reads the time; looked up at every call, so freezing reaches every caller.
_source: Callable[[], dt.datetime] = _wall_clock


def now() -> dt.datetime:
    """The current moment, aware and in UTC."""
    return _source()


def today() -> dt.date:
    """Today's local date: at 00:30 local time it is already the next day, unlike UTC."""
    return now().astimezone(LOCAL).date()


def local_moment(day: dt.date, time: dt.time = dt.time()) -> dt.datetime:
    """``day`` at ``time`` on the local clock, as an aware datetime."""
    return dt.datetime.combine(day, time, LOCAL)


@contextmanager
def frozen(source: Callable[[], dt.datetime]) -> Iterator[None]:
    """Read the time from ``source`` inside the block (tests and what-if runs), then restore."""
    global _source
    previous, _source = _source, source
    try:
        yield
    finally:
        _source = previous
