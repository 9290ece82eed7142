"""What the partner API takes and gives: only the fields a partner may see, listed."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from almerepas.http.schemas import PLAIN, PageArgsSchema, PageSchema

#: Ten times the longest code (about 410 characters): longer is a 400 before verification, and
#: short enough that even escaped as \uXXXX the body stays under the 64 KiB request limit.
MAX_CODE_FIELD = 4_000
#: A basket or a budget redemption above € 100.000 is a typing error, not a sale.
MAX_CENTS = 10_000_000


def cents(description: str) -> fields.Integer:
    """A whole number of cents above zero: no float, no string (\"12.50\" is refused)."""
    return fields.Integer(
        strict=True,
        validate=validate.Range(min=1, max=MAX_CENTS),
        metadata={"description": description},
    )


class LocationRef(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class PartnerRef(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class MeSchema(ma.Schema):
    partner = fields.Nested(PartnerRef, required=True)
    location = fields.Nested(LocationRef, allow_none=True)
    role = fields.String(required=True, metadata={"description": "device, cashier of manager"})


class ScanInSchema(ma.Schema):
    code = fields.String(
        validate=validate.Length(min=1, max=MAX_CODE_FIELD),
        metadata={"description": "De tekst van de gescande QR-code"},
    )
    pass_number = fields.String(
        validate=[validate.Length(min=1, max=40), PLAIN],
        metadata={"description": "Het pasnummer, met de hand ingetypt (als scannen niet lukt)"},
    )
    location_id = fields.Integer(
        strict=True, metadata={"description": "Alleen voor een gebruiker: waar u nu bent"}
    )

    @ma.validates_schema
    def _one_of(self, data: dict[str, Any], **_: Any) -> None:
        if ("code" in data) == ("pass_number" in data):
            raise ma.ValidationError("Stuur de gescande code of het pasnummer (één van beide).")


class ScanEntitlementSchema(ma.Schema):
    scheme = fields.String(required=True, metadata={"example": "stadsfonds-kind"})
    name = fields.String(required=True)
    kind = fields.String(required=True, metadata={"description": "budget, quota, discount, right"})
    unit = fields.String(required=True, metadata={"example": "EUR"})
    left = fields.Integer(
        allow_none=True, metadata={"description": "Centen of stuks over; leeg bij een recht"}
    )
    discount_percent = fields.Integer(allow_none=True)


class ScanOfferSchema(ma.Schema):
    title = fields.String(required=True)
    conditions = fields.String(allow_none=True)


class ScanOutSchema(ma.Schema):
    valid = fields.Boolean(required=True)
    message = fields.String(required=True, metadata={"example": "Geldige stadspas"})
    scan_reference = fields.String(required=True)
    expires_at = fields.AwareDateTime(required=True)
    entitlements = fields.List(fields.Nested(ScanEntitlementSchema), required=True)
    offers = fields.List(fields.Nested(ScanOfferSchema), required=True)


class RedeemInSchema(ma.Schema):
    scan_reference = fields.String(required=True, validate=[validate.Length(1, 40), PLAIN])
    scheme = fields.String(required=True, validate=[validate.Length(1, 40), PLAIN])
    amount = cents("Budget: het bedrag in centen")
    units = fields.Integer(
        strict=True,
        validate=validate.Range(min=1, max=1000),
        metadata={"description": "Aantal: hoeveel stuks"},
    )
    basket_amount = cents("Korting: het bedrag van de boodschappen in centen")
    location_id = fields.Integer(strict=True)

    @ma.validates_schema
    def _at_most_one(self, data: dict[str, Any], **_: Any) -> None:
        given = [k for k in ("amount", "units", "basket_amount") if k in data]
        if len(given) > 1:
            raise ma.ValidationError("Stuur één van amount, units of basket_amount.")


class PartnerRedemptionSchema(ma.Schema):
    type = fields.String(required=True, metadata={"description": "redemption of ride"})
    id = fields.Integer(required=True)
    scheme = fields.String(required=True)
    kind = fields.String(required=True)
    amount = fields.Integer(required=True, metadata={"description": "Afgeschreven: centen/stuks"})
    reversed = fields.Integer(required=True)
    basket_amount = fields.Integer(allow_none=True)
    left = fields.Integer(allow_none=True)
    location = fields.Nested(LocationRef, required=True)
    created_at = fields.AwareDateTime(required=True)
    reversible_until = fields.AwareDateTime(allow_none=True)
    message = fields.String(required=True)


class RedemptionQuerySchema(PageArgsSchema):
    start = fields.Date(data_key="from", metadata={"description": "Vanaf deze dag"})
    end = fields.Date(data_key="to", metadata={"description": "Tot en met deze dag"})
    location_id = fields.Integer(data_key="locationId")
    scheme = fields.String(validate=[validate.Length(1, 40), PLAIN])


class RedemptionPageSchema(PageSchema):
    items = fields.List(fields.Nested(PartnerRedemptionSchema), required=True)


class ReversalInSchema(ma.Schema):
    amount = cents("Hoeveel terug (centen of stuks); leeg: alles wat over is")


class PartnerReversalSchema(ma.Schema):
    redemption_id = fields.Integer(required=True)
    amount = fields.Integer(required=True)
    left_to_reverse = fields.Integer(required=True)
    to = fields.String(required=True, metadata={"description": "grant of scheme"})
    message = fields.String(required=True)
