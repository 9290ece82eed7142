"""Grant runs and expiries through the API: preview (changes nothing), run, expire."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields

from almerepas.core import clock
from almerepas.core.session import get_session, transactional
from almerepas.grants import expiry
from almerepas.grants import runs as grants
from almerepas.http.api_doc import PAGE_HEADERS
from almerepas.http.guard import current_actor, require_role
from almerepas.http.pagination import link_header
from almerepas.http.reasons import counted
from almerepas.http.rest import Blueprint
from almerepas.http.schemas import PageArgsSchema, PageSchema, matching, text

blp = Blueprint("grant_runs", __name__, description="Toekennen en laten vervallen per periode")

PERIOD = matching(
    r"^[0-9]{4}(-[0-9]{2})?$",
    required=True,
    metadata={"description": "2027-01 (maand) of 2027 (jaar)", "example": "2027-01"},
)


class RunQuerySchema(ma.Schema):
    period = PERIOD
    scheme = fields.List(
        text(40),
        metadata={"description": "Alleen deze regeling(en)"},
    )


class RunInSchema(ma.Schema):
    period = PERIOD
    schemes = fields.List(text(40))


class ExpiryInSchema(ma.Schema):
    period = PERIOD


class SchemeRunSchema(ma.Schema):
    scheme = fields.String()
    period = fields.String()
    unit = fields.String()
    granted = fields.Integer(metadata={"description": "Nieuw toegekend"})
    amount = fields.Integer(metadata={"description": "Totaal, in centen of eenheden"})
    already_granted = fields.Integer()
    not_eligible = fields.Integer()
    budget_exhausted = fields.Integer()
    reasons = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "Waarom niet, en hoe vaak"},
    )


class RunSchema(ma.Schema):
    period = fields.String()
    dry_run = fields.Boolean()
    runs = fields.List(fields.Nested(SchemeRunSchema))


class ExpiryRunSchema(ma.Schema):
    scheme = fields.String()
    period = fields.String()
    expired = fields.Integer()
    returned = fields.Integer()


class ExpirySchema(ma.Schema):
    period = fields.String()
    runs = fields.List(fields.Nested(ExpiryRunSchema))


class WaitingQuerySchema(PageArgsSchema):
    period = PERIOD


class WaitingSchema(ma.Schema):
    position = fields.Integer(required=True, metadata={"description": "Plaats op de wachtlijst"})
    beneficiary = fields.String(required=True, metadata={"example": "person:12"})
    household_id = fields.Integer(required=True)
    person_id = fields.Integer(allow_none=True, metadata={"description": "Leeg: het huishouden"})
    assessed_on = fields.Date(
        allow_none=True, metadata={"description": "Datum van de inkomenstoets: bepaalt de volgorde"}
    )
    assessment_id = fields.Integer(allow_none=True)
    reference_date = fields.Date(required=True, metadata={"description": "Beoordeeld op"})
    amount = fields.Integer(required=True, metadata={"description": "In centen of eenheden"})


class WaitingPageSchema(PageSchema):
    scheme = fields.String(required=True)
    period = fields.String(required=True)
    items = fields.List(fields.Nested(WaitingSchema), required=True)


def _summary(runs: list[grants.SchemeRun]) -> list[dict[str, Any]]:
    return [{**run.__dict__, "reasons": dict(counted(run.reasons))} for run in runs]


@blp.route("/grant-runs/preview", operation_id="previewGrantRun")
@require_role("grants.preview")
@blp.arguments(RunQuerySchema, location="query", as_kwargs=True)
@blp.response(200, RunSchema)
@transactional
def preview(period: str, scheme: list[str] | None = None) -> dict[str, Any]:
    """Laat zien wat een toekenning zou doen, zonder iets op te slaan."""
    runs = grants.preview(
        get_session(), period=period, actor=current_actor(), today=clock.today(), schemes=scheme
    )
    return {"period": period, "dry_run": True, "runs": _summary(runs)}


@blp.route("/grant-runs", methods=["POST"], operation_id="createGrantRun")
@require_role("grants.run")
@blp.arguments(RunInSchema)
@blp.response(201, RunSchema)
@transactional
def run(body: dict[str, Any]) -> dict[str, Any]:
    """Ken toe aan iedereen die recht heeft. Nog een keer draaien kent niets dubbel toe."""
    session = get_session()
    runs = grants.issue(
        session,
        period=body["period"],
        actor=current_actor(),
        today=clock.today(),
        schemes=body.get("schemes"),
    )
    return {"period": body["period"], "dry_run": False, "runs": _summary(runs)}


@blp.route("/grant-expiries", methods=["POST"], operation_id="createGrantExpiry")
@require_role("grants.run")
@blp.arguments(ExpiryInSchema)
@blp.response(201, ExpirySchema)
@transactional
def expire(body: dict[str, Any]) -> dict[str, Any]:
    """Laat wat over is van een afgelopen periode teruggaan naar het budget."""
    session = get_session()
    runs = expiry.expire(session, period=body["period"], actor=current_actor(), today=clock.today())
    return {"period": body["period"], "runs": [r.__dict__ for r in runs]}


@blp.route("/schemes/<code>/waiting-list", operation_id="getWaitingList")
@require_role("grants.waiting_list")
@blp.arguments(WaitingQuerySchema, location="query", as_kwargs=True)
@blp.response(200, WaitingPageSchema, headers=PAGE_HEADERS)
@transactional
def waiting_list(
    code: str, period: str, page: int, page_size: int
) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Toon wie recht heeft maar niets kreeg omdat het budget op is, in volgorde van de
    inkomenstoets. Zonder namen of BSN."""
    result = grants.waiting_list(
        get_session(),
        scheme_code=code,
        period=period,
        actor=current_actor(),
        today=clock.today(),
        page=page,
        page_size=page_size,
    )
    first = (result.page - 1) * result.page_size + 1
    body = {
        "scheme": code,
        "period": period,
        "page": result.page,
        "page_size": result.page_size,
        "total": result.total,
        "items": [
            {
                "position": first + n,
                "beneficiary": c.beneficiary_key,
                "household_id": c.household_id,
                "person_id": c.person_id,
                "assessed_on": c.assessed_on,
                "assessment_id": c.assessment_id,
                "reference_date": c.reference_date,
                "amount": c.amount,
            }
            for n, c in enumerate(result.items)
        ],
    }
    return body, 200, {"Link": link_header(result)}
