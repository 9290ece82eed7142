"""The one place that reads the time, so tests can freeze it."""

from __future__ import annotations

import datetime as dt


def now() -> dt.datetime:
    """The current moment, aware and in UTC."""
    return dt.datetime.now(dt.UTC)
