"""Pass numbers: twelve random digits and a Damm check digit, read out in groups of four.

A pass number is printed on the card and read out over the phone, so a typing or hearing
mistake must be caught before anything is looked up. The Damm algorithm (H. Michael Damm,
2004) catches every change of one digit and every swap of two neighbouring digits, the two
mistakes people make most, with one decimal digit and nothing else: the Luhn check misses
the swap of 0 and 9 ("09" <-> "90"), the Verhoeff check needs three tables and a permutation
per position, and ISO 7064 MOD 11-10 needs an eleventh symbol ("X") that people cannot type on
a phone keypad. docs/passes.md has the same reasons.

The twelve digits come from ``secrets``: a pass number is not a secret (it is printed), but it
must not be guessable from another one, so nobody can find a neighbour's pass from their own.
"""

from __future__ import annotations

import re
import secrets

#: Random digits before the check digit; the first is never 0 (spreadsheets drop it).
RANDOM_DIGITS = 12
LENGTH = RANDOM_DIGITS + 1

#: Damm's totally anti-symmetric quasigroup of order 10 (weak totally anti-symmetric: it has a
#: zero diagonal, so the check digit of a number is the value that makes the whole come to 0).
_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)

#: What people type between the digits: spaces (also non-breaking) and dashes.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015]+")


def damm_digit(digits: str) -> int:
    """The interim digit of ``digits``: 0 exactly when the last digit is the right check digit."""
    interim = 0
    for digit in digits:
        interim = _DAMM[interim][int(digit)]
    return interim


def with_check_digit(digits: str) -> str:
    """``digits`` followed by their Damm check digit."""
    return f"{digits}{damm_digit(digits)}"


def random_number() -> str:
    """A new pass number: twelve random digits (the first not 0) and the check digit."""
    first = str(1 + secrets.randbelow(9))
    rest = "".join(str(secrets.randbelow(10)) for _ in range(RANDOM_DIGITS - 1))
    return with_check_digit(first + rest)


def normalise_number(text: str) -> str | None:
    """The thirteen digits of a typed pass number, or None when it is not a valid one.

    Spaces and dashes between the digits are allowed ("4821 3907 1265 3", "4821-3907-1265-3").
    """
    digits = _SEPARATORS.sub("", text.strip())
    if len(digits) != LENGTH or not digits.isascii() or not digits.isdigit():
        return None
    return digits if damm_digit(digits) == 0 else None


def is_valid_number(text: str) -> bool:
    """Whether ``text`` is a pass number with the right check digit (spaces and dashes allowed)."""
    return normalise_number(text) is not None


def grouped(number: str) -> str:
    """The number in groups of four for reading out: ``4821 3907 1265 3``."""
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))
