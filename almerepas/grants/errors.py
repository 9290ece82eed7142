"""Refusals of grant runs and expiries."""

from __future__ import annotations

from almerepas.core.errors import DomainError
from almerepas.core.i18n import N_


class PeriodNotEnded(DomainError):
    code = "period_not_ended"
    status = 409
    title = N_("Deze periode is nog niet voorbij")


class SchemeHasGrants(DomainError):
    """Who a scheme pays, its kind, unit and period are fixed once it has granted."""

    code = "scheme_has_grants"
    status = 409
    title = N_(
        "Deze regeling heeft al toekenningen. Voor wie ze is, de soort, de eenheid en de "
        "periode liggen daarom vast. Maak een nieuwe regeling die op een datum begint, en laat "
        "deze regeling de dag ervoor eindigen."
    )
