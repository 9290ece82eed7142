"""Refusals of settlement runs and of paying their partners (docs/settlement.md).

A Stripe payout ends in one of three ways besides success: Stripe was not reached or failed on
its side (``PayoutUnavailable``: the line stays open and is tried again later), Stripe refused
it (``PayoutRefused``: a person must act, e.g. top up the balance), or Stripe already holds a
transfer for the payment that does not match it (``PayoutMismatch``: never pay again; look).
"""

from __future__ import annotations

from almerepas.core.errors import DomainError
from almerepas.core.i18n import N_


class PeriodNotClosed(DomainError):
    code = "settlement_period_open"
    status = 409
    title = N_("Deze periode is nog niet voorbij: er kan nog worden betaald met de pas")


class NothingToSettle(DomainError):
    code = "settlement_nothing_new"
    status = 409
    title = N_("Er is niets nieuws om af te rekenen in deze periode")


class RunNotFound(DomainError):
    code = "settlement_run_not_found"
    status = 404
    title = N_("Deze afrekening bestaat niet")


class RunWrongState(DomainError):
    """The step does not fit where the run is (approve twice, export a draft, ...)."""

    code = "settlement_run_state"
    status = 409
    title = N_("Dat kan niet in deze stap van de afrekening")


class OwnRunApproval(DomainError):
    code = "settlement_own_approval"
    status = 403
    title = N_("U kunt een afrekening die u zelf hebt klaargezet niet zelf goedkeuren")


class LinesChanged(DomainError):
    code = "settlement_lines_changed"
    status = 409
    title = N_("De afrekening is veranderd sinds u hem bekeek. Bekijk hem opnieuw.")


class SettlementBusy(DomainError):
    code = "settlement_busy"
    status = 409
    title = N_("Er wordt tegelijk een andere afrekening klaargezet. Probeer het opnieuw.")


class StripeNotConfigured(DomainError):
    code = "stripe_not_configured"
    status = 503
    title = N_("Uitbetalen via Stripe is niet ingesteld (ALMEREPAS_STRIPE_API_KEY)")


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


class InvalidPayoutAccount(DomainError):
    """An IBAN or BIC of a payment (or of the gemeente's own account) that a bank would refuse.

    Extensions name the payment and the field (``iban``, ``bic``, ``debtor_iban``,
    ``debtor_bic``), never the account number itself.
    """

    code = "payout_account_invalid"
    status = 422
    title = N_("Het rekeningnummer voor deze uitbetaling klopt niet")


class InvalidSepaId(ValueError):
    """A message, batch or end-to-end id that a bank would refuse: a bug in how ids are made,
    never the user's input, so it is no DomainError."""
