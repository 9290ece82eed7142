"""Fixtures for the auth and audit tests: a clock the test controls, an app context."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from flask import Flask

from almerepas import clock

START = dt.datetime(2026, 3, 2, 9, 0, 0, tzinfo=dt.UTC)


class FrozenClock:
    """almerepas.clock.now() returns ``moment`` until the test moves it."""

    def __init__(self, moment: dt.datetime) -> None:
        self.moment = moment

    def now(self) -> dt.datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += dt.timedelta(**delta)


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> FrozenClock:
    frozen = FrozenClock(START)
    monkeypatch.setattr(clock, "now", frozen.now)
    return frozen


@pytest.fixture
def app_context(app: Flask) -> Iterator[Flask]:
    """Domain code that encrypts (TOTP secrets) needs the app's key, so an app context."""
    with app.app_context():
        yield app
