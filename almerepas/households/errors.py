"""Refusals about addresses, BSNs and who lives where."""

from __future__ import annotations

from almerepas.core.errors import DomainError
from almerepas.core.i18n import N_


class PostcodeOutsideAlmere(DomainError):
    code = "postcode_outside_almere"
    status = 400
    title = N_("Deze postcode ligt niet in Almere")


class InvalidBsn(DomainError):
    code = "invalid_bsn"
    status = 400
    title = N_("Dit is geen geldig burgerservicenummer")


class BsnInUse(DomainError):
    code = "bsn_in_use"
    status = 409
    title = N_("Dit burgerservicenummer hoort al bij iemand anders")


class MembershipConflict(DomainError):
    code = "membership_conflict"
    status = 409
    title = N_("Deze persoon woont op die datum al in een huishouden")
