"""Money helpers: integer cents in, integer cents out; exact rational arithmetic in between."""

from __future__ import annotations

from fractions import Fraction


def half_up(value: Fraction) -> int:
    """Round to the nearest integer, an exact half away from zero (never Python's round())."""
    sign = -1 if value < 0 else 1
    magnitude = abs(value)
    floor = magnitude.numerator // magnitude.denominator
    return sign * (floor + (1 if magnitude - floor >= Fraction(1, 2) else 0))


def ceil_div(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


def format_cents(cents: int) -> str:
    """Dutch notation, e.g. ``€ 1.234,50``; for texts, not for computation."""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    return f"{sign}€ {euros:,}".replace(",", ".") + f",{rest:02d}"
