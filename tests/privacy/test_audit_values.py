"""Erasure reaches the audit log: residents' values live in audit_value, the events stay whole."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import JSON, String, Text, select
from sqlalchemy.orm import Session

from almerepas.audit import log as audit
from almerepas.audit import values
from almerepas.audit.log import Actor
from almerepas.casework import operations as casework
from almerepas.core.db import Base
from almerepas.households.members import Address
from almerepas.households.models import Household, MemberRole
from almerepas.http.guard import SESSION_TOKEN_KEY
from almerepas.models import AuditEvent, Role
from almerepas.privacy import erasure
from almerepas.staff.tokens import issue_token
from tests.factories import KEYS, make_staff, staff_headers
from tests.fixtures import FrozenClock

CASEWORKER = Actor("staff:anna", "caseworker")
ERASED = {"erased": True}


def family(
    session: Session, *, name: str, street: str, email: str, given: str = "Noor",
    born: dt.date = dt.date(1980, 4, 17),
) -> Household:  # fmt: skip
    """A household made as a caseworker makes it: created, a member added, then it moves."""
    household = casework.register_household(
        session,
        address=Address(postcode="1315 AB", house_number=7, street=f"{street} Oud"),
        email=email,
        actor=CASEWORKER,
    )
    casework.add_person(
        session, household, given_name=given, family_name=name, date_of_birth=born,
        role=MemberRole.applicant,
        valid_from=dt.date(2026, 3, 1), today=dt.date(2026, 3, 2), email=email,
        keys=KEYS, actor=CASEWORKER,
    )  # fmt: skip
    casework.move_within_almere(
        session,
        household,
        address=Address(postcode="1315 AB", house_number=9, street=street),
        actor=CASEWORKER,
    )
    return household


def events_of(session: Session, household: Household) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == "household")
            .where(AuditEvent.entity_id == str(household.id))
            .order_by(AuditEvent.id)
        )
    )


def facts(events: list[AuditEvent]) -> list[tuple[Any, ...]]:
    """What an event says apart from the values: who, what, when, about which, which fields."""
    return [
        (e.id, e.occurred_at, e.actor, e.role, e.action, e.entity_type, e.entity_id, e.changes)
        for e in events
    ]


def all_text(session: Session) -> str:
    """Every text and JSON column of every table, as one text to search in."""
    found: list[str] = []
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
        if columns:
            found.extend(str(tuple(r)) for r in session.execute(select(*columns)))
    return "\n".join(found)


def erase_all(session: Session) -> erasure.Erased:
    """The nightly run in 2036, long after these households were last touched."""
    moment = dt.datetime(2036, 1, 5, 3, 0, tzinfo=dt.UTC)
    return erasure.erase(
        session, today=moment.date(), years=7, now=moment,
        actor=Actor("cli:privacy-erase"),
    )  # fmt: skip


def test_the_log_holds_references_not_the_values(
    reference: Session, frozen_clock: FrozenClock
) -> None:
    household = family(reference, name="Zwanenburg", street="Lindelaan", email="noor@example.nl")

    events = events_of(reference, household)

    assert [e.action for e in events] == [
        "household.create",
        "household.add_member",
        "household.address_change",
    ]
    stored = str([e.changes for e in events])
    for value in ("Zwanenburg", "Noor", "Lindelaan", "noor@example.nl", "1980-04-17", "1315AB"):
        assert value not in stored
    create, member, moved = (e.changes or {} for e in events)
    assert set(create["street"][1]) == {"value_ref"} and create["street"][0] is None
    assert create["district"] == [None, household.district]  # not personal: inline
    assert set(member["family_name"][1]) == {"value_ref"}
    assert member["person"][1] == household.memberships[0].person_id
    assert set(moved) == {"street", "house_number"}
    shown = audit_values_of(reference, events)
    assert shown[1]["family_name"] == [None, "Zwanenburg"]
    assert shown[1]["date_of_birth"] == [None, "1980-04-17"]
    assert shown[2]["street"] == ["Lindelaan Oud", "Lindelaan"]
    assert shown[2]["house_number"] == [7, 9]


def audit_values_of(session: Session, events: list[AuditEvent]) -> list[Any]:
    """Each event's changes as the readers show them."""
    changes = values.changes_of(session, events)
    return [changes[e.id] for e in events]


