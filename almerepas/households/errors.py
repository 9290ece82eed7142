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


class BsnInNameSearch(DomainError):
    """A name search with a BSN in it: the number would travel in a URL and land in logs."""

    code = "bsn_in_name_search"
    status = 400
    title = N_("Zoek niet op burgerservicenummer in het veld voor de naam")
    detail_text = N_(
        "Dit lijkt een burgerservicenummer. Zoek daarop apart: in de API met "
        "POST /api/v1/households/_search (het nummer in de body), op de zoekpagina met het veld "
        "'Burgerservicenummer'. Zo komt het nummer niet in een webadres of een logbestand."
    )

    def __init__(self) -> None:
        super().__init__(self.detail_text)
