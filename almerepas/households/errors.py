"""Refusals about addresses, BSNs and who lives where."""

from __future__ import annotations

from almerepas.core.errors import DomainError
from almerepas.core.i18n import N_


class PostcodeOutsideGemeente(DomainError):
    code = "postcode_outside_almere"
    status = 400
    title = N_("Deze postcode ligt niet in %(gemeente)s")


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


class MovedInBeforeBirth(DomainError):
    """Someone cannot live anywhere before their birth; they would count as a child."""

    code = "moved_in_before_birth"
    status = 400
    title = N_("De datum van inwonen ligt voor de geboortedatum")


class SecondApplicant(DomainError):
    """A household has one applicant on any day: the norm is the applicant's (and partner's)."""

    code = "second_applicant"
    status = 409
    title = N_("Dit huishouden heeft op die datum al een aanvrager")


class SecondPartner(DomainError):
    """A household has at most one partner: the norm knows one or two adults, never three."""

    code = "second_partner"
    status = 409
    title = N_("Dit huishouden heeft op die datum al een partner")


class MoveOutBeforeMoveIn(DomainError):
    """A move-out or departure on a day before someone moved in."""

    code = "move_out_before_move_in"
    status = 409
    title = N_("De vertrekdatum ligt voor de dag waarop iemand hier kwam wonen")


class AlreadyMovedOut(DomainError):
    code = "already_moved_out"
    status = 409
    title = N_("Dit huishouden is al uit %(gemeente)s vertrokken")


class HouseholdMovedOut(DomainError):
    """Someone moving in, or an assessment starting, after the household left the gemeente."""

    code = "household_moved_out"
    status = 409
    title = N_("Dit huishouden woont op die datum niet meer in %(gemeente)s")


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
