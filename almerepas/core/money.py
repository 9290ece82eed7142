"""Money helpers: integer cents in, integer cents out; exact rational arithmetic in between."""

from __future__ import annotations

import re
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


#: An optional minus sign and euro sign, then digits with dots and commas; parsed by hand below.
_AMOUNT = re.compile(r"(-?)\s*(?:€\s*)?(-?)\s*([0-9][0-9.,]*)")
#: Whole euros with a thousands separator: 1.234.567 or 1,234,567 (no leading zero).
_GROUPED = {sep: re.compile(rf"[1-9][0-9]{{0,2}}(?:\{sep}[0-9]{{3}})+") for sep in ".,"}
MAX_AMOUNT_TEXT = 40


def parse_euros(text: str) -> int:
    """Euros as people type them (``1.234,56``, ``1234.56``, ``€ 1234``) to cents, without floats.

    The last of ``,`` and ``.`` is the decimal separator when both occur; a lone comma is a
    decimal comma; a lone dot followed by exactly three digits (``1.234``) is a thousands dot, as
    Dutch writes it. More than two decimals, misplaced separators and anything else raise
    ValueError. A leading minus gives a negative amount: the caller decides whether that is allowed.
    """
    match = _AMOUNT.fullmatch(text.strip().replace("\u2212", "-"))
    if len(text) > MAX_AMOUNT_TEXT or match is None or (match.group(1) and match.group(2)):
        raise ValueError(f"not an amount in euros: {text!r}")
    negative = bool(match.group(1) or match.group(2))
    number = match.group(3)
    whole, fraction = _split(number)
    if not whole.isdigit() or not (fraction == "" or (fraction.isdigit() and len(fraction) <= 2)):
        raise ValueError(f"not an amount in euros: {text!r}")
    cents = int(whole) * 100 + int(fraction.ljust(2, "0"))
    return -cents if negative else cents


def _split(number: str) -> tuple[str, str]:
    """Whole euros (digits only) and the decimals of a number with dots and commas."""
    dots, commas = number.count("."), number.count(",")
    if dots and commas:
        decimal = "," if number.rfind(",") > number.rfind(".") else "."
        whole, _, fraction = number.rpartition(decimal)
        return _ungroup(whole, "." if decimal == "," else ","), fraction or "x"
    if dots + commas == 0:
        return number, ""
    separator = "." if dots else ","
    if dots + commas > 1:
        return _ungroup(number, separator), ""
    whole, _, fraction = number.partition(separator)
    if separator == "." and len(fraction) == 3 and _GROUPED["."].fullmatch(number):
        return whole + fraction, ""  # 1.234: Dutch for one thousand two hundred thirty-four
    return whole, fraction or "x"  # "12," has a separator without decimals: refused


def _ungroup(whole: str, separator: str) -> str:
    if not _GROUPED[separator].fullmatch(whole) and not (
        whole.isdigit() and separator not in whole
    ):
        return "x"
    return whole.replace(separator, "")
