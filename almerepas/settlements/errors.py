"""Refusals of settlement runs and payouts."""

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
