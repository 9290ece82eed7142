"""Schemes, norms and postcodes: the rules as data, kept by staff through the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate
from sqlalchemy import select

from almerepas.core import clock
from almerepas.core.session import get_session, transactional
from almerepas.grants import scheme_changes
from almerepas.households import members as households
from almerepas.households.models import PostcodeDistrict
from almerepas.http.guard import current_actor, require_role
from almerepas.http.rest import Blueprint
from almerepas.http.schemas import DistrictCode, matching, text
from almerepas.income.models import Norm
from almerepas.schemes import catalogue as schemes
from almerepas.schemes.models import (
    AgeRule,
    Beneficiary,
    MidPeriodEntry,
    Period,
    Scheme,
    SchemeKind,
)

blp = Blueprint("schemes", __name__, description="Regelingen, normen en postcodes")

Whole = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0))


class SchemeSchema(ma.Schema):
    """What staff see of and send for a scheme; amounts in cents or units, percentages whole."""

    code = matching(r"^[a-z][a-z0-9-]{1,39}$", required=True)
    name_nl = text(200)
    name_en = text(200)
    description_nl = text(2000, multiline=True)
    description_en = text(2000, multiline=True)
    kind = fields.Enum(SchemeKind, by_value=True, required=True)
    beneficiary = fields.Enum(Beneficiary, by_value=True, required=True)
    max_income_percent = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=0, max=1000)
    )
    min_age = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0, max=130))
    max_age = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0, max=130))
    age_rule = fields.Enum(
        AgeRule,
        by_value=True,
        load_default=AgeRule.reference_day,
        metadata={
            "description": "reference_day: de leeftijd op de peildatum; any_day: de leeftijd "
            "past op een dag van de periode"
        },
    )
    amount = fields.Integer(
        strict=True,
        required=True,
        validate=validate.Range(min=0, max=10**9),
        metadata={"description": "Per toekenning: centen (budget, kortingsplafond) of eenheden"},
    )
    unit = matching(r"^[A-Z]{2,12}$", required=True)
    discount_percent = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=1, max=100)
    )
    period = fields.Enum(Period, by_value=True, required=True)
    pooled = fields.Boolean(load_default=False)
    annual_budget = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=0, max=10**12)
    )
    mid_period_entry = fields.Enum(MidPeriodEntry, by_value=True, load_default=MidPeriodEntry.full)
    valid_from = fields.Date(required=True)
    valid_to = fields.Date(allow_none=True)
    active = fields.Boolean(
        load_default=True,
        metadata={
            "description": "Aan: de regeling loopt. Uit: niemand krijgt haar, wat de data ook zijn"
        },
    )


class SchemeChangeSchema(SchemeSchema):
    class Meta:
        exclude = ("code",)


class SchemeListSchema(ma.Schema):
    items = fields.List(fields.Nested(SchemeSchema), required=True)


class NormQuerySchema(ma.Schema):
    date = fields.Date(metadata={"description": "Peildatum (standaard: vandaag)"})


class NormSchema(ma.Schema):
    household_type = fields.String()
    age_band = fields.String()
    children = fields.String()
    valid_from = fields.Date()
    valid_to = fields.Date()
    amount = fields.Integer(metadata={"description": "Netto per maand in centen, met vakantiegeld"})
    provisional = fields.Boolean(metadata={"description": "Afgeleid, nog niet gepubliceerd"})


class NormListSchema(ma.Schema):
    date = fields.Date()
    items = fields.List(fields.Nested(NormSchema))


class PostcodeSchema(ma.Schema):
    pc4 = fields.String()
    district = fields.String(allow_none=True)
    confidence = fields.String()
    corrected_by = fields.String(allow_none=True)


class PostcodeListSchema(ma.Schema):
    items = fields.List(fields.Nested(PostcodeSchema))


class PostcodeChangeSchema(ma.Schema):
    district = fields.String(
        required=True,
        validate=DistrictCode(),
        metadata={"description": "De code van een wijk van de gemeente, of `unknown`"},
    )


def _dump(scheme: Scheme) -> dict[str, Any]:
    return {key: getattr(scheme, key) for key in schemes.FIELDS}


@blp.route("/schemes", operation_id="listSchemes")
@require_role("schemes.read")
@blp.response(200, SchemeListSchema)
@transactional
def list_schemes() -> dict[str, Any]:
    """Alle regelingen, met hun regels."""
    rows = get_session().scalars(select(Scheme).order_by(Scheme.code))
    return {"items": [_dump(s) for s in rows]}


@blp.route("/schemes", methods=["POST"], operation_id="createScheme")
@require_role("schemes.write")
@blp.arguments(SchemeSchema)
@blp.response(201, SchemeSchema)
@transactional
def create_scheme(body: dict[str, Any]) -> dict[str, Any]:
    """Maak een nieuwe regeling: dat zijn gegevens, geen code."""
    session = get_session()
    scheme = schemes.create_scheme(session, body, actor=current_actor())
    return _dump(scheme)


@blp.route("/schemes/<code>", methods=["PATCH"], operation_id="changeScheme")
@require_role("schemes.write")
@blp.arguments(SchemeChangeSchema(partial=True))
@blp.response(200, SchemeSchema)
@transactional
def change_scheme(body: dict[str, Any], code: str) -> dict[str, Any]:
    """Wijzig een regeling. Toekenningen die al gedaan zijn, veranderen niet mee.

    Na de eerste toekenning liggen voor wie ze is, de soort, de eenheid en de periode vast
    (code scheme_has_grants): maak dan een nieuwe regeling die op een datum begint.
    """
    session = get_session()
    scheme = schemes.get_scheme(session, code)
    scheme_changes.change_scheme(session, scheme, body, actor=current_actor())
    return _dump(scheme)


@blp.route("/norms", operation_id="listNorms")
@require_role("schemes.read")
@blp.arguments(NormQuerySchema, location="query", as_kwargs=True)
@blp.response(200, NormListSchema)
@transactional
def list_norms(date: dt.date | None = None) -> dict[str, Any]:
    """De normen van het sociaal minimum op een datum; voorlopige normen staan erbij."""
    day = date or clock.today()
    rows = get_session().scalars(
        select(Norm)
        .where(Norm.valid_from <= day, Norm.valid_to >= day)
        .order_by(Norm.household_type, Norm.age_band, Norm.children)
    )
    return {"date": day, "items": list(rows)}


@blp.route("/postcodes", operation_id="listPostcodes")
@require_role("households.read")
@blp.response(200, PostcodeListSchema)
@transactional
def list_postcodes() -> dict[str, Any]:
    """Welke postcode (PC4) in welk stadsdeel ligt, en hoe zeker dat is."""
    return {
        "items": list(
            get_session().scalars(select(PostcodeDistrict).order_by(PostcodeDistrict.pc4))
        )
    }


@blp.route("/postcodes/<pc4>", methods=["PUT"], operation_id="changePostcode")
@require_role("postcodes.write")
@blp.arguments(PostcodeChangeSchema)
@blp.response(200, PostcodeSchema)
@transactional
def correct_postcode(body: dict[str, Any], pc4: str) -> PostcodeDistrict:
    """Verbeter het stadsdeel van een postcode. Bestaande huishoudens houden hun stadsdeel."""
    return households.correct_district(get_session(), pc4, body["district"], actor=current_actor())
