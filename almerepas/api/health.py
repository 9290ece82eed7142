"""GET /health, /health/live and /health/ready: is the process up, and can it serve requests?"""

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

#: How long readiness waits for the database before it answers 503 (a load balancer's probe
#: gives up after a few seconds; a hung check must not hold a worker thread longer).
READY_TIMEOUT_MS = 2000


class HealthSchema(ma.Schema):
    status = fields.String(required=True, metadata={"example": "ok"})
    database = fields.String(required=True, metadata={"example": "ok"})
    migration = fields.String(
        required=True, metadata={"description": "De toegepaste migratie (head)"}
    )


class LivenessSchema(ma.Schema):
    status = fields.String(required=True, metadata={"example": "ok"})


def _check_database() -> dict[str, Any]:
    """Reach the database within READY_TIMEOUT_MS and compare its migration with the head."""
    try:
        with get_engine().connect().execution_options(sqlite_begin="DEFERRED") as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text(f"SET LOCAL statement_timeout = {READY_TIMEOUT_MS}"))
            conn.execute(text("SELECT 1"))
            current = current_revisions(conn)
    except DBAPIError as exc:
        raise DatabaseUnavailable() from exc
    heads = head_revisions()
    if current != heads:
        raise MigrationsPending()
    return {"status": "ok", "database": "ok", "migration": ",".join(sorted(heads))}


@blp.route("/health", operation_id="getHealth")
@blp.response(200, HealthSchema)
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
def health() -> dict[str, Any]:
    """Meld of de dienst werkt: database bereikbaar en alle migraties toegepast."""
    return _check_database()


@blp.route("/health/live", operation_id="getLiveness")
@blp.response(200, LivenessSchema)
def liveness() -> dict[str, Any]:
    """Meld of het proces leeft, zonder de database: een herstart helpt niet als die weg is."""
    return {"status": "ok"}


@blp.route("/health/ready", operation_id="getReadiness")
@blp.response(200, HealthSchema)
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
def readiness() -> dict[str, Any]:
    """Meld of deze instantie verzoeken kan afhandelen: database binnen twee seconden bereikbaar
    en alle migraties toegepast. Zo niet: 503, en de load balancer stuurt niets hierheen."""
    return _check_database()
