"""What a signal shows: its thresholds and its evidence, as plain dataclasses; helpers shared
by the queries (local days, partner names, the masked pass number)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.contracts.models import Partner
from almerepas.core import clock

MONEY = "EUR"


@dataclass(frozen=True)
class Thresholds:
    """When a pattern is listed; each has a setting (``ALMEREPAS_SIGNAL_*``, README)."""

    #: signal 1: redemptions that each empty a budget, at one partner on one day, at least
    whole_budget_per_day: int = 5
    #: signal 2: the last days of a period before its grants expire
    expiry_days: int = 7
    #: signals 2 and 3: the days before that give the partner's usual level
    baseline_days: int = 28
    #: signals 2 and 3: "far above" is at least this many times the usual level
    factor: int = 3
    #: signals 2 and 3: no listing below this many redemptions (a day, or the last days) ...
    min_count: int = 10
    #: ... or below this many cents redeemed (money schemes)
    min_amount: int = 2000_00
    #: signal 4: one pass at two locations within this many minutes
    two_places_minutes: int = 30


#: The documented defaults: what the page uses when no setting says otherwise.
DEFAULTS = Thresholds()
#: The longest period one look covers: a year (and a day for a leap year).
MAX_DAYS = 366


def from_settings(config: Mapping[str, Any]) -> Thresholds:
    """The thresholds from the app's settings (``ALMEREPAS_SIGNAL_*``, almerepas/config.py)."""
    return Thresholds(
        whole_budget_per_day=int(config["SIGNAL_WHOLE_BUDGET_PER_DAY"]),
        expiry_days=int(config["SIGNAL_EXPIRY_DAYS"]),
        baseline_days=int(config["SIGNAL_BASELINE_DAYS"]),
        factor=int(config["SIGNAL_FACTOR"]),
        min_count=int(config["SIGNAL_MIN_COUNT"]),
        min_amount=int(config["SIGNAL_MIN_AMOUNT"]),
        two_places_minutes=int(config["SIGNAL_TWO_PLACES_MINUTES"]),
    )


@dataclass(frozen=True)
class WholeBudgetDay:
    """Signal 1: on one day, this many redemptions at the partner each took a budget to zero."""

    partner_id: int
    partner: str
    day: dt.date
    count: int
    #: cents, the sum of those redemptions
    amount: int
    locations: tuple[str, ...]
    redemption_ids: tuple[int, ...]


@dataclass(frozen=True)
class ExpirySpike:
    """Signal 2: in the last days before grants expired, the partner redeemed far more of them
    per day than it redeemed per day before."""

    partner_id: int
    partner: str
    #: the last day of the grants' period
    expires_on: dt.date
    first_day: dt.date
    days: int
    #: redemptions in those days of grants that expire on ``expires_on``, and their cents
    count: int
    amount: int
    #: all the partner's redemptions in the ``baseline_days`` before ``first_day``
    baseline_count: int
    baseline_amount: int
    baseline_days: int


@dataclass(frozen=True)
class UnusualDay:
    """Signal 3: a day far above the partner's own median day of the weeks before."""

    partner_id: int
    partner: str
    day: dt.date
    count: int
    #: cents redeemed that day (money schemes)
    amount: int
    #: the median of the days with redemptions in the ``baseline_days`` before (lower median)
    median_count: int
    median_amount: int
    #: how many days with redemptions that median is taken over (0: none before)
    baseline_days_used: int
    #: what was far above: "count", "amount" or both
    above: tuple[str, ...]


@dataclass(frozen=True)
class Use:
    """One scan of a pass: when, where, and the redemptions made with it."""

    scan_id: int
    at: dt.datetime
    partner_id: int
    partner: str
    location: str
    redemption_ids: tuple[int, ...]


@dataclass(frozen=True)
class TwoPlaces:
    """Signal 4: one pass scanned at two locations within minutes of each other."""

    pass_id: int
    #: only the last five digits show: enough to tell passes apart and to ask a caseworker
    pass_number: str
    first: Use
    second: Use
    seconds: int


def mask_pass_number(number: str) -> str:
    """``•••• •••• 1265 3``: the last five digits of a pass number, grouped as on the card."""
    hidden = "•" * (len(number) - 5) + number[-5:]
    return " ".join(hidden[i : i + 4] for i in range(0, len(hidden), 4))


def moment_of(day: dt.date) -> dt.datetime:
    """The first moment of ``day`` (local time)."""
    return clock.local_moment(day)


def days_from(first: dt.date, last: dt.date) -> Iterable[dt.date]:
    for n in range((last - first).days + 1):
        yield first + dt.timedelta(days=n)


def partner_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    return dict(
        session.execute(select(Partner.id, Partner.name).where(Partner.id.in_(wanted))).all()
    )
