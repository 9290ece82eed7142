"""The eleven test (elfproef) every BSN passes: one implementation for checking and for masking.

Also what a BSN looks like when someone types it where it does not belong (a name search):
nine digits, written together or in groups with spaces or dots (123 456 782, 123.456.782).
"""

from __future__ import annotations

import re

#: Nine digits, each separated from the next by at most one space or dot, with no digit
#: directly before or after: a BSN as people write it, also inside other text.
BSN_SHAPED = re.compile(r"(?<![0-9])[0-9](?:[ .]?[0-9]){8}(?![0-9])")


def passes_eleven_test(value: str) -> bool:
    """Nine ASCII digits whose weighted sum (9..2, and -1 for the last) divides by eleven."""
    if len(value) != 9 or not (value.isascii() and value.isdigit()):
        return False
    digits = [int(c) for c in value]
    total = sum(d * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True)) - digits[8]
    return total % 11 == 0


def bsn_shaped(text: str) -> list[str]:
    """The nine-digit runs of ``text`` written like a BSN, as bare digits."""
    return [re.sub(r"[ .]", "", m.group()) for m in BSN_SHAPED.finditer(text)]


def contains_bsn(text: str) -> bool:
    """True when ``text`` holds nine digits written like a BSN, whether or not they pass the
    eleven test: a BSN with one digit wrong is still almost someone's number."""
    return BSN_SHAPED.search(text) is not None
