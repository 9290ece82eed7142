"""GET /audit-events: the audit log for auditors, filtered and paginated, newest first.

Each read writes its own ``audit.read`` row (after the page is read, so it is not on it).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import marshmallow as ma
from marshmallow import fields, validates_schema

from almerepas.audit import log as audit
from almerepas.audit import values
from almerepas.core.paging import paginate
from almerepas.core.session import get_session, transactional
from almerepas.http.api_doc import PAGE_HEADERS
from almerepas.http.guard import current_actor, require_role
from almerepas.http.pagination import link_header
from almerepas.http.rest import Blueprint
from almerepas.http.schemas import PageArgsSchema, PageSchema, text

blp = Blueprint("audit", __name__, description="Het auditlog (alleen voor auditors)")


def _text(max_length: int, description: str, data_key: str | None = None) -> fields.String:
    """Printable text only: a NUL or other control character is refused, never sent to SQL."""
    return text(
        max_length, required=False, data_key=data_key, metadata={"description": description}
    )


def _plausible(value: dt.datetime) -> None:
    """Far-off years overflow when converted to UTC; nothing in the log is that old or new."""
    if not 1970 <= value.year <= 9998:
        raise ma.ValidationError("Kies een moment tussen 1970 en 9998")


def _moment(data_key: str, description: str) -> fields.AwareDateTime:
    return fields.AwareDateTime(
        data_key=data_key,
        default_timezone=dt.UTC,
        validate=_plausible,
        metadata={"description": description},
    )


class AuditQuerySchema(PageArgsSchema):
    actor = _text(120, "Wie: staff:<gebruikersnaam>, cli:<opdracht>, system of anonymous")
    action = _text(60, "Wat, bijvoorbeeld household.view of staff.login")
    entity_type = _text(40, "Soort gegeven, bijvoorbeeld household", "entityType")
    entity_id = _text(40, "Id van het gegeven", "entityId")
    since = _moment("from", "Vanaf dit moment (ISO 8601; zonder tijdzone: UTC)")
    until = _moment("to", "Tot dit moment, niet meegerekend (ISO 8601; zonder tijdzone: UTC)")

    @validates_schema
    def _period(self, data: dict[str, Any], **_kwargs: Any) -> None:
        since, until = data.get("since"), data.get("until")
        if since is not None and until is not None and until <= since:
            raise ma.ValidationError("'to' moet na 'from' liggen", field_name="to")


class AuditEventSchema(ma.Schema):
    id = fields.Integer(required=True)
    occurred_at = fields.AwareDateTime(required=True)
    actor = fields.String(required=True)
    role = fields.String(allow_none=True)
    action = fields.String(required=True)
    entity_type = fields.String(allow_none=True)
    entity_id = fields.String(allow_none=True)
    changes = fields.Dict(
        keys=fields.String(),
        allow_none=True,
        metadata={
            "description": "Alleen de gewijzigde velden: {veld: [voor, na]}. Een persoonsgegeven "
            'dat na de bewaartermijn gewist is, staat er als {"erased": true}'
        },
    )
    request_id = fields.String(allow_none=True)


class AuditEventPageSchema(PageSchema):
    items = fields.List(fields.Nested(AuditEventSchema), required=True)


@blp.route("/audit-events", operation_id="listAuditEvents")
@require_role("audit.read")
@blp.arguments(AuditQuerySchema, location="query", as_kwargs=True)
@blp.response(200, AuditEventPageSchema, headers=PAGE_HEADERS)
@transactional
def list_audit_events(
    page: int, page_size: int, **filters: Any
) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Toon gebeurtenissen uit het auditlog, de nieuwste eerst."""
    query = audit.events_query(**filters)
    session = get_session()
    result = paginate(session, query, page=page, page_size=page_size)
    audit.record_read(
        session,
        actor=current_actor(),
        criteria=filters,
        page=result.page,
        events=[event.id for event in result.items],
    )
    changes = values.changes_of(session, result.items)
    body = {
        "items": [_shown(event, changes[event.id]) for event in result.items],
        "page": result.page,
        "page_size": result.page_size,
        "total": result.total,
    }
    return body, 200, {"Link": link_header(result)}


def _shown(event: Any, changes: Any) -> dict[str, Any]:
    """The event as the API shows it, its personal values looked up (or erased)."""
    columns = ("id", "occurred_at", "actor", "role", "action", "entity_type", "entity_id")
    return {name: getattr(event, name) for name in columns} | {
        "changes": changes,
        "request_id": event.request_id,
    }
