"""Write and query the append-only audit log: who did what, when, with before and after.

Every row names its ``Actor`` (who, in which role, in which request), passed in by the caller.
A BSN never reaches the log: any key with "bsn" in its name is masked, and so is any string
that looks like a valid BSN (nine digits that pass the eleven test). A resident's personal
values (names, birth date, address, contact, typed answers) are stored apart, in
``audit_value``, and the row refers to them, so erasure can delete them (``audit.values``).
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Select, Table, insert, select
from sqlalchemy.orm import Session

from almerepas.audit import values
from almerepas.audit.models import AuditEvent
from almerepas.core import clock
from almerepas.core.elfproef import passes_eleven_test

MASK = "***"


@dataclass(frozen=True)
class Actor:
    """Who acts, as the audit log writes it, and the request it came with.

    ``name`` is ``staff:<username>``, ``cli:<command>``, ``anonymous`` (a request without a
    login) or ``system``. The faces make it (almerepas.http.guard.current_actor for requests);
    operations take it as a parameter and write it on every row they record.
    """

    name: str
    role: str | None = None
    request_id: str | None = None

    def as_staff(self, username: str, role: str) -> Actor:
        """The same request, now acting as the staff member who just logged in."""
        return Actor(f"staff:{username}", role, self.request_id)


SYSTEM = Actor("system")


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    entity_type: str | None = None,
    entity_id: str | int | None = None,
    changes: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Add one audit event and flush it; the caller's commit makes it permanent."""
    event = AuditEvent(
        occurred_at=clock.now(),
        actor=actor.name[:120],
        role=actor.role,
        action=action,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        changes=_sealed(session, changes),
        request_id=actor.request_id,
    )
    session.add(event)
    session.flush()
    return event


def append(
    session: Session,
    *,
    actor: Actor,
    action: str,
    entity_type: str | None = None,
    entity_id: str | int | None = None,
    changes: Mapping[str, Any] | None = None,
) -> None:
    """The same row as ``record``, in one Core INSERT without an ORM object or flush: for a hot
    path (every redemption) that does not need the event back."""
    session.connection().execute(
        _INSERT,
        {
            "occurred_at": clock.now(),
            "actor": actor.name[:120],
            "role": actor.role,
            "action": action,
            "entity_type": entity_type,
            "entity_id": None if entity_id is None else str(entity_id),
            "changes": _sealed(session, changes),
            "request_id": actor.request_id,
        },
    )


_INSERT = insert(cast(Table, AuditEvent.__table__))


def _sealed(session: Session, changes: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """What the row's ``changes`` holds: scrubbed, personal values replaced by references."""
    if not changes:
        return None
    return values.seal(session, scrub(dict(changes)), keep=MASK)


def changes_between(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """The fields that differ, as ``{field: [before, after]}``; a missing field counts as None.

    Scrubbed, not yet sealed: ``record`` moves the personal values into ``audit_value``."""
    changed = {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }
    scrubbed: dict[str, list[Any]] = scrub(changed)
    return scrubbed


def looks_like_bsn(value: str) -> bool:
    """Could be a BSN: masked even when it is not one (000000000 passes the test too)."""
    return passes_eleven_test(value)


def scrub(value: Any, *, key: str = "") -> Any:
    """Make ``value`` JSON-safe and mask anything that is, or may be, a BSN."""
    if "bsn" in key.lower() and value is not None:
        if isinstance(value, list) and len(value) == 2:
            return [None if v is None else MASK for v in value]  # keep "it changed", not what
        return MASK
    if isinstance(value, Mapping):
        # A typed key named like a value reference is renamed: only ``record`` makes references.
        return {
            (f"{k}_typed" if str(k) == values.REF else str(k)): scrub(v, key=str(k))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [scrub(v) for v in value]
    if isinstance(value, str):
        return MASK if looks_like_bsn(value.replace(" ", "").replace(".", "")) else value
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, enum.Enum):
        return scrub(value.value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    return scrub(str(value))


def events_query(
    *,
    actor: str | None = None,
    action: str | None = None,
    entity_type: str | None = None,
    entity_id: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> Select[Any]:
    """Audit events matching every given filter, newest first (``until`` is exclusive)."""
    query = select(AuditEvent)
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if action:
        query = query.where(AuditEvent.action == action)
    if entity_type:
        query = query.where(AuditEvent.entity_type == entity_type)
    if entity_id:
        query = query.where(AuditEvent.entity_id == entity_id)
    if since is not None:
        query = query.where(AuditEvent.occurred_at >= since)
    if until is not None:
        query = query.where(AuditEvent.occurred_at < until)
    return query.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())


def record_read(
    session: Session,
    *,
    actor: Actor,
    criteria: Mapping[str, Any],
    page: int,
    events: list[int],
) -> None:
    """Write ``audit.read``: who looked at the log, with which filters, and which rows they saw.

    Reading the log is itself logged, so an auditor's look at it can be checked in turn.
    """
    record(
        session,
        actor=actor,
        action="audit.read",
        changes={
            "criteria": {k: v for k, v in criteria.items() if v is not None and v != ""},
            "page": page,
            "events": events,
        },
    )
