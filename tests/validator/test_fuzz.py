"""Random bytes, random text, bit flips, cuts and splices: the kit always answers with a refusal
code, never with another exception, and never accepts a changed code."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from almerepas.validator import Refusal, refusals
from tests.validator.conftest import Check, Keys, code_now

FUZZ = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def refused(check: Check, code: str | bytes) -> str:
    with pytest.raises(Refusal) as refusal:
        check(code)
    assert refusal.value.code in refusals.VERIFY_CODES
    return refusal.value.code


@FUZZ
@given(data=st.binary(max_size=2000))
def test_random_bytes_get_a_code(check: Check, data: bytes) -> None:
    refused(check, data)


@FUZZ
@given(text=st.text(max_size=1500))
def test_random_text_gets_a_code(check: Check, text: str) -> None:
    refused(check, text)


@FUZZ
@given(text=st.text(alphabet="ABCDEFabcdef0123456789-_.~", max_size=600))
def test_random_text_in_the_code_alphabet_gets_a_code(check: Check, text: str) -> None:
    refused(check, text)


@FUZZ
@given(data=st.data())
def test_every_single_bit_flip_of_a_phone_code_is_refused(
    keys: Keys, device: Any, check: Check, data: st.DataObject
) -> None:
    code = code_now(keys, device).encode("ascii")
    position = data.draw(st.integers(0, len(code) - 1))
    bit = data.draw(st.integers(0, 7))
    flipped = bytearray(code)
    flipped[position] ^= 1 << bit
    refused(check, bytes(flipped))


@FUZZ
@given(data=st.data())
def test_every_cut_or_splice_of_a_code_is_refused(
    keys: Keys, device: Any, check: Check, data: st.DataObject
) -> None:
    code = data.draw(st.sampled_from([code_now(keys, device), keys.card_code()]))
    start = data.draw(st.integers(0, len(code)))
    end = data.draw(st.integers(start, len(code)))
    insert = data.draw(st.text(alphabet="Aa0-_.~", max_size=4))
    changed = code[:start] + insert + code[end:]
    if changed == code:
        return
    refused(check, changed)
