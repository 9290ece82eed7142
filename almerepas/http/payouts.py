"""The payout settings of this app (docs/settlement.md), for the faces that pay partners."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy.orm import Session

from almerepas.audit.log import Actor
from almerepas.core import clock
from almerepas.core.session import run_unit_of_work
from almerepas.settlements import paying
from almerepas.settlements.errors import (
    PayoutMismatch,
    PayoutRefused,
    PayoutUnavailable,
    StripeNotConfigured,
)
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


@dataclass(frozen=True)
class StripeOutcome:
    #: (partner id, transfer id) of each payment made or found
    paid: list[tuple[int, str]]
    #: (partner id, error code) of each payment that failed: tried again next time
    failed: list[tuple[int, str]]


def pay_by_stripe(session: Session, run_id: int, actor: Actor) -> StripeOutcome:
    """Make the run's Stripe transfers, each booked in its own transaction before the next is
    asked for (docs/settlement.md, Failure recovery); a failure leaves that payment pending.

    :raises RunWrongState: the run is not approved.
    :raises StripeNotConfigured: a payment is due but no Stripe key is set.
    """
    group, due = run_unit_of_work(session, lambda: paying.stripe_due(session, run_id))
    gateway = stripe_gateway()
    if due and gateway is None:
        raise StripeNotConfigured()
    outcome = StripeOutcome([], [])
    for item in due:
        _pay_one(session, gateway, group, item, actor, outcome)  # type: ignore[arg-type]
    return outcome


def _pay_one(
    session: Session,
    gateway: StripeConnect,
    group: str,
    item: paying.StripeDue,
    actor: Actor,
    outcome: StripeOutcome,
) -> None:
    line = item.line
    partner_id = line.partner_id
    assert partner_id is not None  # noqa: S101 - only partners are paid by Stripe
    try:
        transfer = gateway.pay(line, transfer_group=group, attempt=item.attempt)
    except (PayoutUnavailable, PayoutRefused, PayoutMismatch) as exc:
        code, refused = exc.code, isinstance(exc, PayoutRefused)
        run_unit_of_work(
            session,
            lambda: paying.record_failure(session, line.payment_id, code, refused=refused),
        )
        outcome.failed.append((partner_id, code))
        return
    run_unit_of_work(
        session,
        lambda: paying.record_transfer(
            session, line.payment_id, transfer.id, actor=actor, now=clock.now()
        ),
    )
    outcome.paid.append((partner_id, transfer.id))
