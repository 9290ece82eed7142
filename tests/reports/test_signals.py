"""The four signals on the December of tests/reports/signal_support.py: exactly the planted
patterns are listed, with their evidence; the clean look-alikes are not."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import literal, select
from sqlalchemy.orm import Session

from almerepas.core.db import UTCDateTime
from almerepas.reports import signals
from almerepas.reports.days import day_of
from tests.reports.signal_support import FIRST, LAST, TEST_THRESHOLDS, December, make_december

T = TEST_THRESHOLDS


@pytest.fixture
def december(reference: Session) -> December:
    return make_december(reference)


def test_whole_budgets_lists_the_partner_that_emptied_three_on_one_day(
    reference: Session, december: December
) -> None:
    found = signals.whole_budgets(reference, FIRST, LAST, T)
    noord = december.partners["noord"]
    # A3's € 200 was what was left after € 100 at the Muziekschool: taken whole too. One whole
    # budget a day (Dansschool) and three that leave € 1 (Zwemclub) are not listed.
    assert found == [
        signals.WholeBudgetDay(
            partner_id=noord.id,
            partner="Sportclub Noord",
            day=dt.date(2026, 12, 24),
            count=3,
            amount=800_00,
            locations=("Sportclub Noord locatie",),
            redemption_ids=tuple(december.redemptions["noord"]),
        )
    ]
    # With a threshold of one, Dansschool's two single days are listed, and nothing of Zwemclub.
    single = signals.Thresholds(whole_budget_per_day=1)
    days = {
        (s.partner, s.day, s.count) for s in signals.whole_budgets(reference, FIRST, LAST, single)
    }
    assert days == {
        ("Sportclub Noord", dt.date(2026, 12, 24), 3),
        ("Dansschool Haven", dt.date(2026, 12, 24), 1),
        ("Dansschool Haven", dt.date(2026, 12, 27), 1),
    }


def test_expiry_spikes_lists_the_partner_busy_in_the_last_days_only(
    reference: Session, december: December
) -> None:
    found = signals.expiry_spikes(reference, FIRST, LAST, T)
    # Theater Poort: nine in 29-31 December against four in the seven days before. The steady
    # Sporthal Centrum (18 against 42) and the Judoclub (two) are not listed.
    assert found == [
        signals.ExpirySpike(
            partner_id=december.partners["theater"].id,
            partner="Theater Poort",
            expires_on=dt.date(2026, 12, 31),
            first_day=dt.date(2026, 12, 29),
            days=3,
            count=9,
            amount=45_00,
            baseline_count=4,
            baseline_amount=20_00,
            baseline_days=7,
        )
    ]
    # A period that does not end within the dates looked at gives nothing.
    assert signals.expiry_spikes(reference, FIRST, dt.date(2026, 12, 30), T) == []


def test_unusual_days_lists_a_day_far_above_the_partners_own_median(
    reference: Session, december: December
) -> None:
    found = signals.unusual_days(reference, FIRST, LAST, T)
    # Judoclub Oost: twelve on 28 December, its median day one. Sporthal Centrum's steady six a
    # day, Theater Poort's three and the € 800 and € 897 days stay below the thresholds.
    assert found == [
        signals.UnusualDay(
            partner_id=december.partners["judo"].id,
            partner="Judoclub Oost",
            day=dt.date(2026, 12, 28),
            count=12,
            amount=60_00,
            median_count=1,
            median_amount=5_00,
            baseline_days_used=7,
            above=("count",),
        )
    ]
    # An amount far above the usual lists a day too: Zwemclub West had no day before.
    by_amount = signals.Thresholds(baseline_days=7, min_count=100, min_amount=800_00)
    listed = {
        (s.partner, s.day, s.above) for s in signals.unusual_days(reference, FIRST, LAST, by_amount)
    }
    assert listed == {
        ("Sportclub Noord", dt.date(2026, 12, 24), ("amount",)),
        ("Zwemclub West", dt.date(2026, 12, 24), ("amount",)),
    }


def test_two_places_lists_one_pass_at_two_locations_within_minutes(
    reference: Session, december: December
) -> None:
    found = signals.two_places(reference, FIRST, LAST, T)
    e1 = december.passes["E1"]
    # E2 at the same two places four hours apart, E3 twice at one place: not listed.
    assert len(found) == 1
    pair = found[0]
    assert pair.pass_id == e1.id
    assert pair.pass_number == signals.mask_pass_number(e1.number)
    assert pair.pass_number.endswith(f"{e1.number[8:12]} {e1.number[12]}")
    assert e1.number[:8] not in pair.pass_number.replace(" ", "")
    assert pair.seconds == 12 * 60
    assert (pair.first.scan_id, pair.second.scan_id) == (
        december.scans["E1-bieb"],
        december.scans["E1-zwembad"],
    )
    assert (pair.first.partner, pair.first.location) == ("Bibliotheek", "Bibliotheek locatie")
    assert pair.first.redemption_ids == tuple(december.redemptions["bieb"])
    assert (pair.second.partner, pair.second.redemption_ids) == ("Zwembad", ())
    # Four hours apart is within a window of five hours.
    wide = signals.Thresholds(two_places_minutes=5 * 60)
    assert [p.pass_id for p in signals.two_places(reference, FIRST, LAST, wide)] == [
        e1.id,
        december.passes["E2"].id,
    ]


def test_the_evidence_names_no_holder(reference: Session, december: December) -> None:
    everything = [
        *signals.whole_budgets(reference, FIRST, LAST, T),
        *signals.expiry_spikes(reference, FIRST, LAST, T),
        *signals.unusual_days(reference, FIRST, LAST, T),
        *signals.two_places(reference, FIRST, LAST, T),
    ]
    text = repr(everything)
    assert len(everything) == 4
    assert "Lid" not in text and "Test" not in text  # the factories' given and family names
    assert december.passes["E1"].number not in text


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        # Winter (UTC+1): 23:30 UTC is half past midnight of the next day in Almere.
        (dt.datetime(2026, 3, 28, 23, 30, tzinfo=dt.UTC), dt.date(2026, 3, 29)),
        (dt.datetime(2026, 3, 28, 22, 30, tzinfo=dt.UTC), dt.date(2026, 3, 28)),
        # Summer (UTC+2) from 01:00 UTC on the last Sunday of March to that of October.
        (dt.datetime(2026, 6, 30, 22, 30, tzinfo=dt.UTC), dt.date(2026, 7, 1)),
        (dt.datetime(2026, 10, 24, 22, 30, tzinfo=dt.UTC), dt.date(2026, 10, 25)),
        (dt.datetime(2026, 10, 25, 22, 59, tzinfo=dt.UTC), dt.date(2026, 10, 25)),
        (dt.datetime(2026, 10, 25, 23, 0, tzinfo=dt.UTC), dt.date(2026, 10, 26)),
        (dt.datetime(2027, 3, 27, 23, 0, tzinfo=dt.UTC), dt.date(2027, 3, 28)),
    ],
)
def test_a_day_is_a_day_in_almere_on_both_databases(
    db: Session, moment: dt.datetime, day: dt.date
) -> None:
    assert db.scalar(select(day_of(literal(moment, UTCDateTime())))) == day
