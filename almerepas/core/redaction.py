"""Taking personal data out of free text that leaves the service's control: a mail server's
reply, an exception's message in the log. Fields are never logged; this is for what comes in
the text of an error."""

from __future__ import annotations

import re

from almerepas.core.elfproef import BSN_SHAPED, passes_eleven_test

_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def without_addresses(text: str) -> str:
    """Every e-mail address replaced by ``<adres>``."""
    return _ADDRESS.sub("<adres>", text)


def without_bsns(text: str) -> str:
    """Every nine digits written like a BSN that pass the eleven test replaced by ``***``."""

    def mask(match: re.Match[str]) -> str:
        digits = re.sub(r"[ .]", "", match.group())
        return "***" if passes_eleven_test(digits) else match.group()

    return BSN_SHAPED.sub(mask, text)


def redact(text: str) -> str:
    return without_bsns(without_addresses(text))
