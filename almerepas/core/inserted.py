"""Rows a hot path inserts with one Core statement, handed on as ORM objects without a read."""

from __future__ import annotations

from typing import Any, TypeVar, cast

from sqlalchemy import FromClause, Label, RowMapping, inspect
from sqlalchemy.orm import Session, make_transient_to_detached

T = TypeVar("T")


def attach(session: Session, obj: T) -> T:
    """Make ``obj`` (every column set, its id from ``INSERT ... RETURNING``) persistent in the
    session as if it had been loaded: no flush, no INSERT, no SELECT. Relationships that the
    caller does not set load as usual (from the identity map when their row is there)."""
    make_transient_to_detached(obj)
    session.add(obj)
    return obj


def columns_of(table_alias: FromClause, cls: type[Any], prefix: str) -> list[Label[Any]]:
    """Every mapped column of ``cls``, from ``table_alias``, labelled ``<prefix><attribute>``:
    the columns a hot path selects with Core to hand the row on as objects (``loaded``)."""
    mapper = inspect(cls)
    return [
        table_alias.c[attr.columns[0].key].label(prefix + attr.key) for attr in mapper.column_attrs
    ]


def loaded(session: Session, cls: type[T], row: RowMapping, prefix: str) -> T:
    """The object of ``cls`` a Core row holds (its columns selected with ``columns_of``), as
    the ORM would give it: the session's own object when it has that row already, else a new
    one made persistent without a query. Cheaper than an ORM select for a few rows a request."""
    mapper = inspect(cls)
    values = {attr.key: row[prefix + attr.key] for attr in mapper.column_attrs}
    identity = mapper.identity_key_from_primary_key([values[c.key] for c in mapper.primary_key])
    existing = session.identity_map.get(identity)
    if existing is not None:
        return cast(T, existing)
    return attach(session, cls(**values))
