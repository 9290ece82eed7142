"""The payout settings of this app (docs/settlement.md), for the faces that pay partners."""

from __future__ import annotations

from flask import current_app

from almerepas.settlements.payouts import Debtor
from almerepas.settlements.stripe_connect import StripeConnect


def debtor() -> Debtor:
    """The gemeente's own account that SEPA payments leave from."""
    config = current_app.config
    return Debtor(
        name=config["SEPA_DEBTOR_NAME"],
        iban=config["SEPA_DEBTOR_IBAN"],
        bic=config["SEPA_DEBTOR_BIC"],
    )


def sepa_schema() -> str:
    return str(current_app.config["SEPA_SCHEMA"])


def stripe_gateway() -> StripeConnect | None:
    """Stripe Connect, or None when no API key is configured."""
    key = current_app.config["STRIPE_API_KEY"]
    if not key:
        return None
    return StripeConnect(key, api_base=current_app.config["STRIPE_API_BASE"])


def pay_days() -> int:
    return int(current_app.config["SETTLEMENT_PAY_DAYS"])
