"""Rows a hot path inserts with one Core statement, handed on as ORM objects without a read."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.orm import Session, make_transient_to_detached

T = TypeVar("T")


def attach(session: Session, obj: T) -> T:
    """Make ``obj`` (every column set, its id from ``INSERT ... RETURNING``) persistent in the
    session as if it had been loaded: no flush, no INSERT, no SELECT. Relationships that the
    caller does not set load as usual (from the identity map when their row is there)."""
    make_transient_to_detached(obj)
    session.add(obj)
    return obj
