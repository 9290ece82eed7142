"""Paying partners through Stripe Connect: one transfer per payout line, never two.

Each line becomes one ``POST /v1/transfers`` from the platform balance to the partner's
connected account, in the run's transfer group, with an Idempotency-Key derived from the
payment. Stripe forgets keys after 24 hours or more, so before creating, the gateway lists the
group's transfers and returns the one whose ``metadata[payment_id]`` is this payment: a payout
resumed days later finds what an earlier, lost attempt paid instead of paying it again.

Callers serialise work on one payment (one worker per run); the gateway holds no state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import stripe

from almerepas.core.i18n import N_
from almerepas.settlements.errors import PayoutMismatch, PayoutRefused, PayoutUnavailable
from almerepas.settlements.payouts import PayoutLine

DEFAULT_API_BASE = "https://api.stripe.com"
CURRENCY = "eur"
#: Stripe's largest page; a run's group rarely needs a second one
PAGE_SIZE = 100

#: Dutch details for the refusals a volunteer can act on; others get the general title
_REFUSAL_DETAILS = {
    "balance_insufficient": N_(
        "Het saldo van de gemeente bij Stripe is te laag voor deze betaling. Vul het saldo "
        "aan en probeer het opnieuw."
    ),
    "resource_missing": N_("Stripe kent de Stripe-rekening van deze partner niet"),
    "account_invalid": N_("Stripe kent de Stripe-rekening van deze partner niet"),
    "insufficient_capabilities_for_transfer": N_(
        "De Stripe-rekening van deze partner kan nog geen geld ontvangen"
    ),
    "idempotency_error": N_(
        "Deze betaling is eerder met andere gegevens naar Stripe gestuurd. Laat dit nakijken."
    ),
}


@dataclass(frozen=True)
class Transfer:
    """A Stripe transfer that pays one payout line."""

    id: str
    #: cents
    amount: int
    destination: str
    #: False when an earlier attempt had made it (found by the lookup or replayed by its key)
    created_new: bool


@dataclass(frozen=True)
class ConnectedAccount:
    """What the settlement needs to know of a partner's Stripe account."""

    id: str
    #: the account may receive transfers (capability ``transfers`` is active)
    transfers_active: bool
    #: Stripe moves the money on to the partner's bank
    payouts_enabled: bool


def idempotency_key(payment_id: int, attempt: int = 1) -> str:
    """The key Stripe deduplicates a create by; a new attempt gets a new key (see ``pay``)."""
    base = f"almerepas-payment-{payment_id}"
    return base if attempt == 1 else f"{base}-{attempt}"


class StripeConnect:
    """The Stripe half of the payout: talks to the Stripe API through the official client."""

    def __init__(
        self,
        api_key: str,
        api_base: str | None = None,
        timeout: float = 10,
        max_network_retries: int = 0,
    ) -> None:
        base = (api_base or DEFAULT_API_BASE).rstrip("/")
        self._client = stripe.StripeClient(
            api_key,
            base_addresses={"api": base},
            max_network_retries=max_network_retries,
            http_client=stripe.RequestsClient(timeout=timeout),
        )

    def pay(self, line: PayoutLine, *, transfer_group: str, attempt: int = 1) -> Transfer:
        """Pay one line, or return the transfer that already pays it.

        ``attempt`` stays 1 while the outcome is unknown (PayoutUnavailable): the same key lets
        Stripe deduplicate. After a PayoutRefused was fixed (e.g. the balance topped up) the
        caller passes the next attempt number, because Stripe replays a refusal to the same key
        for 24 hours; the lookup keeps that safe.
        """
        if line.stripe_account is None:
            raise ValueError(f"payment {line.payment_id} has no Stripe account")
        if line.amount <= 0:
            raise ValueError(f"payment {line.payment_id} has no positive amount")
        found = self.find(line, transfer_group=transfer_group)
        if found is not None:
            return found
        params: Any = {
            "amount": line.amount,
            "currency": CURRENCY,
            "destination": line.stripe_account,
            "transfer_group": transfer_group,
            "description": line.remittance,
            "metadata": {
                "payment_id": str(line.payment_id),
                "end_to_end_id": line.end_to_end_id,
            },
        }
        options: Any = {"idempotency_key": idempotency_key(line.payment_id, attempt)}
        try:
            created = self._client.v1.transfers.create(params, options)
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        replayed = created.last_response is not None and _replayed(created.last_response)
        return _checked(created, line, created_new=not replayed)

    def find(self, line: PayoutLine, *, transfer_group: str) -> Transfer | None:
        """The group's transfer for this payment, if any; a wrong one is a PayoutMismatch."""
        params: Any = {"transfer_group": transfer_group, "limit": PAGE_SIZE}
        try:
            page = self._client.v1.transfers.list(params)
            matches = [
                transfer
                for transfer in page.auto_paging_iter()
                if (transfer.metadata or {}).get("payment_id") == str(line.payment_id)
            ]
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        if not matches:
            return None
        if len(matches) > 1:
            raise PayoutMismatch(transfer_ids=[t.id for t in matches], payment_id=line.payment_id)
        return _checked(matches[0], line, created_new=False)

    def account(self, account_id: str) -> ConnectedAccount:
        """A partner's connected account, to check it before it is used in a run."""
        try:
            found = self._client.v1.accounts.retrieve(account_id)
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        capabilities = found.get("capabilities") or {}
        return ConnectedAccount(
            id=found.id,
            transfers_active=capabilities.get("transfers") == "active",
            payouts_enabled=bool(found.get("payouts_enabled")),
        )


def _replayed(response: Any) -> bool:
    headers = {k.lower(): v for k, v in (response.headers or {}).items()}
    return bool(headers.get("idempotent-replayed") == "true")


def _checked(transfer: stripe.Transfer, line: PayoutLine, *, created_new: bool) -> Transfer:
    """The transfer as ours, if it pays exactly this line; otherwise never pay again."""
    destination = transfer.destination
    if destination is None or isinstance(destination, str):
        destination_id = destination or ""
    else:
        destination_id = destination.id
    if (
        transfer.amount != line.amount
        or transfer.currency != CURRENCY
        or destination_id != line.stripe_account
        or (transfer.amount_reversed or 0) != 0
    ):
        raise PayoutMismatch(transfer_id=transfer.id, payment_id=line.payment_id)
    return Transfer(
        id=transfer.id,
        amount=transfer.amount,
        destination=destination_id,
        created_new=created_new,
    )


def _translate(exc: stripe.StripeError) -> PayoutUnavailable | PayoutRefused:
    """Unknown outcomes (network, timeout, 409, 429, 5xx) are retryable; other answers are no."""
    status = exc.http_status
    if (
        isinstance(exc, stripe.APIConnectionError)
        or status is None
        or status in (409, 429)
        or status >= 500
    ):
        return PayoutUnavailable(stripe_status=status)
    code = exc.code or (exc.error.type if exc.error is not None else None) or "unknown"
    return PayoutRefused(
        _REFUSAL_DETAILS.get(code, PayoutRefused.title),
        stripe_code=code,
        stripe_message=exc.user_message,
        stripe_status=status,
    )