def test_erasure_removes_the_values_and_keeps_every_event(
    reference: Session, frozen_clock: FrozenClock
) -> None:
    gone = family(reference, name="Zwanenburg", street="Lindelaan", email="noor@example.nl")
    frozen_clock.set(dt.datetime(2035, 6, 1, 9, 0, tzinfo=dt.UTC))  # still within retention
    kept = family(
        reference, name="Akkerman", street="Eikenlaan", email="sam@example.nl", given="Sam",
        born=dt.date(1990, 2, 3),
    )  # fmt: skip
    before, kept_before = facts(events_of(reference, gone)), facts(events_of(reference, kept))
    assert "Zwanenburg" in str(audit_values_of(reference, events_of(reference, gone)))

    done = erase_all(reference)

    assert done.households == [gone.id] and done.audit_values >= 8
    reference.expire_all()
    after = facts(events_of(reference, gone))
    assert after[:-1] == before  # same ids, moments, actors, actions, entities and references
    assert after[-1][4] == "privacy.erase"
    assert facts(events_of(reference, kept)) == kept_before
    shown = audit_values_of(reference, events_of(reference, gone))
    assert shown[1]["family_name"] == [None, ERASED] and shown[2]["street"] == [ERASED, ERASED]
    assert shown[2]["house_number"] == [ERASED, ERASED]
    text = all_text(reference)
    for value in ("Zwanenburg", "Noor", "Lindelaan", "noor@example.nl", "1980-04-17"):
        assert value not in text, value
    assert "Akkerman" in text and "Eikenlaan" in text
    kept_shown = audit_values_of(reference, events_of(reference, kept))
    assert kept_shown[1]["family_name"] == [None, "Akkerman"]
    row = reference.scalars(select(AuditEvent).where(AuditEvent.action == "privacy.erase")).one()
    assert row.changes is not None and row.changes["audit_values"] == done.audit_values


def test_the_api_the_page_and_the_export_show_values_until_erased(
    app: Flask,
    client: FlaskClient,
    reference: Session,
    frozen_clock: FrozenClock,
) -> None:
    household = family(reference, name="Zwanenburg", street="Lindelaan", email="noor@example.nl")
    auditor = staff_headers(client, reference, Role.auditor)
    caseworker = staff_headers(client, reference, Role.caseworker)
    page = app.test_client()
    user, _password, _secret = make_staff(reference, Role.auditor, app=app)
    with page.session_transaction() as cookie:
        cookie[SESSION_TOKEN_KEY] = issue_token(reference, user)
    query = f"entityType=household&entityId={household.id}"

    def api_changes() -> dict[str, Any]:
        response = client.get(f"/api/v1/audit-events?{query}", headers=auditor)
        assert response.status_code == 200, response.json
        assert response.json is not None
        return {e["action"]: e["changes"] for e in response.json["items"]}

    def exported() -> dict[str, Any]:
        url = f"/api/v1/households/{household.id}/privacy-export"
        response = client.get(url, headers=caseworker)
        assert response.status_code == 200, response.json
        assert response.json is not None
        return {e["action"]: e["changes"] for e in response.json["audit_events"]}

    assert api_changes()["household.add_member"]["family_name"] == [None, "Zwanenburg"]
    assert exported()["household.address_change"]["street"] == ["Lindelaan Oud", "Lindelaan"]
    html = page.get(f"/medewerkers/audit?{query}").get_data(as_text=True)
    assert 'family_name: null → "Zwanenburg"' in html

    erase_all(reference)

    assert api_changes()["household.add_member"]["family_name"] == [None, ERASED]
    assert exported()["household.create"]["email"] == [None, ERASED]
    html = page.get(f"/medewerkers/audit?{query}").get_data(as_text=True)
    assert "family_name: null → <em>(gewist)</em>" in html and "Zwanenburg" not in html


def test_a_masked_bsn_and_plain_fields_stay_in_the_row(db: Session) -> None:
    event = audit.record(
        db,
        actor=CASEWORKER,
        action="household.add_member",
        entity_type="household",
        entity_id=1,
        changes={"bsn": [None, "111222333"], "role": [None, "applicant"], "note": None},
    )

    assert event.changes == {"bsn": [None, "***"], "role": [None, "applicant"], "note": None}


def test_the_fast_path_writes_references_too(db: Session) -> None:
    audit.append(
        db, actor=CASEWORKER, action="household.contact_change", entity_type="household",
        entity_id=2, changes={"email": ["oud@example.nl", None], "language": ["nl", "en"]},
    )  # fmt: skip

    event = db.scalars(select(AuditEvent).where(AuditEvent.entity_id == "2")).one()
    assert "oud@example.nl" not in str(event.changes)
    assert values.changes_of(db, [event])[event.id] == {
        "email": ["oud@example.nl", None],
        "language": ["nl", "en"],
    }
