"""Settlement runs through the finance API: prepare, approve (four eyes), cancel, pay by SEPA
file or Stripe, confirm; and what is owed and late (docs/settlement.md)."""

from __future__ import annotations

import base64
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate
from sqlalchemy import select

from almerepas.core import clock
from almerepas.core.session import get_session, run_unit_of_work, transactional
from almerepas.http import payouts
from almerepas.http.guard import current_actor, require_role
from almerepas.http.rest import Blueprint
from almerepas.http.schemas import matching
from almerepas.settlements import paying, reports, runs
from almerepas.settlements.calendar import next_execution_date
from almerepas.settlements.models import SettlementRun

blp = Blueprint("settlements", __name__, description="Afrekenen met partners")

PERIOD = matching(
    r"^[0-9]{4}-[0-9]{2}$",
    required=True,
    metadata={"description": "De maand", "example": "2027-01"},
)


class SettlementPrepareSchema(ma.Schema):
    period = PERIOD
    partner_id = fields.Integer(
        strict=True,
        validate=validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "Alleen deze partner"},
    )


class SettlementApproveSchema(ma.Schema):
    lines_hash = matching(
        r"^[0-9a-f]{64}$",
        required=True,
        metadata={"description": "De regels-hash van de afrekening die u hebt bekeken"},
    )


class SettlementPaymentSchema(ma.Schema):
    id = fields.Integer()
    partner_id = fields.Integer(
        allow_none=True, metadata={"description": "Leeg bij de declaratie van een inwoner"}
    )
    partner_name = fields.String(attribute="partner.name")
    reimbursement_id = fields.Integer(
        allow_none=True, metadata={"description": "De declaratie die dit terugbetaalt"}
    )
    method = fields.String()
    amount = fields.Integer(metadata={"description": "In centen"})
    status = fields.String()
    end_to_end_id = fields.String()
    stripe_transfer_id = fields.String(allow_none=True)


class SettlementHoldSchema(ma.Schema):
    partner_id = fields.Integer()
    partner_name = fields.String(attribute="partner.name")
    reason = fields.String()
    amount = fields.Integer(metadata={"description": "In centen: wat het zou zijn geweest"})
    line_count = fields.Integer()


class SettlementSchemeTotalSchema(ma.Schema):
    scheme_code = fields.String()
    scheme_name = fields.String()
    lines = fields.Integer()
    amount = fields.Integer()


class SettlementRunBriefSchema(ma.Schema):
    """A run in the list: without its payments."""

    id = fields.Integer()
    period = fields.String()
    partner_id = fields.Integer(allow_none=True)
    status = fields.String()
    total = fields.Integer(metadata={"description": "In centen"})
    lines_hash = fields.String()
    cutoff_at = fields.DateTime()
    prepared_by = fields.String()
    prepared_at = fields.DateTime()
    approved_by = fields.String(allow_none=True)
    approved_at = fields.DateTime(allow_none=True)
    paid_out_at = fields.DateTime(allow_none=True)
    confirmed_at = fields.DateTime(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)


class SettlementRunSchema(SettlementRunBriefSchema):
    payments = fields.List(fields.Nested(SettlementPaymentSchema))
    holds = fields.List(fields.Nested(SettlementHoldSchema))
    schemes = fields.List(fields.Nested(SettlementSchemeTotalSchema))


class SettlementRunListSchema(ma.Schema):
    items = fields.List(fields.Nested(SettlementRunBriefSchema))


class SepaFileSchema(ma.Schema):
    msg_id = fields.String()
    schema = fields.String()
    sha256 = fields.String()
    execution_date = fields.Date()
    content_base64 = fields.String(metadata={"description": "Het pain.001-bestand, base64"})


class StripeResultSchema(ma.Schema):
    paid = fields.List(fields.Dict(), metadata={"description": "Gelukt: partner en transfer"})
    failed = fields.List(fields.Dict(), metadata={"description": "Niet gelukt: later opnieuw"})
    run = fields.Nested(SettlementRunSchema)


class SettlementOwedSchema(ma.Schema):
    partner_id = fields.Integer()
    partner_name = fields.String()
    lines = fields.Integer()
    amount = fields.Integer()
    since = fields.DateTime()


class SettlementLateSchema(ma.Schema):
    period = fields.String()
    due = fields.Date()
    state = fields.String()
    run_id = fields.Integer(allow_none=True)


class SettlementOverviewSchema(ma.Schema):
    owed = fields.List(fields.Nested(SettlementOwedSchema))
    late = fields.List(fields.Nested(SettlementLateSchema))


def _run(run: SettlementRun) -> dict[str, Any]:
    """The run's fields for SettlementRunSchema, with its totals per scheme."""
    body = {name: getattr(run, name) for name in SettlementRunBriefSchema._declared_fields}
    body["payments"] = run.payments
    body["holds"] = run.holds
    body["schemes"] = reports.scheme_totals(get_session(), run.id)
    return body


