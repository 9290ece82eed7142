"""The bank's calendar (TARGET2) and Dutch working days, against published dates."""

from __future__ import annotations

import datetime as dt

import pytest

from almerepas.settlements.calendar import (
    easter_sunday,
    first_working_day_after,
    is_dutch_working_day,
    is_target_business_day,
    next_execution_date,
)

D = dt.date

#: Easter Sundays from published tables, including the earliest (22 March) and latest (25 April).
EASTERS = [
    D(1818, 3, 22),
    D(1943, 4, 25),
    D(2000, 4, 23),
    D(2008, 3, 23),
    D(2011, 4, 24),
    D(2019, 4, 21),
    D(2024, 3, 31),
    D(2025, 4, 20),
    D(2026, 4, 5),
    D(2027, 3, 28),
    D(2028, 4, 16),
    D(2038, 4, 25),
    D(2285, 3, 22),
]


@pytest.mark.parametrize("easter", EASTERS, ids=str)
def test_easter_sunday_matches_the_published_tables(easter: dt.date) -> None:
    assert easter_sunday(easter.year) == easter
    assert easter.weekday() == 6


def test_easter_is_always_a_sunday_between_22_march_and_25_april() -> None:
    for year in range(1583, 3000):
        easter = easter_sunday(year)
        assert easter.weekday() == 6, year
        assert D(year, 3, 22) <= easter <= D(year, 4, 25), year


@pytest.mark.parametrize(
    "closed",
    [
        D(2027, 1, 1),  # New Year
        D(2027, 3, 26),  # Good Friday 2027
        D(2027, 3, 29),  # Easter Monday 2027
        D(2027, 5, 1),  # Labour Day (a Saturday in 2027 anyway)
        D(2026, 5, 1),  # Labour Day on a Friday
        D(2026, 12, 25),
        D(2026, 12, 26),
        D(2027, 1, 2),  # Saturday
        D(2027, 1, 3),  # Sunday
        D(2026, 4, 3),  # Good Friday 2026
        D(2026, 4, 6),  # Easter Monday 2026
    ],
    ids=str,
)
def test_target_closing_days(closed: dt.date) -> None:
    assert not is_target_business_day(closed)


@pytest.mark.parametrize(
    "open_day",
    [
        D(2027, 3, 25),  # Maundy Thursday
        D(2027, 3, 30),  # the day after Easter Monday
        D(2027, 4, 27),  # Koningsdag: banks settle
        D(2027, 5, 6),  # Ascension Day 2027: TARGET is open
        D(2027, 5, 17),  # Whit Monday 2027: TARGET is open
        D(2026, 12, 24),
        D(2026, 12, 31),
    ],
    ids=str,
)
def test_target_is_open_on_national_holidays_it_does_not_keep(open_day: dt.date) -> None:
    assert is_target_business_day(open_day)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (D(2026, 12, 25), D(2026, 12, 28)),  # Christmas Friday -> Monday
        (D(2026, 12, 24), D(2026, 12, 24)),  # a business day is its own answer
        (D(2027, 3, 26), D(2027, 3, 30)),  # Good Friday -> past Easter Monday to Tuesday
        (D(2026, 12, 31), D(2026, 12, 31)),
        (D(2027, 1, 1), D(2027, 1, 4)),  # New Year Friday -> Monday
        (D(2027, 5, 1), D(2027, 5, 3)),
    ],
    ids=str,
)
def test_next_execution_date(today: dt.date, expected: dt.date) -> None:
    assert next_execution_date(today) == expected


def test_next_execution_date_is_the_first_open_day_on_or_after_today() -> None:
    day = D(2026, 1, 1)
    while day < D(2029, 1, 1):
        chosen = next_execution_date(day)
        assert chosen >= day
        assert is_target_business_day(chosen)
        assert all(
            not is_target_business_day(day + dt.timedelta(days=n))
            for n in range((chosen - day).days)
        )
        day += dt.timedelta(days=1)


@pytest.mark.parametrize(
    "day_off",
    [
        D(2027, 1, 1),  # Nieuwjaarsdag
        D(2027, 3, 29),  # Tweede Paasdag
        D(2027, 4, 27),  # Koningsdag, a Tuesday
        D(2027, 5, 6),  # Hemelvaartsdag
        D(2027, 5, 17),  # Tweede Pinksterdag
        D(2025, 5, 5),  # Bevrijdingsdag in a lustrum year (a Monday)
        D(2026, 12, 25),
        D(2028, 12, 26),
        D(2026, 5, 14),  # Hemelvaartsdag 2026
        D(2026, 5, 25),  # Tweede Pinksterdag 2026
    ],
    ids=str,
)
def test_dutch_days_off(day_off: dt.date) -> None:
    assert not is_dutch_working_day(day_off)


@pytest.mark.parametrize(
    "working",
    [
        D(2027, 3, 26),  # Goede Vrijdag: no general day off
        D(2026, 5, 5),  # Bevrijdingsdag outside a lustrum year (a Tuesday)
        D(2027, 5, 5),  # a Wednesday
        D(2026, 5, 1),
        D(2026, 12, 24),
    ],
    ids=str,
)
def test_dutch_working_days(working: dt.date) -> None:
    assert is_dutch_working_day(working)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2027, 3, 25), D(2027, 3, 26)),  # Thursday -> Goede Vrijdag is a working day
        (D(2027, 3, 26), D(2027, 3, 30)),  # Friday -> past Easter Monday
        (D(2027, 4, 26), D(2027, 4, 28)),  # Monday -> past Koningsdag
        (D(2027, 5, 5), D(2027, 5, 7)),  # Wednesday -> past Ascension Day
        (D(2025, 5, 2), D(2025, 5, 6)),  # Friday -> past Bevrijdingsdag 2025
        (D(2026, 5, 4), D(2026, 5, 5)),  # 5 May 2026 is no day off
        (D(2026, 12, 24), D(2026, 12, 28)),
        (D(2026, 12, 31), D(2027, 1, 4)),
        (D(2027, 1, 4), D(2027, 1, 5)),  # strictly after: a working day is not its own answer
    ],
    ids=str,
)
def test_first_working_day_after(day: dt.date, expected: dt.date) -> None:
    assert first_working_day_after(day) == expected
