"""Pass numbers: the Damm check digit catches every one-digit mistake and every swap of two
neighbouring digits; numbers are random, grouped for reading out, and typed with spaces."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from almerepas.passes import numbers

digits = st.text(alphabet="0123456789", min_size=numbers.RANDOM_DIGITS, max_size=12)
valid = digits.map(numbers.with_check_digit)


def test_the_published_example_gives_its_check_digit() -> None:
    # Damm's worked example (and Wikipedia's): 572 gets 4, and 5724 checks out.
    assert numbers.with_check_digit("572") == "5724"
    assert numbers.damm_digit("5724") == 0


@given(valid, st.data())
def test_every_single_digit_change_is_caught(number: str, data: st.DataObject) -> None:
    position = data.draw(st.integers(0, len(number) - 1))
    other = data.draw(st.sampled_from([d for d in "0123456789" if d != number[position]]))
    typo = number[:position] + other + number[position + 1 :]
    assert not numbers.is_valid_number(typo)


def test_every_single_digit_change_of_one_number_is_caught_exhaustively() -> None:
    number = numbers.with_check_digit("482139071265")
    for position in range(len(number)):
        for other in "0123456789":
            if other != number[position]:
                typo = number[:position] + other + number[position + 1 :]
                assert not numbers.is_valid_number(typo), typo


@given(valid, st.data())
def test_every_adjacent_swap_is_caught(number: str, data: st.DataObject) -> None:
    position = data.draw(st.integers(0, len(number) - 2))
    a, b = number[position], number[position + 1]
    swapped = number[:position] + b + a + number[position + 2 :]
    assert numbers.is_valid_number(swapped) == (a == b)


def test_every_adjacent_swap_of_every_digit_pair_is_caught() -> None:
    """Exhaustive over the pairs, in every position, the check digit's too (Luhn misses 09/90)."""
    for a in "0123456789":
        for b in "0123456789":
            if a == b:
                continue
            for position in range(numbers.LENGTH - 1):
                body = ("3" * position + a + b).ljust(numbers.RANDOM_DIGITS, "7")
                number = numbers.with_check_digit(body[: numbers.RANDOM_DIGITS])
                x, y = number[position], number[position + 1]
                if x == y:
                    continue
                swapped = number[:position] + y + x + number[position + 2 :]
                assert not numbers.is_valid_number(swapped), (number, swapped)


@given(valid)
def test_a_valid_number_is_accepted_as_people_type_it(number: str) -> None:
    assert numbers.is_valid_number(number)
    shown = numbers.grouped(number)
    assert numbers.normalise_number(shown) == number
    assert numbers.normalise_number(shown.replace(" ", "-")) == number
    assert numbers.normalise_number(f"  {shown}\u00a0") == number


def test_grouped_for_reading_out() -> None:
    assert numbers.is_valid_number("4821 3907 1265 3")  # the example in the docs
    assert numbers.grouped("4821390712653") == "4821 3907 1265 3"


def test_what_is_not_a_pass_number() -> None:
    good = numbers.with_check_digit("482139071265")
    for text in ("", good[:-1], good + "0", good.replace("4", "a", 1), "٤" * 13, f"{good}/1"):
        assert not numbers.is_valid_number(text), text


def test_new_numbers_are_random_valid_and_start_with_a_digit_other_than_zero() -> None:
    drawn = {numbers.random_number() for _ in range(2000)}
    assert len(drawn) == 2000
    assert all(numbers.is_valid_number(n) and len(n) == 13 and n[0] != "0" for n in drawn)
    assert {n[0] for n in drawn} == set("123456789")
    assert {n[5] for n in drawn} == set("0123456789")
