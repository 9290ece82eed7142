"""The partner portal in words: amounts as a cashier reads and types them, Dutch or English."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _gettext

from almerepas.core import clock
from almerepas.core.money import parse_euros
from almerepas.http.words import english, ngettext
from almerepas.schemes.models import Scheme, SchemeKind


def _(text: str, **params: Any) -> str:
    return str(_gettext(text, **params))


def money(cents: int) -> str:
    """``€ 12,00`` in Dutch, ``€12.00`` in English: always with cents, as on a receipt."""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    if english():
        return f"{sign}€{euros:,}.{rest:02d}"
    return f"{sign}€ {euros:,}".replace(",", ".") + f",{rest:02d}"


def quantity(amount: int, unit: str) -> str:
    if unit == "EUR":
        return money(amount)
    if unit == "PACK":
        return ngettext("%(num)s pak", "%(num)s pakken", amount)
    return f"{amount} {unit.lower()}"


def scheme_name(scheme: Scheme | None, name_nl: str = "", name_en: str = "") -> str:
    if scheme is not None:
        name_nl, name_en = scheme.name_nl, scheme.name_en
    return name_en if english() else name_nl


def left_text(kind: SchemeKind, left: int | None, unit: str, percent: int | None) -> str:
    """What is left, in one short line for the cashier."""
    if kind == SchemeKind.right or left is None:
        return _("Vrij reizen: geen bedrag, één rit per scan.")
    if kind == SchemeKind.discount:
        return _(
            "%(percent)s%% korting. Nog %(amount)s korting over.",
            percent=percent or 0,
            amount=quantity(left, unit),
        )
    return _("Nog over: %(amount)s", amount=quantity(left, unit))


def moment(value: dt.datetime) -> str:
    """``30-11-2026 12:05`` on the local clock."""
    return value.astimezone(clock.LOCAL).strftime("%d-%m-%Y %H:%M")


def parse_quantity(kind: SchemeKind, text: str) -> int:
    """What the cashier typed, as the domain takes it: cents for a budget and for a discount's
    basket, whole units for a quota. ValueError when it is not that."""
    text = text.strip()
    if kind in (SchemeKind.budget, SchemeKind.discount):
        cents = parse_euros(text)
        if cents <= 0:
            raise ValueError(text)
        return cents
    if not (text.isascii() and text.isdigit()) or len(text) > 6 or int(text) <= 0:
        raise ValueError(text)
    return int(text)


def amount_label(kind: SchemeKind) -> str:
    if kind == SchemeKind.budget:
        return _("Bedrag in euro")
    if kind == SchemeKind.discount:
        return _("Bedrag van de aankoop in euro")
    return _("Aantal")


def amount_hint(kind: SchemeKind) -> str:
    if kind == SchemeKind.discount:
        return _("De korting wordt berekend en afgeschreven. Bijvoorbeeld: 24,80")
    if kind == SchemeKind.budget:
        return _("Bijvoorbeeld: 12,50")
    return _("Een heel getal, bijvoorbeeld: 1")


JINJA_HELPERS = {
    "money": money,
    "quantity": quantity,
    "scheme_name": scheme_name,
    "left_text": left_text,
    "moment": moment,
    "amount_label": amount_label,
    "amount_hint": amount_hint,
}
