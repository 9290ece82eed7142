"""Amounts and dates in words, Dutch or English, for every face (pages, holder, partners)."""

from __future__ import annotations

import datetime as dt

from flask_babel import get_locale
from flask_babel import ngettext as _ngettext


def ngettext(singular: str, plural: str, num: int) -> str:
    return str(_ngettext(singular, plural, num))


def english() -> bool:
    return str(get_locale() or "nl") == "en"


def money(cents: int) -> str:
    """``€ 120`` or ``€ 120,50`` in Dutch, ``€120`` or ``€120.50`` in English."""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    if english():
        whole = f"{euros:,}"
        return f"{sign}€{whole}" + (f".{rest:02d}" if rest else "")
    whole = f"{euros:,}".replace(",", ".")
    return f"{sign}€ {whole}" + (f",{rest:02d}" if rest else "")


def day(value: dt.date) -> str:
    return value.strftime("%d-%m-%Y")


def quantity(amount: int, unit: str) -> str:
    """An amount in its unit: money, or a number of packs."""
    if unit == "EUR":
        return money(amount)
    if unit == "PACK":
        return ngettext("%(num)s pak", "%(num)s pakken", amount)
    return f"{amount} {unit.lower()}"
