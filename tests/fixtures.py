"""Shared fixtures beside tests/conftest.py: the frozen clock and an app context."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from flask import Flask

from almerepas.core import clock

#: A Monday morning in March, far from any period boundary, unless a test sets its own moment.
START = dt.datetime(2026, 3, 2, 9, 0, 0, tzinfo=dt.UTC)


class FrozenClock:
    """almerepas.core.clock.now() returns ``moment`` until the test moves or sets it."""

    def __init__(self, moment: dt.datetime) -> None:
        self.moment = moment

    def now(self) -> dt.datetime:
        return self.moment

    def set(self, moment: dt.datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("freeze the clock at an aware moment")
        self.moment = moment

    def advance(self, **delta: float) -> None:
        self.moment += dt.timedelta(**delta)


@pytest.fixture
def frozen_clock() -> Iterator[FrozenClock]:
    """The one way tests freeze time: every caller of clock.now()/today() sees this moment."""
    frozen = FrozenClock(START)
    with clock.frozen(frozen.now):
        yield frozen


@pytest.fixture
def app_context(app: Flask) -> Iterator[Flask]:
    """Domain code that encrypts (TOTP secrets) needs the app's key, so an app context."""
    with app.app_context():
        yield app
