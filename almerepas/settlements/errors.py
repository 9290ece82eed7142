"""Refusals of paying a settlement run's partners (docs/settlement.md).

A Stripe payout ends in one of three ways besides success: Stripe was not reached or failed on
its side (``PayoutUnavailable``: the line stays open and is tried again later), Stripe refused
it (``PayoutRefused``: a person must act, e.g. top up the balance), or Stripe already holds a
transfer for the payment that does not match it (``PayoutMismatch``: never pay again; look).
"""

from __future__ import annotations

from almerepas.core.errors import DomainError
from almerepas.core.i18n import N_


class PayoutUnavailable(DomainError):
    """Stripe was not reached, timed out or failed; whether it paid is found out on the retry."""

    code = "payout_unavailable"
    status = 503
    title = N_(
        "Stripe is nu niet bereikbaar. De betaling blijft openstaan en wordt later opnieuw "
        "geprobeerd."
    )
    retry_after = 60


class PayoutRefused(DomainError):
    """Stripe answered no; ``stripe_code`` and ``stripe_message`` say why, in Stripe's words."""

    code = "payout_refused"
    status = 409
    title = N_("Stripe heeft deze betaling geweigerd")


class PayoutMismatch(DomainError):
    """A transfer for this payment exists with another amount or account: paying again is wrong."""

    code = "payout_mismatch"
    status = 409
    title = N_(
        "Bij Stripe staat voor deze betaling al een overboeking die niet klopt (ander bedrag "
        "of andere rekening). Er wordt niet opnieuw betaald. Laat dit nakijken."
    )
