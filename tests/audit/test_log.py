"""The audit log is append-only on both databases, says who did what, and never holds a BSN."""

from __future__ import annotations

import datetime as dt
import enum
import json

import pytest
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from almerepas.audit import log as audit
from almerepas.audit import values
from almerepas.audit.log import SYSTEM, Actor
from almerepas.core.session import get_session
from almerepas.models import AuditEvent
from tests.conftest import Backend

BSN = "111222333"  # passes the eleven test


def test_audit_events_cannot_be_changed_or_deleted(owner_db: Session) -> None:
    """The triggers hold even for the schema's owner (the application role has no such rights)."""
    db = owner_db
    event = audit.record(
        db, actor=SYSTEM, action="test.append_only", entity_type="test", entity_id=1
    )
    for statement in (
        "UPDATE audit_event SET actor = 'someone else' WHERE id = :id",
        "DELETE FROM audit_event WHERE id = :id",
        "DELETE FROM audit_event",
    ):
        with pytest.raises(DBAPIError, match="append-only"), db.begin_nested():
            db.execute(text(statement), {"id": event.id})
    actor = db.execute(
        text("SELECT actor FROM audit_event WHERE id = :id"), {"id": event.id}
    ).scalar_one()
    assert actor == "system"


#: Statements that would overwrite an existing row by inserting one with its id. SQLite's REPLACE
#: conflict resolution deletes the old row without firing delete triggers (recursive_triggers is
#: off); PostgreSQL's upsert updates it.
_COLUMNS = "(id, occurred_at, actor, action, entity_type, entity_id)"
_FORGED = "VALUES (:id, '2026-01-01 00:00:00', 'forger', 'test.forged', 'test', '1')"
OVERWRITES = {
    "sqlite": [
        f"INSERT OR REPLACE INTO audit_event {_COLUMNS} {_FORGED}",
        f"REPLACE INTO audit_event {_COLUMNS} {_FORGED}",
        f"INSERT INTO audit_event {_COLUMNS} {_FORGED} "
        "ON CONFLICT (id) DO UPDATE SET actor = excluded.actor",
        f"INSERT OR IGNORE INTO audit_event {_COLUMNS} {_FORGED}",
    ],
    "postgresql": [
        f"INSERT INTO audit_event {_COLUMNS} {_FORGED} "
        "ON CONFLICT (id) DO UPDATE SET actor = excluded.actor, action = excluded.action",
    ],
}


def test_an_insert_cannot_overwrite_an_audit_event(backend: Backend, owner_db: Session) -> None:
    """Refused by the triggers, so even for the schema's owner."""
    db = owner_db
    event = audit.record(
        db, actor=SYSTEM, action="test.append_only", entity_type="test", entity_id=1
    )
    for statement in OVERWRITES[backend.name]:
        with pytest.raises(DBAPIError, match="append-only"), db.begin_nested():
            db.execute(text(statement), {"id": event.id})
    row = db.execute(
        text("SELECT actor, action, entity_id FROM audit_event WHERE id = :id"), {"id": event.id}
    ).one()
    assert tuple(row) == ("system", "test.append_only", "1")
    assert db.execute(text("SELECT count(*) FROM audit_event")).scalar_one() == 1
    # A new row still gets the next id, and UPDATE and DELETE stay refused.
    assert audit.record(db, actor=SYSTEM, action="test.next").id > event.id
    for statement in ("UPDATE audit_event SET actor = 'x'", "DELETE FROM audit_event"):
        with pytest.raises(DBAPIError, match="append-only"), db.begin_nested():
            db.execute(text(statement))


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_an_audit_event_cannot_take_an_id_below_one(backend: Backend, db: Session) -> None:
    """SQLite only: a new row's id is -1 while its BEFORE INSERT triggers run, so a real row with
    id -1 would make every later insert look like an overwrite. PostgreSQL has no such case."""
    for forged_id in (-1, 0):
        with pytest.raises(DBAPIError, match="append-only"), db.begin_nested():
            db.execute(text(f"INSERT INTO audit_event {_COLUMNS} {_FORGED}"), {"id": forged_id})
    assert audit.record(db, actor=SYSTEM, action="test.after_forgery").id >= 1


def test_record_writes_the_actor_it_is_given(db: Session) -> None:
    event = audit.record(db, actor=SYSTEM, action="test.batch")
    assert (event.actor, event.role, event.request_id) == ("system", None, None)
    event = audit.record(db, action="test.cli", actor=Actor("cli:staff create"))
    assert event.actor == "cli:staff create"
    assert event.occurred_at.tzinfo is not None


def test_a_typed_value_shaped_like_a_reference_never_becomes_one(db: Session) -> None:
    """Only record makes references: erasing one household must not reach another's value."""
    given = audit.record(db, actor=SYSTEM, action="test.person", changes={"given_name": "Anna"})
    (ref,) = values.refs(given.changes)
    typed = audit.record(
        db, actor=SYSTEM, action="test.search", changes={"criteria": {"value_ref": ref}}
    )
    assert values.refs(typed.changes) == set()
    assert typed.changes == {"criteria": {"value_ref_typed": ref}}


