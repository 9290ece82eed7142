"""What the finance pages call a run's states, a payment's, a hold's reason and a late month."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from almerepas.core import clock
from almerepas.core.errors import DomainError
from almerepas.core.money import format_cents
from almerepas.http.i18n import translate
from almerepas.settlements.errors import PayoutMismatch, PayoutRefused, PayoutUnavailable
from almerepas.settlements.models import HoldReason, PaymentStatus, RunStatus
from almerepas.web.partner_admin import PAYOUT_LABELS

RUN_STATUS_LABELS = {
    RunStatus.draft: _l("Klaargezet, wacht op goedkeuring"),
    RunStatus.approved: _l("Goedgekeurd, nog niet betaald"),
    RunStatus.paid_out: _l("Betaald, wacht op het bankafschrift"),
    RunStatus.confirmed: _l("Klaar: staat op het bankafschrift"),
    RunStatus.cancelled: _l("Geannuleerd"),
}
PAYMENT_STATUS_LABELS = {
    PaymentStatus.pending: _l("Nog niet betaald"),
    PaymentStatus.sent: _l("Verstuurd"),
    PaymentStatus.confirmed: _l("Staat op het bankafschrift"),
}
HOLD_REASON_LABELS = {
    HoldReason.iban_invalid: _l("IBAN klopt niet"),
    HoldReason.stripe_account_missing: _l("Geen Stripe-account ingevuld"),
    HoldReason.total_not_positive: _l(
        "Totaal is nul of minder; het gaat mee naar de volgende afrekening"
    ),
    HoldReason.tariff_unfit: _l("Het tarief in het contract past niet bij de regeling"),
}
#: Why a month is late: nothing prepared yet, or a run that waits.
LATE_LABELS = {
    "not_prepared": _l("Er is nog geen afrekening gemaakt"),
    RunStatus.draft.value: _l("De afrekening wacht op goedkeuring"),
    RunStatus.approved.value: _l("De afrekening is goedgekeurd maar nog niet betaald"),
}

#: What one Stripe transfer can end in besides success, by code; the others are still tried.
TRANSFER_REFUSALS: dict[str, type[DomainError]] = {
    error.code: error for error in (PayoutUnavailable, PayoutRefused, PayoutMismatch)
}


def payout_failure(code: str) -> str:
    """Why the last try to pay failed, in words (a payment keeps only the code)."""
    return translate(TRANSFER_REFUSALS.get(code, DomainError).title)


def _label(labels: dict[Any, Any], value: Any) -> str:
    found = labels.get(value)
    return str(found) if found is not None else str(value)


def hold_reason(reason: str) -> str:
    return _label(HOLD_REASON_LABELS, HoldReason(reason))


def who(actor: str | None) -> str:
    """``staff:fien`` as people read it: fien."""
    if not actor:
        return ""
    return actor.removeprefix("staff:")


def moment(at: dt.datetime | None) -> Markup:
    """A moment in local time, 02-07-2026 11:00, machine-readable too."""
    if at is None:
        return Markup("")
    local = at.astimezone(clock.LOCAL)
    return Markup('<time datetime="{}">{}</time>').format(
        local.isoformat(timespec="minutes"), f"{local:%d-%m-%Y %H:%M}"
    )


def day(on: dt.date | None) -> Markup:
    if on is None:
        return Markup("")
    return Markup('<time datetime="{}">{}</time>').format(on.isoformat(), f"{on:%d-%m-%Y}")


HELPERS: dict[str, Any] = {
    "money": format_cents,
    "who": who,
    "moment": moment,
    "day": day,
    "run_status": lambda v: _label(RUN_STATUS_LABELS, RunStatus(v)),
    "payment_status": lambda v: _label(PAYMENT_STATUS_LABELS, PaymentStatus(v)),
    "hold_reason": hold_reason,
    "late_reason": lambda v: _label(LATE_LABELS, str(v)),
    "payout_method": lambda v: _label(PAYOUT_LABELS, v),
    "payout_failure": payout_failure,
}
