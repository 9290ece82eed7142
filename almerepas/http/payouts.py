"""The payout settings of this app (docs/settlement.md), for the faces that pay partners."""

from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session

from almerepas.audit.log import Actor
from almerepas.core import clock
from almerepas.core.session import run_unit_of_work
from almerepas.settlements import paying
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


def book(session: Session, payment_id: int, transfer_id: str, actor: Actor) -> None:
    """Book one Stripe transfer in its own transaction, before the next one is asked for."""

    def work() -> bool:
        return paying.record_transfer(
            session, payment_id, transfer_id, actor=actor, now=clock.now()
        )

    run_unit_of_work(session, work)
