"""GET /health: is the database reachable and is the schema at the migration head?"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from almerepas.core.errors import DatabaseUnavailable, MigrationsPending
from almerepas.core.migrate import current_revisions, head_revisions
from almerepas.core.session import get_engine
from almerepas.http.rest import Blueprint

blp = Blueprint("health", __name__, description="Werkt de dienst?")


class HealthSchema(ma.Schema):
    status = fields.String(required=True, metadata={"example": "ok"})
    database = fields.String(required=True, metadata={"example": "ok"})
    migration = fields.String(
        required=True, metadata={"description": "De toegepaste migratie (head)"}
    )


@blp.route("/health", operation_id="getHealth")
@blp.response(200, HealthSchema)
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
def health() -> dict[str, Any]:
    """Meld of de dienst werkt: database bereikbaar en alle migraties toegepast."""
    try:
        with get_engine().connect().execution_options(sqlite_begin="DEFERRED") as conn:
            conn.execute(text("SELECT 1"))
            current = current_revisions(conn)
    except DBAPIError as exc:
        raise DatabaseUnavailable() from exc
    heads = head_revisions()
    if current != heads:
        raise MigrationsPending()
    return {"status": "ok", "database": "ok", "migration": ",".join(sorted(heads))}
