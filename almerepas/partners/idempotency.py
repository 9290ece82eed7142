"""``Idempotency-Key`` on partner requests that change money: the first answer, kept.

The key is claimed by inserting its record *first*, in the request's own transaction: a second
request with the same key waits on the unique index (PostgreSQL) or on the write lock (SQLite,
BEGIN IMMEDIATE) until the first commits, then finds its record and gets the same status and
body back, and writes nothing. Refusals (4xx with a code) are kept and repeated too; a request
that fails otherwise (a 500, a malformed body) keeps nothing, so it may be sent again. The same
key with another request (method, path or body) is ``idempotency_key_reused``.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Response, make_response, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from almerepas.core import clock
from almerepas.core.errors import DomainError
from almerepas.core.session import get_session
from almerepas.http.problems import PROBLEM_MIME, handle_domain_error
from almerepas.partners.auth import Principal
from almerepas.partners.errors import IdempotencyKeyMissing, IdempotencyKeyReused
from almerepas.redemptions.models import IdempotencyRecord

F = TypeVar("F", bound=Callable[..., Any])
HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
#: a record being written; no request ever sees it (it is committed with its answer)
PENDING = 0


def request_fingerprint() -> str:
    """SHA-256 of method, path and body; a JSON body in a canonical form (key order and
    spacing do not make it another request)."""
    raw = request.get_data(cache=True)
    try:
        body = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        body = raw
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


def _claim(session: Session, scope: str, key: str, digest: str) -> IdempotencyRecord | None:
    """Our new record, or None when the key was used before (the caller replays it)."""
    query = select(IdempotencyRecord).where(
        IdempotencyRecord.scope == scope, IdempotencyRecord.key == key
    )
    if session.scalar(query) is not None:
        return None
    record = IdempotencyRecord(
        scope=scope, key=key, request_hash=digest, status=PENDING, body="", created_at=clock.now()
    )
    try:
        with session.begin_nested():
            session.add(record)
    except IntegrityError:
        return None  # another request with this key committed while we looked
    return record


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
        record = _claim(session, scope, key, digest)
        if record is None:
            return _replay(session, scope, key, digest)
        try:
            with session.begin_nested():
                response = make_response(view(principal, *args, **kwargs))
        except DomainError as error:
            response = handle_domain_error(error)
        record.status = response.status_code
        record.body = response.get_data(as_text=True)
        session.flush()
        return response

    return cast(F, wrapper)
