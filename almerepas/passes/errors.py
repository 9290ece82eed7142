"""Refusals about passes: issuing, blocking, replacing and reissuing them.

The refusals of a scanned code (a credential) are in ``credential_errors.py``.
"""

from __future__ import annotations

from almerepas.core.errors import DomainError
from almerepas.core.i18n import N_


class InvalidPassNumber(DomainError):
    """A typed pass number with the wrong check digit or the wrong number of digits."""

    code = "invalid_pass_number"
    status = 400
    title = N_("Dit pasnummer klopt niet. Controleer de 13 cijfers.")


class PassExists(DomainError):
    """One active pass per person: block, replace or reissue that one instead."""

    code = "pass_exists"
    status = 409
    title = N_("Deze persoon heeft al een pas die werkt")


class NotLivingInGemeente(DomainError):
    """A pass is for residents of the gemeente: this person lives in no household here today."""

    code = "not_living_in_almere"
    status = 409
    title = N_("Deze persoon woont nu niet in %(gemeente)s")


class PassNotActive(DomainError):
    """Blocking or replacing a pass that is blocked, replaced or expired already."""

    code = "pass_not_active"
    status = 409
    title = N_("Deze pas werkt al niet meer")


class PassNotReissuable(DomainError):
    """Reissuing a pass that still works (replace it) or that was replaced already."""

    code = "pass_not_reissuable"
    status = 409
    title = N_("Een nieuwe pas kan alleen voor een verlopen of geblokkeerde pas")
