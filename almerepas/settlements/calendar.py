"""Which days banks pay on (TARGET2) and which days Dutch offices work: execution dates, deadlines.

Easter is computed here (no calendar package is installed): the anonymous Gregorian algorithm,
published in Nature in 1876 and given by J. Meeus, *Astronomical Algorithms* (1991), ch. 8.
"""

from __future__ import annotations

import datetime as dt

_ONE_DAY = dt.timedelta(days=1)


def easter_sunday(year: int) -> dt.date:
    """Western (Gregorian) Easter Sunday, from which Good Friday, Ascension and Whitsun follow."""
    if year < 1583:
        raise ValueError("the Gregorian Easter rule holds from 1583 on")
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 (the algorithm's own name)
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def is_target_business_day(day: dt.date) -> bool:
    """TARGET2 settles on every weekday but New Year, Good Friday, Easter Monday, 1 May and
    Christmas: a SEPA file's execution date must be such a day."""
    if day.weekday() >= 5:
        return False
    if (day.month, day.day) in {(1, 1), (5, 1), (12, 25), (12, 26)}:
        return False
    easter = easter_sunday(day.year)
    return day not in {easter - 2 * _ONE_DAY, easter + _ONE_DAY}


def next_execution_date(today: dt.date) -> dt.date:
    """The first TARGET2 business day on or after ``today``: the earliest date a bank can pay."""
    day = today
    while not is_target_business_day(day):
        day += _ONE_DAY
    return day


def _kings_day(year: int) -> dt.date:
    """27 April, or the Saturday before when the 27th is a Sunday (Wet Koningsdag)."""
    day = dt.date(year, 4, 27)
    return day - _ONE_DAY if day.weekday() == 6 else day


def is_dutch_working_day(day: dt.date) -> bool:
    """A weekday that is not a day most Dutch employers give off (as most collective agreements
    read it: Good Friday is not a general day off, 5 May only every fifth year)."""
    if day.weekday() >= 5:
        return False
    if (day.month, day.day) in {(1, 1), (12, 25), (12, 26)}:
        return False
    if day == _kings_day(day.year):
        return False
    if (day.month, day.day) == (5, 5) and day.year % 5 == 0:
        return False
    easter = easter_sunday(day.year)
    easter_based = {easter + dt.timedelta(days=n) for n in (1, 39, 50)}
    return day not in easter_based


def first_working_day_after(day: dt.date) -> dt.date:
    """The first Dutch working day strictly after ``day``, e.g. for "paid the next working day"."""
    candidate = day + _ONE_DAY
    while not is_dutch_working_day(candidate):
        candidate += _ONE_DAY
    return candidate
