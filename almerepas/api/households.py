"""Households for caseworkers: search, open, register, members, assessments, eligibility.

Every read of a household's personal data is written to the audit log, as are all changes.
A BSN travels only in request bodies, never in a URL, and is shown masked.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask.typing import ResponseReturnValue

from almerepas.api.schemas.households import (
    AssessmentInSchema,
    AssessmentSchema,
    BsnSearchSchema,
    DepartureInSchema,
    EligibilityQuerySchema,
    EligibilitySchema,
    HouseholdInSchema,
    HouseholdPageSchema,
    HouseholdSchema,
    HouseholdSearchSchema,
    MemberInSchema,
    MoveOutInSchema,
    PrivacyExportSchema,
)
from almerepas.casework import operations as casework
from almerepas.core import clock
from almerepas.core.errors import NotFound
from almerepas.core.session import get_keys, get_session, transactional
from almerepas.grants.queries import household_detail, household_summary
from almerepas.grants.report import household_eligibility
from almerepas.households import members as households
from almerepas.households import search
from almerepas.households.members import Address
from almerepas.households.models import Household
from almerepas.households.search import Criteria
from almerepas.http.api_doc import PAGE_HEADERS
from almerepas.http.guard import current_actor, require_role
from almerepas.http.pagination import link_header
from almerepas.http.reasons import worded
from almerepas.http.rest import Blueprint
from almerepas.income.lines import IncomeLineInput
from almerepas.privacy.export import export_household

blp = Blueprint("households", __name__, description="Huishoudens (voor consulenten)")


def _opened(household: Household) -> None:
    casework.viewed(get_session(), household, actor=current_actor())


@blp.route("/households", operation_id="searchHouseholds")
@require_role("households.read")
@blp.arguments(HouseholdSearchSchema, location="query", as_kwargs=True)
@blp.response(200, HouseholdPageSchema, headers=PAGE_HEADERS)
@transactional
def search_households(
    page: int,
    page_size: int,
    name: str | None = None,
    postcode: str | None = None,
    date_of_birth: dt.date | None = None,
) -> ResponseReturnValue:
    """Zoek huishoudens op naam, postcode of geboortedatum van een lid."""
    result = search.search_households(
        get_session(),
        Criteria(name=name, postcode=postcode, date_of_birth=date_of_birth),
        page=page,
        page_size=page_size,
        today=clock.today(),
        actor=current_actor(),
    )
    body = {
        "items": [household_summary(h) for h in result.items],
        "page": result.page,
        "page_size": result.page_size,
        "total": result.total,
    }
    return body, 200, {"Link": link_header(result)}


@blp.route("/households/_search", methods=["POST"], operation_id="searchHouseholdsByBsn")
@require_role("households.search_bsn")
@blp.arguments(BsnSearchSchema)
@blp.response(200, HouseholdPageSchema)
@transactional
def search_by_bsn(body: dict[str, Any]) -> dict[str, Any]:
    """Zoek een huishouden op burgerservicenummer (in de body, nooit in de URL)."""
    found = search.search_by_bsn(
        get_session(), body["bsn"], keys=get_keys(), today=clock.today(), actor=current_actor()
    )
    return {
        "items": [household_summary(h) for h in found],
        "page": 1,
        "page_size": max(1, len(found)),
        "total": len(found),
    }


@blp.route("/households", methods=["POST"], operation_id="createHousehold")
@require_role("households.write")
@blp.arguments(HouseholdInSchema)
@blp.response(201, HouseholdSchema)
@transactional
def create_household(body: dict[str, Any]) -> dict[str, Any]:
    """Registreer een huishouden met zijn adres in de gemeente."""
    session = get_session()
    contact = {key: value for key, value in body.items() if key != "address"}
    household = casework.register_household(
        session, address=Address(**body["address"]), **contact, actor=current_actor()
    )
    return household_detail(session, household, keys=get_keys())


@blp.route("/households/<int:household_id>", operation_id="getHousehold")
@require_role("households.read")
@blp.response(200, HouseholdSchema)
@transactional
def get_household(household_id: int) -> dict[str, Any]:
    """Open een huishouden: leden, inkomenstoetsen en toekenningen met saldo."""
    session = get_session()
    household = households.get_household(session, household_id)
    _opened(household)
    return household_detail(session, household, keys=get_keys())


@blp.route("/households/<int:household_id>/privacy-export", operation_id="getPrivacyExport")
@require_role("privacy.export")
@blp.response(200, PrivacyExportSchema)
@transactional
def get_privacy_export(household_id: int) -> dict[str, Any]:
    """Alles wat over een huishouden en zijn leden bewaard is, voor een inzageverzoek (AVG)."""
    return export_household(get_session(), household_id, get_keys(), actor=current_actor())


@blp.route("/households/<int:household_id>/members", methods=["POST"], operation_id="addMember")
@require_role("households.write")
@blp.arguments(MemberInSchema)
@blp.response(201, HouseholdSchema)
@transactional
def add_member(body: dict[str, Any], household_id: int) -> dict[str, Any]:
    """Voeg iemand toe aan een huishouden, vanaf een datum."""
    session = get_session()
    household = households.get_household(session, household_id)
    casework.add_person(
        session,
        household,
        **body,
        today=clock.today(),
        keys=get_keys(),
        actor=current_actor(),
    )
    session.refresh(household)
    return household_detail(session, household, keys=get_keys())


@blp.route(
    "/households/<int:household_id>/departures", methods=["POST"], operation_id="recordDeparture"
)
@require_role("households.write")
@blp.arguments(DepartureInSchema)
@blp.response(201, HouseholdSchema)
@transactional
def record_departure(body: dict[str, Any], household_id: int) -> dict[str, Any]:
    """Iemand woont niet meer in dit huishouden vanaf de dag na ``last_day``; de historie blijft."""
    session = get_session()
    household = households.get_household(session, household_id)
    current = [
        m
        for m in household.memberships
        if m.person_id == body["person_id"]
        and (m.valid_to is None or m.valid_to >= body["last_day"])
    ]
    if not current:
        raise NotFound(detail="Deze persoon woont op die dag niet in dit huishouden.")
    casework.record_departure(
        session, household, current[0], last_day=body["last_day"], actor=current_actor()
    )
    return household_detail(session, household, keys=get_keys())


@blp.route(
    "/households/<int:household_id>/move-outs", methods=["POST"], operation_id="recordMoveOut"
)
@require_role("households.write")
@blp.arguments(MoveOutInSchema)
@blp.response(201, HouseholdSchema)
@transactional
def record_move_out(body: dict[str, Any], household_id: int) -> dict[str, Any]:
    """Het huishouden vertrekt uit de gemeente: het houdt wat het heeft, krijgt daarna niets."""
    session = get_session()
    household = households.get_household(session, household_id)
    casework.move_out(session, household, day=body["day"], actor=current_actor())
    return household_detail(session, household, keys=get_keys())


@blp.route(
    "/households/<int:household_id>/assessments", methods=["POST"], operation_id="recordAssessment"
)
@require_role("assessments.write")
@blp.arguments(AssessmentInSchema)
@blp.response(201, AssessmentSchema)
@transactional
def record_assessment(body: dict[str, Any], household_id: int) -> Any:
    """Leg een inkomenstoets vast; die vervangt de vorige vanaf zijn begindatum.

    Het inkomen per lid en soort (``lines``; wat meetelt volgt uit de tabel in
    docs/eligibility.md) of alleen het totaal (``net_income``).
    """
    session = get_session()
    household = households.get_household(session, household_id)
    lines = body.get("lines")
    assessment = casework.assess(
        session,
        household,
        net_income=body.get("net_income"),
        lines=None if lines is None else [IncomeLineInput(**line) for line in lines],
        assessed_on=body["assessed_on"],
        valid_from=body.get("valid_from"),
        months=body.get("months"),
        assets=body.get("assets"),
        youth_supplement=body.get("youth_supplement", False),
        evidence_ref=body.get("evidence_ref"),
        actor=current_actor(),
    )
    return assessment


@blp.route("/households/<int:household_id>/eligibility", operation_id="getEligibility")
@require_role("eligibility.read")
@blp.arguments(EligibilityQuerySchema, location="query", as_kwargs=True)
@blp.response(200, EligibilitySchema)
@transactional
def eligibility(household_id: int, date: dt.date | None = None) -> dict[str, Any]:
    """Voor welke regelingen komt elk lid in aanmerking, en zo niet: waarom niet."""
    session = get_session()
    household = households.get_household(session, household_id)
    _opened(household)
    day = date or clock.today()
    return {"date": day, "items": worded(household_eligibility(session, household, day))}
