"""Refusals about partners, their locations, contracts, users, devices and offers.

Refusals of one field carry ``errors: [{field, in, detail}]`` like a schema's validation error,
so a form or an API client can point at the field.
"""

from __future__ import annotations

from typing import Any

from almerepas.core.errors import DomainError
from almerepas.core.i18n import N_


def field_error(field: str, detail: str) -> dict[str, Any]:
    """The ``errors`` extension naming one field of the JSON body."""
    return {"errors": [{"field": field, "in": "json", "detail": detail}]}


class InvalidPartner(DomainError):
    code = "invalid_partner"
    status = 400
    title = N_("De gegevens van deze partner kloppen niet")


class InvalidKvkNumber(DomainError):
    code = "invalid_kvk_number"
    status = 400
    title = N_("Een KvK-nummer heeft 8 cijfers")


class InvalidIban(DomainError):
    code = "invalid_iban"
    status = 400
    title = N_("Dit IBAN klopt niet")


class InvalidBic(DomainError):
    code = "invalid_bic"
    status = 400
    title = N_("Deze BIC klopt niet")


class KvkNumberTaken(DomainError):
    code = "kvk_number_taken"
    status = 409
    title = N_("Er is al een partner met dit KvK-nummer")


class PartnerInactive(DomainError):
    code = "partner_inactive"
    status = 409
    title = N_("Deze partner doet niet meer mee")


class InvalidLocation(DomainError):
    code = "invalid_location"
    status = 400
    title = N_("De gegevens van deze locatie kloppen niet")


class InvalidContract(DomainError):
    code = "invalid_contract"
    status = 400
    title = N_("Dit contract klopt niet")


class LocationOfAnotherPartner(DomainError):
    code = "location_of_another_partner"
    status = 400
    title = N_("Deze locatie hoort bij een andere partner")


class SchemeNotContractable(DomainError):
    """An offer-kind scheme needs no contract; an inactive scheme cannot get one."""

    code = "scheme_not_contractable"
    status = 400
    title = N_("Voor deze regeling kunt u geen contract maken")


class ContractOverlaps(DomainError):
    code = "contract_overlaps"
    status = 409
    title = N_(
        "Deze partner heeft in deze periode al een contract voor deze regeling op deze locatie"
    )


class InvalidPartnerUser(DomainError):
    code = "invalid_partner_user"
    status = 400
    title = N_("De gegevens van deze gebruiker kloppen niet")


class InvalidDevice(DomainError):
    code = "invalid_device"
    status = 400
    title = N_("De gegevens van dit apparaat kloppen niet")


class DeviceUnknown(DomainError):
    """No device has this key: a typo, or a key that was never issued."""

    code = "device_unknown"
    status = 401
    title = N_("Dit apparaat is niet bekend. Vraag de gemeente om een nieuwe sleutel.")


class DeviceRevoked(DomainError):
    """The device's key was withdrawn, or its partner or location no longer takes part."""

    code = "device_revoked"
    status = 401
    title = N_("Dit apparaat mag niet meer scannen. Vraag de gemeente om een nieuwe sleutel.")


class InvalidOffer(DomainError):
    code = "invalid_offer"
    status = 400
    title = N_("Deze aanbieding klopt niet")
