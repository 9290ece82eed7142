"""Refusals of grant runs and expiries."""

from __future__ import annotations

from almerepas.core.errors import DomainError
from almerepas.core.i18n import N_


class PeriodNotEnded(DomainError):
    code = "period_not_ended"
    status = 409
    title = N_("Deze periode is nog niet voorbij")
