"""Schemas of the caseworker API for households; each lists exactly the fields it exposes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from almerepas.households.models import MemberRole
from almerepas.http.schemas import PageArgsSchema, PageSchema, matching, text
from almerepas.http.schemas import email as email_address
from almerepas.income.lines import MAX_AMOUNT, MAX_LINES, income_kinds
from almerepas.income.models import HouseholdType, LineReason, Per

#: Dates people type: anything outside this range is a typing error, not a date to compute with.
PLAUSIBLE = validate.Range(
    min=dt.date(1900, 1, 1), max=dt.date(2100, 12, 31), error="Kies een datum tussen 1900 en 2100"
)


def _day(**kw: Any) -> fields.Date:
    return fields.Date(validate=PLAUSIBLE, **kw)


BSN = r"^[0-9]{9}$"


class HouseholdSearchSchema(PageArgsSchema):
    name = text(
        100,
        required=False,
        metadata={
            "description": "Deel van voor- of achternaam. Geen burgerservicenummer: zoek daarop "
            "met POST /households/_search (code bsn_in_name_search)"
        },
    )
    postcode = text(7, required=False, metadata={"example": "1315AB"})
    date_of_birth = _day(data_key="dateOfBirth", metadata={"description": "Van een lid"})


class BsnSearchSchema(ma.Schema):
    bsn = matching(BSN, required=True)


class AddressSchema(ma.Schema):
    postcode = text(7, metadata={"example": "1315 AB"})
    house_number = fields.Integer(
        strict=True, required=True, validate=validate.Range(min=1, max=99999)
    )
    house_number_suffix = text(10, required=False, allow_none=True)
    street = text(200)


class HouseholdInSchema(ma.Schema):
    address = fields.Nested(AddressSchema, required=True)
    email = email_address(allow_none=True)
    phone = text(30, required=False, allow_none=True)
    language = fields.String(validate=validate.OneOf(["nl", "en"]), load_default="nl")
    letters_by_post = fields.Boolean(load_default=False)


class MemberInSchema(ma.Schema):
    given_name = text(100)
    family_name = text(150)
    date_of_birth = _day(required=True)
    role = fields.Enum(MemberRole, by_value=True, required=True)
    valid_from = _day(required=True, metadata={"description": "Woont hier vanaf"})
    bsn = matching(BSN, allow_none=True)
    email = email_address(allow_none=True)
    phone = text(30, required=False, allow_none=True)


class DepartureInSchema(ma.Schema):
    person_id = fields.Integer(strict=True, required=True)
    last_day = _day(required=True, metadata={"description": "Laatste dag in dit huishouden"})


class MoveOutInSchema(ma.Schema):
    day = _day(required=True, metadata={"description": "De dag van vertrek uit de gemeente"})


class IncomeLineInSchema(ma.Schema):
    person_id = fields.Integer(
        strict=True,
        required=True,
        validate=validate.Range(min=1),
        metadata={"description": "Een lid van het huishouden op de peildatum"},
    )
    kind = fields.String(
        required=True,
        validate=validate.OneOf(
            list(income_kinds()), error="Onbekende soort inkomen. Kies uit: {choices}."
        ),
        metadata={"description": "Soort inkomen (docs/eligibility.md, Wat telt als inkomen)"},
    )
    amount = fields.Integer(
        strict=True,
        required=True,
        validate=validate.Range(min=0, max=MAX_AMOUNT),
        metadata={
            "description": "Netto, in centen: per maand, of per jaar voor holiday_pay en "
            "self_employed"
        },
    )


class AssessmentInSchema(ma.Schema):
    net_income = fields.Integer(
        strict=True,
        validate=validate.Range(min=0, max=10**9),
        metadata={
            "description": "Netto huishoudinkomen per maand, in centen, als alleen het totaal "
            "bekend is. Geef dit of lines, niet allebei"
        },
    )
    lines = fields.List(
        fields.Nested(IncomeLineInSchema),
        validate=validate.Length(min=1, max=MAX_LINES),
        metadata={
            "description": "Het inkomen per lid en soort; wat meetelt wordt net_income. "
            "Geef dit of net_income, niet allebei"
        },
    )
    assessed_on = _day(required=True, metadata={"description": "Peildatum van de toets"})
    valid_from = _day(metadata={"description": "Geldt vanaf (standaard: de peildatum)"})
    months = fields.Integer(
        strict=True,
        validate=validate.Range(min=1, max=36),
        metadata={"description": "Hoe lang de toets geldt (standaard: de instelling)"},
    )
    evidence_ref = text(200, required=False, allow_none=True)
    assets = fields.Integer(
        strict=True,
        allow_none=True,
        validate=validate.Range(min=0, max=10**11),
        metadata={"description": "Vermogen in centen; alleen als de gemeente een grens heeft"},
    )
    youth_supplement = fields.Boolean(
        metadata={
            "description": "Ouders kunnen een jongere van 18-20 niet onderhouden (art. 20 lid 3)"
        }
    )


class IncomeLineSchema(ma.Schema):
    person_id = fields.Integer()
    kind = fields.String()
    amount = fields.Integer(metadata={"description": "Centen, zoals ingevuld (zie per)"})
    per = fields.Enum(Per, by_value=True, metadata={"description": "month of year"})
    counted = fields.Integer(metadata={"description": "Centen per maand die meetellen"})
    reason = fields.Enum(
        LineReason,
        by_value=True,
        metadata={"description": "Waarom het zo meetelt (docs/eligibility.md)"},
    )


class AssessmentSchema(ma.Schema):
    id = fields.Integer()
    assessed_on = fields.Date()
    valid_from = fields.Date()
    valid_to = fields.Date()
    net_income = fields.Integer(metadata={"description": "Centen per maand"})
    norm_amount = fields.Integer(metadata={"description": "De norm op de peildatum, centen"})
    norm_provisional = fields.Boolean(attribute="norm.provisional")
    household_type = fields.Enum(HouseholdType, by_value=True)
    percentage_bp = fields.Integer(
        metadata={"description": "Procent van de norm x 100, naar boven"}
    )
    assessed_by = fields.String()
    evidence_ref = fields.String(allow_none=True)
    superseded_on = fields.Date(allow_none=True)
    assets = fields.Integer(allow_none=True, metadata={"description": "Vermogen, centen"})
    youth_supplement = fields.Boolean()
    income_period = fields.String(metadata={"description": "month, three_months, twelve_months"})
    lines = fields.List(
        fields.Nested(IncomeLineSchema),
        metadata={
            "description": "Hoe net_income is berekend; leeg als alleen het totaal bekend was"
        },
    )


class MemberSchema(ma.Schema):
    person_id = fields.Integer()
    given_name = fields.String()
    family_name = fields.String()
    date_of_birth = fields.Date()
    role = fields.String()
    valid_from = fields.Date()
    valid_to = fields.Date(allow_none=True)
    bsn_masked = fields.String(
        allow_none=True, metadata={"description": "Alleen de laatste 3 cijfers"}
    )


class GrantSchema(ma.Schema):
    scheme = fields.String()
    period = fields.String()
    beneficiary = fields.String()
    amount = fields.Integer()
    unit = fields.String()
    balance = fields.Integer(allow_none=True, metadata={"description": "Wat er nog over is"})
    expired = fields.Boolean()


class HouseholdSummarySchema(ma.Schema):
    id = fields.Integer()
    postcode = fields.String()
    house_number = fields.Integer()
    house_number_suffix = fields.String(allow_none=True)
    street = fields.String()
    district = fields.String()
    members = fields.List(fields.String(), metadata={"description": "Namen van de huidige leden"})


class HouseholdSchema(HouseholdSummarySchema):
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    language = fields.String()
    letters_by_post = fields.Boolean()
    moved_out_on = fields.Date(allow_none=True)
    member_history = fields.List(fields.Nested(MemberSchema))
    assessments = fields.List(fields.Nested(AssessmentSchema))
    grants = fields.List(fields.Nested(GrantSchema))


class HouseholdPageSchema(PageSchema):
    items = fields.List(fields.Nested(HouseholdSummarySchema), required=True)


class EligibilityQuerySchema(ma.Schema):
    date = _day(metadata={"description": "Peildatum (standaard: vandaag)"})


class RuleSchema(ma.Schema):
    rule = fields.String()
    ok = fields.Boolean()
    reason = fields.String()


class EligibilityItemSchema(ma.Schema):
    scheme = fields.String()
    scheme_name = fields.String()
    person_id = fields.Integer(allow_none=True)
    person_name = fields.String(allow_none=True)
    eligible = fields.Boolean()
    amount = fields.Integer()
    unit = fields.String()
    rules = fields.List(fields.Nested(RuleSchema))


class EligibilitySchema(ma.Schema):
    date = fields.Date()
    items = fields.List(fields.Nested(EligibilityItemSchema))


class PrivacyExportSchema(ma.Schema):
    """Everything held about a household (docs/privacy.md): every column of every row."""

    household = fields.Dict(metadata={"description": "Het huishouden zelf"})
    memberships = fields.List(fields.Dict())
    persons = fields.List(
        fields.Dict(), metadata={"description": "Iedereen die ooit in het huishouden woonde"}
    )
    income_assessments = fields.List(fields.Dict())
    income_lines = fields.List(fields.Dict())
    applications = fields.List(fields.Dict())
    evidence = fields.List(fields.Dict(), metadata={"description": "Alleen de gegevens"})
    passes = fields.List(fields.Dict())
    card_prints = fields.List(fields.Dict())
    credentials = fields.List(fields.Dict(), metadata={"description": "Zonder geheimen"})
    grants = fields.List(fields.Dict())
    redemptions = fields.List(fields.Dict())
    reversals = fields.List(fields.Dict())
    rides = fields.List(fields.Dict())
    reimbursements = fields.List(fields.Dict())
    letters = fields.List(fields.Dict())
    messages = fields.List(fields.Dict())
    outreach_contacts = fields.List(fields.Dict())
    outreach_opt_out = fields.List(fields.Dict())
    login_codes = fields.List(fields.Dict())
    holder_sessions = fields.List(fields.Dict())
    audit_events = fields.List(fields.Dict())
