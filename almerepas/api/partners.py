"""Partners for staff: organisations, locations, contracts, users, devices and offers.

Administrators keep partners and their keys (``partners.write``); finance, policy and the
auditor read them (``partners.read``). Every change is a domain operation in
almerepas.contracts, which checks it and writes its audit row. A device's key and a manager's
TOTP secret are in the answer to the request that made them, and never again.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate
from sqlalchemy import select

from almerepas.contracts import agreements, devices, offers, partners, users
from almerepas.contracts.models import (
    Contract,
    Device,
    Location,
    LocationKind,
    Offer,
    Partner,
    PartnerRole,
    PartnerUser,
    PayoutMethod,
    TariffKind,
)
from almerepas.core.session import get_keys, get_session, transactional
from almerepas.http.guard import current_actor, require_role
from almerepas.http.rest import Blueprint
from almerepas.http.schemas import text
from almerepas.schemes import catalogue as schemes
from almerepas.settlements import windows
from almerepas.staff.accounts import provisioning_uri

blp = Blueprint("partner_admin", __name__, description="Partners, contracten, apparaten en aanbod")

#: ids in a body: positive, and small enough for every database's integer
Id = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=2**31 - 1))


class PartnerSchema(ma.Schema):
    """A partner as staff see it and send it. KvK number, IBAN and BIC are checked by the
    domain (codes invalid_kvk_number, invalid_iban, invalid_bic, naming the field)."""

    id = fields.Integer(dump_only=True)
    name = text(200)
    kvk_number = text(20, metadata={"description": "8 cijfers", "example": "12345678"})
    iban = text(50, metadata={"example": "NL91ABNA0417164300"})
    bic = text(20, required=False, allow_none=True, metadata={"example": "ABNANL2A"})
    payout_method = fields.Enum(PayoutMethod, by_value=True, required=True)
    stripe_account = text(
        64,
        required=False,
        allow_none=True,
        metadata={"description": "Stripe Connect-account, voor uitbetaling via Stripe",
                  "example": "acct_1Nv0FGQ9RKHgCVdK"},
    )  # fmt: skip
    active = fields.Boolean(load_default=True)


class PartnerChangeSchema(PartnerSchema):
    """The fields to change; the others stay."""


class PartnerListSchema(ma.Schema):
    items = fields.List(fields.Nested(PartnerSchema), required=True)


class LocationSchema(ma.Schema):
    id = fields.Integer(dump_only=True)
    partner_id = fields.Integer(dump_only=True)
    name = text(200)
    street = text(200)
    house_number = text(20)
    postcode = text(10, metadata={"example": "1315 AB"})
    kind = fields.Enum(LocationKind, by_value=True, required=True)
    active = fields.Boolean(load_default=True)


class LocationChangeSchema(LocationSchema):
    """The fields to change; the others stay."""


class LocationListSchema(ma.Schema):
    items = fields.List(fields.Nested(LocationSchema), required=True)


class ContractSchema(ma.Schema):
    id = fields.Integer(dump_only=True)
    scheme = fields.String(required=True, validate=validate.Length(min=1, max=40))
    location_ids = fields.List(Id, required=True, validate=validate.Length(min=1, max=100))
    valid_from = fields.Date(required=True)
    valid_to = fields.Date(allow_none=True, load_default=None)
    tariff_kind = fields.Enum(TariffKind, by_value=True, required=True)
    tariff = fields.Integer(
        strict=True,
        allow_none=True,
        load_default=None,
        validate=validate.Range(min=0, max=10**9),
        metadata={
            "description": "Centen per eenheid, rit of houder per maand; basispunten (1-10000) "
            "voor discount_reimbursed; leeg voor amount_redeemed"
        },
    )


class ContractListSchema(ma.Schema):
    items = fields.List(fields.Nested(ContractSchema), required=True)


class EndSchema(ma.Schema):
    valid_to = fields.Date(required=True, metadata={"description": "De laatste dag"})


class PartnerUserInSchema(ma.Schema):
    username = text(80)
    display_name = text(200)
    role = fields.Enum(PartnerRole, by_value=True, required=True)
    password = fields.String(required=True, validate=validate.Length(max=1024), load_only=True)
    second_factor = fields.Boolean(
        load_default=False,
        metadata={"description": "Ook een tweede factor voor een kassamedewerker"},
    )


class PartnerUserSchema(ma.Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    role = fields.Enum(PartnerRole, by_value=True)
    second_factor = fields.Boolean()
    active = fields.Boolean()


class NewPartnerUserSchema(PartnerUserSchema):
    totp_secret = fields.String(
        allow_none=True, metadata={"description": "Eenmalig getoond; leeg zonder tweede factor"}
    )
    provisioning_uri = fields.String(allow_none=True)


class PartnerUserListSchema(ma.Schema):
    items = fields.List(fields.Nested(PartnerUserSchema), required=True)


class DeviceInSchema(ma.Schema):
    name = text(200)
    location_id = Id


class DeviceSchema(ma.Schema):
    """A device; never its key."""

    id = fields.Integer()
    name = fields.String()
    location_id = fields.Integer()
    created_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)


class NewDeviceSchema(DeviceSchema):
    key = fields.String(
        metadata={"description": "De sleutel van het apparaat: alleen nu getoond, nooit meer"}
    )


class DeviceListSchema(ma.Schema):
    items = fields.List(fields.Nested(DeviceSchema), required=True)


class OfferSchema(ma.Schema):
    id = fields.Integer(dump_only=True)
    title_nl = text(200)
    title_en = text(200)
    description_nl = text(2000, multiline=True)
    description_en = text(2000, multiline=True)
    conditions_nl = text(2000, multiline=True, required=False, allow_none=True)
    conditions_en = text(2000, multiline=True, required=False, allow_none=True)
    valid_from = fields.Date(required=True)
    valid_to = fields.Date(allow_none=True, load_default=None)


class OfferListSchema(ma.Schema):
    items = fields.List(fields.Nested(OfferSchema), required=True)


def _user(user: PartnerUser) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "second_factor": user.totp_secret_encrypted is not None,
        "active": user.active,
    }


# -- partners ------------------------------------------------------------------------------------


@blp.route("/partners", operation_id="listPartners")
@require_role("partners.read")
@blp.response(200, PartnerListSchema)
@transactional
def list_partners() -> dict[str, Any]:
    """Alle partners, op naam."""
    return {"items": list(get_session().scalars(select(Partner).order_by(Partner.name)))}


@blp.route("/partners", methods=["POST"], operation_id="createPartner")
@require_role("partners.write")
@blp.arguments(PartnerSchema)
@blp.response(201, PartnerSchema)
@transactional
def create_partner(body: dict[str, Any]) -> Partner:
    """Maak een partner: naam, KvK-nummer, IBAN (gecontroleerd), BIC en uitbetaalwijze."""
    return partners.create_partner(get_session(), body, actor=current_actor())


@blp.route("/partners/<int:partner_id>", operation_id="getPartner")
@require_role("partners.read")
@blp.response(200, PartnerSchema)
@transactional
def get_partner(partner_id: int) -> Partner:
    """Eén partner."""
    return partners.get_partner(get_session(), partner_id)


@blp.route("/partners/<int:partner_id>", methods=["PATCH"], operation_id="changePartner")
@require_role("partners.write")
@blp.arguments(PartnerChangeSchema(partial=True))
@blp.response(200, PartnerSchema)
@transactional
def change_partner(body: dict[str, Any], partner_id: int) -> Partner:
    """Wijzig een partner. Met ``active: false`` doet hij niet meer mee: zijn apparaten werken
    dan niet meer."""
    session = get_session()
    partner = partners.get_partner(session, partner_id)
    return partners.update_partner(session, partner, body, actor=current_actor())


# -- locations -----------------------------------------------------------------------------------


@blp.route("/partners/<int:partner_id>/locations", operation_id="listLocations")
@require_role("partners.read")
@blp.response(200, LocationListSchema)
@transactional
def list_locations(partner_id: int) -> dict[str, Any]:
    """De locaties van een partner."""
    session = get_session()
    partner = partners.get_partner(session, partner_id)
    query = select(Location).where(Location.partner_id == partner.id).order_by(Location.id)
    return {"items": list(session.scalars(query))}


@blp.route("/partners/<int:partner_id>/locations", methods=["POST"], operation_id="addLocation")
@require_role("partners.write")
@blp.arguments(LocationSchema)
@blp.response(201, LocationSchema)
@transactional
def add_location(body: dict[str, Any], partner_id: int) -> Location:
    """Voeg een locatie toe: naam, adres en soort."""
    session = get_session()
    partner = partners.get_partner(session, partner_id)
    return partners.add_location(session, partner, body, actor=current_actor())


@blp.route(
    "/partners/<int:partner_id>/locations/<int:location_id>",
    methods=["PATCH"],
    operation_id="changeLocation",
)
@require_role("partners.write")
@blp.arguments(LocationChangeSchema(partial=True))
@blp.response(200, LocationSchema)
@transactional
def change_location(body: dict[str, Any], partner_id: int, location_id: int) -> Location:
    """Wijzig een locatie; met ``active: false`` doet ze niet meer mee."""
    session = get_session()
    location = partners.get_location(
        session, partners.get_partner(session, partner_id), location_id
    )
    return partners.update_location(session, location, body, actor=current_actor())


# -- contracts -----------------------------------------------------------------------------------


@blp.route("/partners/<int:partner_id>/contracts", operation_id="listContracts")
@require_role("partners.read")
@blp.response(200, ContractListSchema)
@transactional
def list_contracts(partner_id: int) -> dict[str, Any]:
    """De contracten van een partner, oud en nieuw."""
    session = get_session()
    partner = partners.get_partner(session, partner_id)
    return {"items": [agreements.describe(c) for c in agreements.contracts_of(session, partner)]}


@blp.route("/partners/<int:partner_id>/contracts", methods=["POST"], operation_id="createContract")
@require_role("partners.write")
@blp.arguments(ContractSchema)
@blp.response(201, ContractSchema)
@transactional
def create_contract(body: dict[str, Any], partner_id: int) -> Any:
    """Maak een contract: welke regeling, op welke locaties, van wanneer tot wanneer, tegen
    welk tarief. Een contract dat een ander van deze partner voor deze regeling op een van deze
    locaties overlapt, kan niet (contract_overlaps)."""
    session = get_session()
    partner = partners.get_partner(session, partner_id)
    contract = agreements.create_contract(
        session,
        partner,
        scheme=schemes.get_scheme(session, body["scheme"]),
        location_ids=body["location_ids"],
        valid_from=body["valid_from"],
        valid_to=body["valid_to"],
        tariff_kind=body["tariff_kind"],
        tariff=body["tariff"],
        actor=current_actor(),
    )
    return agreements.describe(contract)


@blp.route(
    "/partners/<int:partner_id>/contracts/<int:contract_id>",
    methods=["PATCH"],
    operation_id="endContract",
)
@require_role("partners.write")
@blp.arguments(EndSchema)
@blp.response(200, ContractSchema)
@transactional
def end_contract(body: dict[str, Any], partner_id: int, contract_id: int) -> Any:
    """Beëindig een contract op een dag (de laatste dag dat het geldt). Verlengen kan niet."""
    session = get_session()
    contract: Contract = agreements.get_contract(
        session, partners.get_partner(session, partner_id), contract_id
    )
    windows.end_contract(session, contract, body["valid_to"], actor=current_actor())
    return agreements.describe(contract)


# -- partner users -------------------------------------------------------------------------------


@blp.route("/partners/<int:partner_id>/users", operation_id="listPartnerUsers")
@require_role("partners.read")
@blp.response(200, PartnerUserListSchema)
@transactional
def list_partner_users(partner_id: int) -> dict[str, Any]:
    """De gebruikers van een partner; nooit een wachtwoord of geheim."""
    session = get_session()
    partner = partners.get_partner(session, partner_id)
    query = select(PartnerUser).where(PartnerUser.partner_id == partner.id)
    return {"items": [_user(u) for u in session.scalars(query.order_by(PartnerUser.id))]}


@blp.route("/partners/<int:partner_id>/users", methods=["POST"], operation_id="createPartnerUser")
@require_role("partners.write")
@blp.arguments(PartnerUserInSchema)
@blp.response(201, NewPartnerUserSchema)
@transactional
def create_partner_user(body: dict[str, Any], partner_id: int) -> dict[str, Any]:
    """Maak een gebruiker voor een partner. Een manager krijgt altijd een tweede factor: het
    geheim staat alleen in dit antwoord."""
    session = get_session()
    partner = partners.get_partner(session, partner_id)
    user, secret = users.create_partner_user(
        session, partner, body, keys=get_keys(), actor=current_actor()
    )
    return {
        **_user(user),
        "totp_secret": secret,
        "provisioning_uri": None if secret is None else provisioning_uri(secret, user.username),
    }


# -- devices -------------------------------------------------------------------------------------


@blp.route("/partners/<int:partner_id>/devices", operation_id="listDevices")
@require_role("partners.read")
@blp.response(200, DeviceListSchema)
@transactional
def list_devices(partner_id: int) -> dict[str, Any]:
    """De apparaten van een partner, ingetrokken ook; nooit hun sleutel."""
    session = get_session()
    partner = partners.get_partner(session, partner_id)
    query = select(Device).where(Device.partner_id == partner.id).order_by(Device.id)
    return {"items": list(session.scalars(query))}


@blp.route("/partners/<int:partner_id>/devices", methods=["POST"], operation_id="createDevice")
@require_role("partners.write")
@blp.arguments(DeviceInSchema)
@blp.response(201, NewDeviceSchema)
@transactional
def create_device(body: dict[str, Any], partner_id: int) -> dict[str, Any]:
    """Maak een apparaat op een locatie. De sleutel staat alleen in dit antwoord."""
    session = get_session()
    partner = partners.get_partner(session, partner_id)
    device, key = devices.create_device(
        session, partner, body, keys=get_keys(), actor=current_actor()
    )
    fields_shown = ("id", "name", "location_id", "created_at", "revoked_at")
    return {**{name: getattr(device, name) for name in fields_shown}, "key": key}


@blp.route(
    "/partners/<int:partner_id>/devices/<int:device_id>/revocation",
    methods=["POST"],
    operation_id="revokeDevice",
)
@require_role("partners.write")
@blp.response(200, DeviceSchema)
@transactional
def revoke_device(partner_id: int, device_id: int) -> Device:
    """Trek de sleutel van een apparaat in: het werkt meteen niet meer."""
    session = get_session()
    device = devices.get_device(session, partners.get_partner(session, partner_id), device_id)
    return devices.revoke_device(session, device, actor=current_actor())


# -- offers --------------------------------------------------------------------------------------


@blp.route("/partners/<int:partner_id>/offers", operation_id="listOffers")
@require_role("partners.read")
@blp.response(200, OfferListSchema)
@transactional
def list_offers(partner_id: int) -> dict[str, Any]:
    """De aanbiedingen van een partner, oud en nieuw."""
    session = get_session()
    partner = partners.get_partner(session, partner_id)
    query = select(Offer).where(Offer.partner_id == partner.id).order_by(Offer.valid_from, Offer.id)
    return {"items": list(session.scalars(query))}


@blp.route("/partners/<int:partner_id>/offers", methods=["POST"], operation_id="createOffer")
@require_role("partners.write")
@blp.arguments(OfferSchema)
@blp.response(201, OfferSchema)
@transactional
def create_offer(body: dict[str, Any], partner_id: int) -> Offer:
    """Maak een aanbieding voor iedereen (basispas): geen contract, nooit verrekend."""
    session = get_session()
    partner = partners.get_partner(session, partner_id)
    return offers.create_offer(session, partner, body, actor=current_actor())


@blp.route(
    "/partners/<int:partner_id>/offers/<int:offer_id>", methods=["PATCH"], operation_id="endOffer"
)
@require_role("partners.write")
@blp.arguments(EndSchema)
@blp.response(200, OfferSchema)
@transactional
def end_offer(body: dict[str, Any], partner_id: int, offer_id: int) -> Offer:
    """Beëindig een aanbieding op een dag (de laatste dag)."""
    session = get_session()
    offer = offers.get_offer(session, partners.get_partner(session, partner_id), offer_id)
    return offers.end_offer(session, offer, body["valid_to"], actor=current_actor())
