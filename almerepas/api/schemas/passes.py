"""Schemas of the caseworker API for passes: each lists exactly the fields it exposes.

Nothing about a holder's income, tier or entitlements: a pass is the same for everyone.
"""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from almerepas.passes import numbers
from almerepas.passes.models import BlockReason, PassStatus


class PassSchema(ma.Schema):
    id = fields.Integer(required=True)
    number = fields.String(
        required=True,
        metadata={"description": "13 cijfers, het laatste is een controlecijfer (Damm)",
                  "example": "4821390712653"},
    )  # fmt: skip
    number_grouped = fields.Function(
        lambda p: numbers.grouped(p.number),
        required=True,
        metadata={"description": "Om voor te lezen", "example": "4821 3907 1265 3"},
    )
    person_id = fields.Integer(required=True)
    status = fields.Enum(PassStatus, by_value=True, required=True)
    generation = fields.Integer(
        required=True, metadata={"description": "1 voor de eerste pas, +1 bij elke nieuwe"}
    )
    valid_from = fields.Date(required=True)
    valid_until = fields.Date(required=True)
    issued_at = fields.DateTime(required=True)
    status_changed_at = fields.DateTime(required=True, allow_none=True)
    block_reason = fields.String(
        required=True,
        allow_none=True,
        validate=validate.OneOf([reason.value for reason in BlockReason]),
        metadata={"description": "Waarom geblokkeerd: lost, stolen of other"},
    )
    replaces_id = fields.Integer(
        required=True, allow_none=True, metadata={"description": "De pas die deze verving"}
    )


class HouseholdPassesSchema(ma.Schema):
    date = fields.Date(required=True, metadata={"description": "Wie er op deze dag wonen"})
    items = fields.List(
        fields.Nested(PassSchema),
        required=True,
        metadata={"description": "Per lid (in volgorde van inwonen) de nieuwste pas eerst"},
    )


class IssueInSchema(ma.Schema):
    """No fields: the validity follows the one schedule (docs/passes.md)."""


class BlockInSchema(ma.Schema):
    reason = fields.Enum(
        BlockReason,
        by_value=True,
        required=True,
        metadata={"description": "lost (kwijt), stolen (gestolen) of other (iets anders)"},
    )


class ReplaceInSchema(ma.Schema):
    """No fields: the new pass keeps the old one's end date."""


class ReissueInSchema(ma.Schema):
    """No fields: the new pass is valid on the schedule from today."""
