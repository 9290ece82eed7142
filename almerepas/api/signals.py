"""Signals for finance through the API (docs/reports.md): the four lists of the page, with their
evidence and the thresholds used. Partners are named, holders never; a pass shows its last five
digits only. Every call is an audit row, as a look at the page is."""

from __future__ import annotations

import dataclasses
from typing import Any

import marshmallow as ma
from flask import current_app
from marshmallow import fields, validates_schema

from almerepas.audit import log as audit
from almerepas.core.session import (
    get_read_freshness,
    get_read_session,
    get_session,
    transactional,
)
from almerepas.http.guard import current_actor, require_role
from almerepas.http.rest import Blueprint
from almerepas.reports import signals

blp = Blueprint("signals", __name__, description="Signalen: opvallende patronen, om na te kijken")


def _cents(description: str) -> fields.Integer:
    return fields.Integer(required=True, metadata={"description": f"{description}, in centen"})


class PeriodSchema(ma.Schema):
    first = fields.Date(
        required=True, data_key="from", metadata={"description": "Eerste dag (Nederlandse tijd)"}
    )
    last = fields.Date(
        required=True, data_key="to", metadata={"description": "Laatste dag, meegerekend"}
    )

    @validates_schema
    def _period(self, data: dict[str, Any], **_kwargs: Any) -> None:
        first, last = data.get("first"), data.get("last")
        if first is not None and last is not None:
            if last < first:
                raise ma.ValidationError("'to' mag niet voor 'from' liggen", field_name="to")
            if (last - first).days >= signals.MAX_DAYS:
                raise ma.ValidationError("Hoogstens een jaar", field_name="to")


class ThresholdsSchema(ma.Schema):
    whole_budget_per_day = fields.Integer(required=True)
    expiry_days = fields.Integer(required=True)
    baseline_days = fields.Integer(required=True)
    factor = fields.Integer(required=True)
    min_count = fields.Integer(required=True)
    min_amount = _cents("Minimum bedrag")
    two_places_minutes = fields.Integer(required=True)


class WholeBudgetDaySchema(ma.Schema):
    partner_id = fields.Integer(required=True)
    partner = fields.String(required=True)
    day = fields.Date(required=True)
    count = fields.Integer(required=True)
    amount = _cents("Samen")
    locations = fields.List(fields.String(), required=True)
    redemption_ids = fields.List(fields.Integer(), required=True)


class ExpirySpikeSchema(ma.Schema):
    partner_id = fields.Integer(required=True)
    partner = fields.String(required=True)
    expires_on = fields.Date(required=True, metadata={"description": "Laatste dag van de periode"})
    first_day = fields.Date(required=True)
    days = fields.Integer(required=True)
    count = fields.Integer(required=True)
    amount = _cents("Bedrag in die dagen")
    baseline_count = fields.Integer(required=True)
    baseline_amount = _cents("Bedrag in de dagen ervoor")
    baseline_days = fields.Integer(required=True)


class UnusualDaySchema(ma.Schema):
    partner_id = fields.Integer(required=True)
    partner = fields.String(required=True)
    day = fields.Date(required=True)
    count = fields.Integer(required=True)
    amount = _cents("Bedrag die dag")
    median_count = fields.Integer(required=True)
    median_amount = _cents("Mediaan bedrag")
    baseline_days_used = fields.Integer(required=True)
    above = fields.List(fields.String(metadata={"enum": ["count", "amount"]}), required=True)


class UseSchema(ma.Schema):
    scan_id = fields.Integer(required=True)
    at = fields.AwareDateTime(required=True)
    partner_id = fields.Integer(required=True)
    partner = fields.String(required=True)
    location = fields.String(required=True)
    redemption_ids = fields.List(fields.Integer(), required=True)


class TwoPlacesSchema(ma.Schema):
    pass_id = fields.Integer(required=True)
    pass_number = fields.String(
        required=True, metadata={"description": "Alleen de laatste vijf cijfers"}
    )
    first = fields.Nested(UseSchema, required=True)
    second = fields.Nested(UseSchema, required=True)
    seconds = fields.Integer(required=True)


class SignalsSchema(ma.Schema):
    first = fields.Date(required=True, data_key="from")
    last = fields.Date(required=True, data_key="to")
    thresholds = fields.Nested(ThresholdsSchema, required=True)
    whole_budgets = fields.List(fields.Nested(WholeBudgetDaySchema), required=True)
    expiry_spikes = fields.List(fields.Nested(ExpirySpikeSchema), required=True)
    unusual_days = fields.List(fields.Nested(UnusualDaySchema), required=True)
    two_places = fields.List(fields.Nested(TwoPlacesSchema), required=True)
    data_as_of = fields.AwareDateTime(
        required=True,
        allow_none=True,
        metadata={
            "description": "Gelezen uit een kopie van de database (read replica): alles wat tot "
            "dit moment is vastgelegd staat erin. Leeg: gelezen uit de database zelf (actueel), "
            "of de kopie weet het niet (dan is data_behind true)."
        },
    )
    data_behind = fields.Boolean(
        required=True,
        metadata={"description": "De kopie loopt meer achter dan de ingestelde grens"},
    )


@blp.route("/signals", operation_id="getSignals")
@require_role("signals.read")
@blp.arguments(PeriodSchema, location="query")
@blp.response(200, SignalsSchema)
@transactional
def signals_list(args: dict[str, Any]) -> dict[str, Any]:
    """Vier signalen voor de periode, elk met het bewijs; geen oordeel, om na te kijken."""
    # Read from a replica when configured; the audit row is written to the primary.
    session, first, last = get_read_session(), args["first"], args["last"]
    t = signals.from_settings(current_app.config)
    found: dict[str, Any] = {
        "whole_budgets": signals.whole_budgets(session, first, last, t),
        "expiry_spikes": signals.expiry_spikes(session, first, last, t),
        "unusual_days": signals.unusual_days(session, first, last, t),
        "two_places": signals.two_places(session, first, last, t),
    }
    audit.record(
        get_session(), actor=current_actor(), action="signals.view", entity_type="signals",
        entity_id=0, changes={"from": first.isoformat(), "to": last.isoformat(),
                              "listed": sum(len(v) for v in found.values())},
    )  # fmt: skip
    fresh = get_read_freshness()
    return {
        "first": first,
        "last": last,
        "thresholds": dataclasses.asdict(t),
        **found,
        "data_as_of": fresh.as_of if fresh else None,
        "data_behind": fresh is not None and fresh.behind,
    }
