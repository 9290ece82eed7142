"""Residents' personal values in the audit log, kept in ``audit_value`` so erasure can remove them.

An event's ``changes`` holds ``{"value_ref": id}`` where a resident's name, birth date, address,
contact or typed answer would be; the rest of the event (who, what, when, which entity, which
fields) stays in the append-only ``audit_event``. Readers resolve the references in one query
per page of events; a value that erasure deleted reads as erased (docs/audit.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.orm import Session

from almerepas.audit.models import AuditValue
from almerepas.core import clock

#: The key a reference is written under: ``{"value_ref": 123}``.
REF = "value_ref"

#: Keys whose values are a resident's personal data: stored in ``audit_value``, never inline.
#: A key counts when it is one of these, or ends in ``-``/``.`` and one of these, so the typed
#: answers (``member-0-given_name``) and per-person keys (``person_5.email``) count too. Only
#: the top-level keys of ``changes`` (the fields changed): a search's ``criteria`` is what
#: staff typed, not a resident's record, and stays as it is.
#: Staff and partner users' own names (``display_name``, ``name``, ``username``) are staff data,
#: not a resident's, and stay inline; so do ids, districts and the PC4-level facts.
PERSONAL_KEYS = frozenset(
    {
        "given_name",
        "family_name",
        "date_of_birth",
        "born",
        "street",
        "house_number",
        "house_number_suffix",
        "suffix",
        "postcode",
        "email",
        "phone",
        "note",
        "info_request",
    }
)

_IN_CHUNKS = 500


def is_personal(key: str) -> bool:
    """Whether the value under ``key`` is a resident's personal data."""
    last = key.replace(".", "-").rsplit("-", 1)[-1]
    return key in PERSONAL_KEYS or last in PERSONAL_KEYS


def seal(session: Session, changes: dict[str, Any], *, keep: str) -> dict[str, Any]:
    """``changes`` (already scrubbed) with each personal value replaced by a reference to a new
    ``audit_value`` row; one INSERT for all of them, none when there are none. ``keep`` (the
    BSN mask) and a bool (a search's ``"date_of_birth": false``) say nothing personal and stay
    inline."""
    holders: list[dict[str, Any]] = []
    values: list[Any] = []

    def reference(value: Any) -> Any:
        if value == keep or isinstance(value, bool):  # a bool says whether, never what
            return value
        holder: dict[str, Any] = {}
        holders.append(holder)
        values.append(value)
        return holder

    sealed = {
        key: _personal(item, reference) if is_personal(key) else item
        for key, item in changes.items()
    }
    if values:
        now = clock.now()
        ids = session.connection().scalars(
            insert(_TABLE).returning(_TABLE.c.id, sort_by_parameter_order=True),
            [{"value": value, "created_at": now} for value in values],
        )
        for holder, value_id in zip(holders, ids.all(), strict=True):
            holder[REF] = value_id
    return sealed


_TABLE = cast(Table, AuditValue.__table__)


def _personal(value: Any, reference: Callable[[Any], Any]) -> Any:
    """A ``[before, after]`` pair keeps its shape (a null side stays null); anything else is
    one reference."""
    if value is None:
        return None
    if isinstance(value, list) and len(value) == 2:
        return [None if side is None else reference(side) for side in value]
    return reference(value)


def refs(changes: Any) -> set[int]:
    """Every ``audit_value`` id that ``changes`` refers to."""
    found: set[int] = set()

    def walk(value: Any) -> None:
        if isinstance(value, Mapping):
            if set(value) == {REF} and isinstance(value[REF], int):
                found.add(value[REF])
                return
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(changes)
    return found


def resolve_all(session: Session, all_changes: Iterable[Any], *, erased: Any) -> list[Any]:
    """Each of ``all_changes`` with its references replaced by the stored values, or by
    ``erased`` where erasure deleted one; one query for all of them."""
    listed = list(all_changes)
    wanted = sorted(set().union(*(refs(c) for c in listed))) if listed else []
    stored: dict[int, Any] = {}
    for start in range(0, len(wanted), _IN_CHUNKS):
        chunk = wanted[start : start + _IN_CHUNKS]
        query = select(AuditValue.id, AuditValue.value).where(AuditValue.id.in_(chunk))
        stored.update((row.id, row.value) for row in session.execute(query))

    def put(value: Any) -> Any:
        if isinstance(value, Mapping):
            if set(value) == {REF} and isinstance(value[REF], int):
                return stored.get(value[REF], erased)
            return {key: put(item) for key, item in value.items()}
        if isinstance(value, list):
            return [put(item) for item in value]
        return value

    return [put(changes) for changes in listed]


def remove(session: Session, ids: Iterable[int]) -> int:
    """Delete the stored values ``ids`` (erasure); how many there were."""
    wanted = sorted(set(ids))
    removed = 0
    for start in range(0, len(wanted), _IN_CHUNKS):
        chunk = wanted[start : start + _IN_CHUNKS]
        result = session.execute(delete(AuditValue).where(AuditValue.id.in_(chunk)))
        removed += cast(int, getattr(result, "rowcount", 0))
    return removed


#: What an erased value reads as in the API and the access-request export.
ERASED: dict[str, bool] = {"erased": True}


def changes_of(session: Session, events: Iterable[Any], *, erased: Any = ERASED) -> dict[int, Any]:
    """Each event's ``changes`` as shown, by event id: references resolved in one query."""
    listed = list(events)
    return dict(
        zip(
            [event.id for event in listed],
            resolve_all(session, [event.changes for event in listed], erased=erased),
            strict=True,
        )
    )
