"""``Idempotency-Key`` on partner requests that change money: the first answer, kept.

The view runs in the request's own transaction; then its answer is inserted under the key
(``INSERT ... ON CONFLICT DO NOTHING``) in that transaction, so it commits with what the view
did: one statement and no savepoint on the happy path. When the key was kept before, nothing is
inserted, the whole transaction is rolled back and the first answer (same status, same body) is
given instead, so a repeat writes nothing. The request has read, never written, before the view
runs (who is asking: ``@require_partner``), so rolling the transaction back undoes only the view.
Two requests with one key at once: PostgreSQL makes the second insert
wait for the first's uncommitted key, SQLite has one writer at a time. Refusals (404, 409,
422 with a code) are kept and repeated too; a request refused as bad input (400), or that
fails otherwise (500), keeps nothing: it may be fixed and sent again with the same key. The
same key with another request (method, path or body) is ``idempotency_key_reused``.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Response, make_response, request
from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from almerepas.core import clock
from almerepas.core.errors import DomainError
from almerepas.core.session import get_session
from almerepas.http.problems import PROBLEM_MIME, handle_domain_error
from almerepas.http.request_input import load_json
from almerepas.partners.auth import Principal
from almerepas.partners.errors import IdempotencyKeyMissing, IdempotencyKeyReused
from almerepas.redemptions.models import IdempotencyRecord

F = TypeVar("F", bound=Callable[..., Any])
HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200


def request_fingerprint() -> str:
    """SHA-256 of method, path and body; a JSON body in a canonical form (key order and
    spacing do not make it another request)."""
    raw = request.get_data(cache=True)
    try:  # the app's own reader: depth and number limits, so no input makes this a 500
        body = json.dumps(load_json(raw), sort_keys=True, separators=(",", ":")).encode()
    except (DomainError, ValueError):
        body = raw  # not JSON we read: the view refuses it with its own 400
    return hashlib.sha256(f"{request.method} {request.path}\n".encode() + body).hexdigest()


def _key() -> str:
    key = request.headers.get(HEADER, "").strip()
    if not key:
        raise IdempotencyKeyMissing()
    if len(key) > MAX_KEY_LENGTH or not key.isprintable() or not key.isascii():
        raise IdempotencyKeyMissing(
            detail=f"Een Idempotency-Key is gewone tekst van hoogstens {MAX_KEY_LENGTH} tekens."
        )
    return key


def _keep(session: Session, scope: str, key: str, digest: str, response: Response) -> bool:
    """Keep the answer under the key; False when the key was kept before (by a request that
    committed first: its answer is the one to give)."""
    values = {
        "scope": scope,
        "key": key,
        "request_hash": digest,
        "status": response.status_code,
        "body": response.get_data(as_text=True),
        "created_at": clock.now(),
    }
    connection = session.connection()
    kept = connection.scalar(_INSERT[connection.dialect.name], values)
    return kept is not None


_records = cast(Table, IdempotencyRecord.__table__)
#: _keep's INSERT per dialect, built once
_INSERT = {
    "postgresql": pg_insert(_records)
    .on_conflict_do_nothing(index_elements=["scope", "key"])
    .returning(_records.c.id),
    "sqlite": sqlite_insert(_records)
    .on_conflict_do_nothing(index_elements=["scope", "key"])
    .returning(_records.c.id),
}


def _replay(session: Session, scope: str, key: str, digest: str) -> Response:
    first = session.scalars(
        select(IdempotencyRecord)
        .where(IdempotencyRecord.scope == scope, IdempotencyRecord.key == key)
        .execution_options(populate_existing=True)
    ).one()
    if first.request_hash != digest:
        raise IdempotencyKeyReused()
    mimetype = PROBLEM_MIME if first.status >= 400 else "application/json"
    response = Response(first.body, status=first.status, mimetype=mimetype)
    response.headers["Idempotent-Replayed"] = "true"
    return response


def idempotent(view: F) -> F:
    """Run ``view`` once per key; put it under ``@require_partner`` and inside the unit of
    work (``@transactional`` above it), so the record commits with what the view did."""

    @functools.wraps(view)
    def wrapper(principal: Principal, *args: Any, **kwargs: Any) -> Response:
        key = _key()
        scope = f"partner:{principal.partner.id}"
        digest = request_fingerprint()
        session = get_session()
        try:
            response = make_response(view(principal, *args, **kwargs))
        except DomainError as error:
            if error.status == 400:  # bad input is not an answer to keep: fix it, send again
                raise
            session.rollback()  # keep nothing of what the view began, only its refusal
            response = handle_domain_error(error)
        if not _keep(session, scope, key, digest, response):
            session.rollback()  # undo what this second request did: the first one counts
            return _replay(session, scope, key, digest)
        return response

    return cast(F, wrapper)
