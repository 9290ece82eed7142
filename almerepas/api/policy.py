"""The gemeente's choices on eligibility (income/policy.py): every role reads, policy changes."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields

from almerepas.core.session import get_session, transactional
from almerepas.http.guard import current_actor, require_role
from almerepas.http.i18n import translate
from almerepas.http.rest import Blueprint
from almerepas.income import policy

blp = Blueprint("policy", __name__, description="Keuzes van de gemeente (beleidsinstellingen)")


class PolicySettingSchema(ma.Schema):
    key = fields.String(required=True, metadata={"example": "lodgers"})
    label = fields.String(required=True)
    explanation = fields.String(required=True)
    source = fields.String(required=True, metadata={"description": "Wetsartikel of beleid"})
    value = fields.Raw(required=True, allow_none=True, metadata={"description": "Zoals het nu is"})
    default = fields.Raw(required=True, allow_none=True)
    changed_by = fields.String(allow_none=True)
    changed_at = fields.DateTime(allow_none=True)


class PolicySettingListSchema(ma.Schema):
    items = fields.List(fields.Nested(PolicySettingSchema), required=True)


class PolicyValueSchema(ma.Schema):
    value = fields.Raw(required=True, allow_none=True, metadata={"example": "household"})


def _rows() -> list[dict[str, Any]]:
    session = get_session()
    current = policy.load_policy(session)
    stored = policy.stored_settings(session)
    return [
        {
            "key": key,
            "label": translate(setting.label),
            "explanation": translate(setting.explanation),
            "source": setting.source,
            "value": setting.dump(getattr(current, key)),
            "default": setting.default,
            "changed_by": stored[key].changed_by if key in stored else None,
            "changed_at": stored[key].changed_at if key in stored else None,
        }
        for key, setting in policy.SETTINGS.items()
    ]


@blp.route("/policy-settings", operation_id="listPolicySettings")
@require_role("policy.read")
@blp.response(200, PolicySettingListSchema)
@transactional
def list_settings() -> dict[str, Any]:
    """Toon de keuzes van de gemeente, met hun standaardwaarde en bron."""
    return {"items": _rows()}


@blp.route("/policy-settings/<key>", methods=["PUT"], operation_id="changePolicySetting")
@require_role("policy.write")
@blp.arguments(PolicyValueSchema)
@blp.response(200, PolicySettingSchema)
@transactional
def change_setting(body: dict[str, Any], key: str) -> dict[str, Any]:
    """Verander een keuze; de wijziging komt in het auditlog."""
    policy.change_setting(get_session(), key, body["value"], actor=current_actor())
    return next(row for row in _rows() if row["key"] == key)