def test_changes_between_keeps_only_what_changed() -> None:
    before = {"street": "Stadhuisplein", "number": 1, "suffix": None, "gone": "x"}
    after = {"street": "Stadhuisplein", "number": 2, "suffix": "A", "new": dt.date(2026, 1, 1)}
    assert audit.changes_between(before, after) == {
        "number": [1, 2],
        "suffix": [None, "A"],
        "gone": ["x", None],
        "new": [None, "2026-01-01"],
    }
    assert audit.changes_between(before, before) == {}


class Colour(enum.StrEnum):
    red = "red"


def test_no_bsn_reaches_the_audit_log(db: Session) -> None:
    changes = {
        **audit.changes_between({"bsn": None, "name": "A"}, {"bsn": BSN, "name": "B"}),
        "person": {"BSN": BSN, "bsn_hash": "abc123"},
        "note": BSN,
        "spaced": "1112.22.333",
        "search": [BSN],
        "colour": Colour.red,
        "amount": 12345,
    }
    event = audit.record(
        db, actor=SYSTEM, action="test.bsn", entity_type="person", entity_id=7, changes=changes
    )
    stored = db.execute(
        text("SELECT changes FROM audit_event WHERE id = :id"), {"id": event.id}
    ).scalar_one()
    raw = stored if isinstance(stored, str) else json.dumps(stored)
    assert BSN not in raw
    assert "1112.22.333" not in raw
    assert event.changes == {
        "bsn": [None, "***"],  # the fact that it changed, not the number
        "name": ["A", "B"],
        "person": {"BSN": "***", "bsn_hash": "***"},
        "note": "***",
        "spaced": "***",
        "search": ["***"],
        "colour": "red",
        "amount": 12345,
    }


def test_looks_like_bsn_uses_the_eleven_test() -> None:
    assert audit.looks_like_bsn(BSN)
    assert not audit.looks_like_bsn("111222334")
    assert not audit.looks_like_bsn("12345678")
    assert not audit.looks_like_bsn("١١١٢٢٢٣٣٣")  # other scripts' digits are not a BSN


def test_the_actor_of_a_request_is_the_logged_in_staff_member(app: Flask, db: Session) -> None:
    from almerepas.http.guard import SESSION_TOKEN_KEY, current_actor
    from almerepas.models import Role
    from almerepas.staff.tokens import issue_token
    from tests.factories import make_staff

    user, _password, _secret = make_staff(db, Role.caseworker, app=app)
    token = issue_token(db, user)
    headers = {"X-Request-ID": "request-id-12345"}
    with app.test_request_context("/medewerkers", headers=headers) as ctx:
        ctx.session[SESSION_TOKEN_KEY] = token
        session = get_session()  # the request's own session, as a view would use
        audit.record(
            session,
            actor=current_actor(),
            action="household.view",
            entity_type="household",
            entity_id=3,
        )
        session.commit()
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "household.view")).one()
    assert event.actor == f"staff:{user.username}"
    assert event.role == "caseworker"
    assert event.request_id == "request-id-12345"
    assert event.entity_id == "3"


#: What the application's database role must not be able to do to the audit log: PostgreSQL
#: refuses each for want of a right ("permission denied") or of ownership ("must be owner"),
#: before any trigger runs.
NOT_FOR_THE_APPLICATION = [
    "ALTER TABLE audit_event DISABLE TRIGGER ALL",
    "ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only",
    "DROP TRIGGER audit_event_append_only ON audit_event",
    "ALTER TABLE audit_event RENAME TO audit_event_old",
    "DROP TABLE audit_event",
    "UPDATE audit_event SET actor = 'someone else'",
    f"INSERT INTO audit_event {_COLUMNS} VALUES (1, now(), 'forger', 'test.forged', 'test', '1') "
    "ON CONFLICT (id) DO UPDATE SET actor = excluded.actor",
    "DELETE FROM audit_event",
    "TRUNCATE audit_event",
    "SELECT setval('audit_event_id_seq', 1)",
    "UPDATE alembic_version SET version_num = 'x'",
]


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
@pytest.mark.parametrize("statement", NOT_FOR_THE_APPLICATION)
def test_the_application_role_can_only_read_and_add_audit_events(
    backend: Backend, db: Session, statement: str
) -> None:
    """The suite's sessions connect as the application role, as production should (README)."""
    event = audit.record(db, actor=SYSTEM, action="test.app_role", entity_type="test", entity_id=1)
    with pytest.raises(DBAPIError, match=r"permission denied|must be owner"), db.begin_nested():
        db.execute(text(statement))
    assert db.execute(text("SELECT actor FROM audit_event")).scalars().all() == ["system"]
    assert db.get(AuditEvent, event.id) is event
    owner, superuser = db.execute(
        text(
            "SELECT pg_has_role(current_user, tableowner, 'MEMBER'), rolsuper FROM pg_tables "
            "JOIN pg_roles ON rolname = current_user WHERE tablename = 'audit_event'"
        )
    ).one()
    assert (owner, superuser) == (False, False)
