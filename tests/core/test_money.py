"""Amounts typed on a page become exact cents: Dutch and international notation, never a float."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from almerepas.core.money import format_cents, parse_euros


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("1.234,56", 123456),
        ("1234.56", 123456),
        ("1234", 123400),
        ("1234,5", 123450),
        ("€ 1.234,50", 123450),
        ("  € 12 ", 1200),
        ("1.234", 123400),  # a Dutch thousands dot
        ("1.234.567", 123456700),
        ("1,234,567.89", 123456789),
        ("0,05", 5),
        ("0", 0),
        ("12.3", 1230),
        ("-12,50", -1250),
        ("€ -3", -300),
        ("−7", -700),  # the typographic minus sign
    ],
)
def test_amounts_people_type_become_cents(typed: str, cents: int) -> None:
    assert parse_euros(typed) == cents


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "abc",
        "12,345",  # three decimals after a decimal comma
        "1234.567",
        "0,001",
        "1.2345",
        "0.500",  # not a thousands group, and three decimals
        "12,",
        "12.",
        ",50",
        "1..2",
        "1,23,4",
        "1.234.56",
        "12,3.4",
        "--5",
        "- € -5",
        "12 34",
        "1e3",
        "١٢",  # digits of another script
        "9" * 41,
    ],
)
def test_anything_else_is_refused(typed: str) -> None:
    with pytest.raises(ValueError):
        parse_euros(typed)


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_what_format_cents_writes_reads_back_exactly(cents: int) -> None:
    assert parse_euros(format_cents(cents)) == cents


@given(st.integers(min_value=0, max_value=10**10), st.integers(min_value=0, max_value=99))
def test_plain_decimal_point_notation_is_exact(euros: int, rest: int) -> None:
    assert parse_euros(f"{euros}.{rest:02d}") == euros * 100 + rest
    assert parse_euros(f"{euros},{rest:02d}") == euros * 100 + rest
