"""The holder's pages in words: amounts, dates, budgets and history lines, Dutch or English.

Plain B1 sentences. Never a tier or an income: a budget is "tegoed".
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _gettext

from almerepas.contracts.models import Offer
from almerepas.holders.overview import Entitlement, HistoryLine
from almerepas.households.models import Person
from almerepas.http.words import day, english, money, quantity
from almerepas.ledger.models import EntryKind
from almerepas.passes.models import PassStatus
from almerepas.schemes.models import Period, Scheme, SchemeKind


def _(text: str, **params: Any) -> str:
    return str(_gettext(text, **params))


def scheme_name(scheme: Scheme) -> str:
    return scheme.name_en if english() else scheme.name_nl


def scheme_description(scheme: Scheme) -> str:
    return scheme.description_en if english() else scheme.description_nl


def left(entitlement: Entitlement) -> str:
    """What is left, in one sentence: "Nog € 120 dit jaar"."""
    scheme = entitlement.scheme
    yearly = scheme.period == Period.year
    if scheme.kind == SchemeKind.right or entitlement.left is None:
        return _("U mag dit gebruiken tot en met %(date)s.", date=day(entitlement.period_end))
    rest = quantity(entitlement.left, scheme.unit)
    if scheme.kind == SchemeKind.discount:
        if yearly:
            return _(
                "%(percent)s%% korting. U krijgt dit jaar nog %(amount)s korting.",
                percent=scheme.discount_percent,
                amount=rest,
            )
        return _(
            "%(percent)s%% korting. U krijgt deze maand nog %(amount)s korting.",
            percent=scheme.discount_percent,
            amount=rest,
        )
    if yearly:
        return _("Nog %(amount)s dit jaar.", amount=rest)
    return _("Nog %(amount)s deze maand.", amount=rest)


def warning(entitlement: Entitlement, holder: Person) -> str:
    """ "Let op: uw tegoed voor ... van € 80 vervalt op 31-12-2026."""
    amount = quantity(entitlement.left or 0, entitlement.scheme.unit)
    params = {
        "scheme": scheme_name(entitlement.scheme),
        "amount": amount,
        "date": day(entitlement.period_end),
    }
    if entitlement.person is None or entitlement.person.id == holder.id:
        return _("Let op: uw tegoed voor %(scheme)s van %(amount)s vervalt op %(date)s.", **params)
    return _(
        "Let op: het tegoed van %(name)s voor %(scheme)s van %(amount)s vervalt op %(date)s.",
        name=entitlement.person.given_name,
        **params,
    )


def history_text(line: HistoryLine) -> str:
    name = scheme_name(line.scheme)
    if line.kind == EntryKind.grant:
        return _("Tegoed gekregen voor %(scheme)s", scheme=name)
    if line.kind == EntryKind.redemption:
        return _("Gebruikt voor %(scheme)s", scheme=name)
    if line.kind == EntryKind.reversal:
        return _("Teruggezet op %(scheme)s", scheme=name)
    if line.kind == EntryKind.expiry:
        return _("Vervallen: niet op tijd gebruikt (%(scheme)s)", scheme=name)
    return _("Aangepast door de gemeente (%(scheme)s)", scheme=name)


def pass_status(status: PassStatus) -> str:
    return {
        PassStatus.active: _("Geldig"),
        PassStatus.blocked: _("Geblokkeerd"),
        PassStatus.replaced: _("Vervangen door een nieuwe pas"),
        PassStatus.expired: _("Verlopen"),
    }[status]


def mask_contact(contact: str) -> str:
    """``f•••@example.nl`` or ``06•••••678``: enough to recognise, not to copy."""
    if "@" in contact:
        name, _sep, domain = contact.partition("@")
        return f"{name[:1]}•••@{domain}"
    digits = contact.replace("+31", "0")
    return f"{digits[:2]}•••••{digits[-3:]}"


def offer_title(offer: Offer) -> str:
    return offer.title_en if english() else offer.title_nl


def offer_conditions(offer: Offer) -> str | None:
    """The conditions in English when there are English ones, else the Dutch (or none)."""
    return (offer.conditions_en or offer.conditions_nl) if english() else offer.conditions_nl


JINJA_HELPERS = {
    "offer_title": offer_title,
    "offer_conditions": offer_conditions,
    "money": money,
    "day": day,
    "scheme_name": scheme_name,
    "scheme_description": scheme_description,
    "left": left,
    "warning": warning,
    "history_text": history_text,
    "quantity": quantity,
    "pass_status": pass_status,
}
