"""Refusals about schemes and their periods."""

from __future__ import annotations

from almerepas.core.errors import DomainError
from almerepas.core.i18n import N_


class InvalidPeriod(DomainError):
    code = "invalid_period"
    status = 400
    title = N_("Deze periode klopt niet")


class PeriodTooFarAhead(DomainError):
    code = "period_too_far_ahead"
    status = 400
    title = N_("U kunt alleen tot en met de volgende periode toekennen")


class InvalidScheme(DomainError):
    code = "invalid_scheme"
    status = 400
    title = N_("Deze regeling klopt niet")