@blp.route("/settlement-runs", operation_id="listSettlementRuns")
@require_role("settlements.read")
@blp.response(200, SettlementRunListSchema)
@transactional
def list_runs() -> dict[str, Any]:
    """Alle afrekeningen, de nieuwste eerst."""
    found = get_session().scalars(select(SettlementRun).order_by(SettlementRun.id.desc()))
    return {"items": list(found)}


@blp.route("/settlement-runs", methods=["POST"], operation_id="createSettlementRun")
@require_role("settlements.write")
@blp.arguments(SettlementPrepareSchema)
@blp.response(201, SettlementRunSchema)
@transactional
def prepare(body: dict[str, Any]) -> dict[str, Any]:
    """Zet een afrekening klaar van alles wat tot het eind van de maand niet is afgerekend."""
    run, _ = runs.prepare(
        get_session(),
        period=body["period"],
        partner_id=body.get("partner_id"),
        actor=current_actor(),
        now=clock.now(),
    )
    return _run(run)


@blp.route("/settlement-runs/<int:run_id>", operation_id="getSettlementRun")
@require_role("settlements.read")
@blp.response(200, SettlementRunSchema)
@transactional
def show(run_id: int) -> dict[str, Any]:
    """Eén afrekening: betalingen, tegengehouden partners en totalen per regeling."""
    return _run(runs.get_run(get_session(), run_id))


@blp.route(
    "/settlement-runs/<int:run_id>/approval", methods=["POST"], operation_id="approveSettlementRun"
)
@require_role("settlements.write")
@blp.arguments(SettlementApproveSchema)
@blp.response(200, SettlementRunSchema)
@transactional
def approve(body: dict[str, Any], run_id: int) -> dict[str, Any]:
    """Keur goed wat u hebt bekeken (de regels-hash). Niet uw eigen afrekening: vier ogen."""
    run = runs.approve(
        get_session(),
        run_id,
        actor=current_actor(),
        now=clock.now(),
        expected_hash=body["lines_hash"],
    )
    return _run(run)


@blp.route(
    "/settlement-runs/<int:run_id>/cancellation",
    methods=["POST"],
    operation_id="cancelSettlementRun",
)
@require_role("settlements.write")
@blp.response(200, SettlementRunSchema)
@transactional
def cancel(run_id: int) -> dict[str, Any]:
    """Annuleer voordat er iets is betaald; alles erin komt terug voor een volgende keer."""
    return _run(runs.cancel(get_session(), run_id, actor=current_actor(), now=clock.now()))


def _file(made: Any) -> dict[str, Any]:
    return {
        "msg_id": made.msg_id,
        "schema": made.schema,
        "sha256": made.sha256,
        "execution_date": made.execution_date,
        "content_base64": base64.b64encode(made.content).decode(),
    }


@blp.route(
    "/settlement-runs/<int:run_id>/sepa-file", methods=["POST"], operation_id="createSepaFile"
)
@require_role("settlements.write")
@blp.response(201, SepaFileSchema)
@transactional
def make_sepa_file(run_id: int) -> dict[str, Any] | tuple[str, int]:
    """Maak het SEPA-bestand (pain.001) voor de bank; daarna steeds hetzelfde bestand."""
    made = paying.sepa_file(
        get_session(),
        run_id,
        debtor=payouts.debtor(),
        schema=payouts.sepa_schema(),
        execution_date=next_execution_date(clock.today()),
        actor=current_actor(),
        now=clock.now(),
    )
    if made is None:
        return "", 204
    return _file(made)


@blp.route(
    "/settlement-runs/<int:run_id>/stripe-payouts",
    methods=["POST"],
    operation_id="createStripePayouts",
)
@require_role("settlements.write")
@blp.response(200, StripeResultSchema)
def pay_by_stripe(run_id: int) -> dict[str, Any]:
    """Betaal de Stripe-partners. Opnieuw proberen betaalt nooit dubbel."""
    session = get_session()
    outcome = payouts.pay_by_stripe(session, run_id, current_actor())
    body = run_unit_of_work(session, lambda: _run(runs.get_run(session, run_id)))
    return {
        "paid": [{"partner_id": p, "transfer": t} for p, t in outcome.paid],
        "failed": [{"partner_id": p, "code": c} for p, c in outcome.failed],
        "run": body,
    }


@blp.route(
    "/settlement-runs/<int:run_id>/confirmation",
    methods=["POST"],
    operation_id="confirmSettlementRun",
)
@require_role("settlements.write")
@blp.response(200, SettlementRunSchema)
@transactional
def confirm(run_id: int) -> dict[str, Any]:
    """Bevestig dat de betalingen op het bankafschrift staan."""
    return _run(paying.confirm(get_session(), run_id, actor=current_actor(), now=clock.now()))


@blp.route("/settlements/overview", operation_id="getSettlementOverview")
@require_role("settlements.read")
@blp.response(200, SettlementOverviewSchema)
@transactional
def overview() -> dict[str, Any]:
    """Wat partners tegoed hebben dat nog in geen afrekening zit, en wat te laat is."""
    session = get_session()
    return {
        "owed": reports.owed(session, now=clock.now()),
        "late": reports.late(session, today=clock.today(), pay_days=payouts.pay_days()),
    }
