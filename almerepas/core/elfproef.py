"""The eleven test (elfproef) every BSN passes: one implementation for checking and for masking."""

from __future__ import annotations


def passes_eleven_test(value: str) -> bool:
    """Nine ASCII digits whose weighted sum (9..2, and -1 for the last) divides by eleven."""
    if len(value) != 9 or not (value.isascii() and value.isdigit()):
        return False
    digits = [int(c) for c in value]
    total = sum(d * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True)) - digits[8]
    return total % 11 == 0
