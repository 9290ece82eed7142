"""The clock: one now(), today() on Almere's calendar, freezing reaches every caller."""

from __future__ import annotations

import datetime as dt

import pytest

from almerepas.core import clock
from almerepas.models import AuditEvent
from tests.fixtures import FrozenClock


@pytest.mark.parametrize(
    ("utc", "local_day"),
    [
        # Winter (CET, UTC+1): 23:30 UTC is 00:30 the next day in Almere.
        (dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC), dt.date(2026, 12, 1)),
        (dt.datetime(2026, 11, 30, 22, 59, tzinfo=dt.UTC), dt.date(2026, 11, 30)),
        # Summer (CEST, UTC+2): 22:30 UTC is already tomorrow.
        (dt.datetime(2026, 6, 30, 22, 30, tzinfo=dt.UTC), dt.date(2026, 7, 1)),
        (dt.datetime(2026, 6, 30, 21, 59, tzinfo=dt.UTC), dt.date(2026, 6, 30)),
        # New Year's night: the year changes in Almere an hour before it does in UTC.
        (dt.datetime(2026, 12, 31, 23, 0, tzinfo=dt.UTC), dt.date(2027, 1, 1)),
    ],
)
def test_today_is_the_date_in_almere(
    frozen_clock: FrozenClock, utc: dt.datetime, local_day: dt.date
) -> None:
    frozen_clock.set(utc)
    assert clock.today() == local_day
    assert clock.now() == utc


def test_freezing_reaches_a_function_bound_before_the_freeze(frozen_clock: FrozenClock) -> None:
    # Model column defaults hold the function itself; they must see the frozen moment too.
    default = AuditEvent.__table__.c.occurred_at.default
    assert default is not None
    assert default.arg(None) == frozen_clock.moment
    frozen_clock.advance(days=400)
    assert default.arg(None) == frozen_clock.moment


def test_the_wall_clock_returns_after_a_freeze() -> None:
    moment = dt.datetime(2001, 1, 1, tzinfo=dt.UTC)
    with clock.frozen(lambda: moment):
        assert clock.now() == moment
    assert clock.now().year > 2001
    assert clock.now().tzinfo is dt.UTC
