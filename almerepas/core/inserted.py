"""Rows a hot path inserts with one Core statement, handed on as ORM objects without a read."""

from __future__ import annotations

from typing import Any, TypeVar, cast

from sqlalchemy import FromClause, Label, RowMapping, inspect
from sqlalchemy.orm import Mapper, Session, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state, set_committed_value

T = TypeVar("T")


def attach(session: Session, obj: T) -> T:
    """Make ``obj`` (every column set, its id from ``INSERT ... RETURNING``) persistent in the
    session as if it had been loaded: no flush, no INSERT, no SELECT. Relationships that the
    caller does not set load as usual (from the identity map when their row is there)."""
    make_transient_to_detached(obj)
    session.add(obj)
    return obj


def columns_of(
    table_alias: FromClause, cls: type[Any], prefix: str, only: tuple[str, ...] = ()
) -> list[Label[Any]]:
    """The mapped columns of ``cls`` (``only`` these attributes, if given; the primary key
    always), from ``table_alias``, labelled ``<prefix><attribute>``: the columns a hot path
    selects with Core to hand the row on as objects (``loaded`` with the same ``only``)."""
    mapper = inspect(cls)
    return [
        table_alias.c[attr.columns[0].key].label(prefix + attr.key)
        for attr in mapper.column_attrs
        if _wanted(mapper, attr.key, only)
    ]


def _wanted(mapper: Mapper[Any], key: str, only: tuple[str, ...]) -> bool:
    if not only or key in only:
        return True
    return any(mapper.get_property_by_column(column).key == key for column in mapper.primary_key)


def loaded(
    session: Session, cls: type[T], row: RowMapping, prefix: str, only: tuple[str, ...] = ()
) -> T:
    """The object of ``cls`` a Core row holds (its columns selected with ``columns_of``): the
    session's own object when it has that row already, its unchanged attributes brought up to
    the row (a device revoked by another session is seen revoked), else a new one made
    persistent without a query. Cheaper than an ORM select for a few rows a request. With
    ``only``, the attributes not selected load on first use, as an expired attribute does."""
    mapper, keys, primary = _PLANS.get((cls, prefix, only)) or _plan(cls, prefix, only)
    values = {key: row[label] for key, label in keys}
    identity = mapper.identity_key_from_primary_key(tuple(values[key] for key in primary))
    existing = session.identity_map.get(identity)
    if existing is not None:
        changed = instance_state(existing).committed_state
        for key, value in values.items():
            if key not in changed:
                set_committed_value(existing, key, value)
        return cast(T, existing)
    obj = mapper.class_manager.new_instance()  # as the ORM's loader does: no __init__, no events
    instance_state(obj).dict.update(values)
    return attach(session, cast(T, obj))


_Plan = tuple[Mapper[Any], list[tuple[str, str]], list[str]]
#: (class, prefix, only) -> what loaded needs of the mapper, worked out once
_PLANS: dict[tuple[type[Any], str, tuple[str, ...]], _Plan] = {}


def _plan(cls: type[Any], prefix: str, only: tuple[str, ...]) -> _Plan:
    """For loaded, once per class: the mapper, (attribute, label) pairs, the primary key's."""
    mapper = inspect(cls)
    keys = [
        (attr.key, prefix + attr.key)
        for attr in mapper.column_attrs
        if _wanted(mapper, attr.key, only)
    ]
    primary = [mapper.get_property_by_column(column).key for column in mapper.primary_key]
    _PLANS[(cls, prefix, only)] = (mapper, keys, primary)
    return _PLANS[(cls, prefix, only)]
