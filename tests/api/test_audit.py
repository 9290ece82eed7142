"""GET /api/v1/audit-events: auditors only, every filter, newest first, pages with a Link header."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.core import clock
from almerepas.models import AuditEvent, Role
from tests.factories import make_staff, token_headers

T0 = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def auditor(app: Flask, db: Session) -> dict[str, str]:
    user, _password, _secret = make_staff(db, Role.auditor, app=app)
    return token_headers(db, user)


def seed(db: Session) -> None:
    """Seven events one hour apart, on an entity type no other test uses."""
    rows = [
        ("staff:anna", "household.view", "1"),
        ("staff:anna", "household.update", "1"),
        ("staff:bram", "household.view", "2"),
        ("cli:grants run", "grants.issue", "3"),
        ("staff:anna", "household.view", "2"),
        ("staff:bram", "household.update", "2"),
        ("staff:anna", "household.view", "3"),
    ]
    for hour, (actor, action, entity_id) in enumerate(rows):
        moment = T0 + dt.timedelta(hours=hour)
        with clock.frozen(lambda moment=moment: moment):
            audit.record(
                db, actor=Actor(actor), action=action, entity_type="apitest", entity_id=entity_id
            )


def get(client: FlaskClient, headers: dict[str, str], **query: Any) -> Any:
    return client.get(
        "/api/v1/audit-events", query_string={"entityType": "apitest", **query}, headers=headers
    )


def test_filters_each_narrow_the_list(
    client: FlaskClient, db: Session, auditor: dict[str, str]
) -> None:
    seed(db)

    def ids(**query: Any) -> list[tuple[str, str, str]]:
        response = get(client, auditor, **query)
        assert response.status_code == 200, response.get_json()
        return [(e["actor"], e["action"], e["entity_id"]) for e in response.get_json()["items"]]

    everything = ids()
    assert len(everything) == 7
    assert everything[0] == ("staff:anna", "household.view", "3")  # newest first
    assert ids(actor="staff:bram") == [
        ("staff:bram", "household.update", "2"),
        ("staff:bram", "household.view", "2"),
    ]
    assert [a for _, a, _ in ids(action="household.update")] == ["household.update"] * 2
    assert {e for _, _, e in ids(entityId="2")} == {"2"} and len(ids(entityId="2")) == 3
    window = ids(**{"from": "2026-05-01T13:00:00Z", "to": "2026-05-01T15:00:00Z"})
    assert window == [
        ("staff:bram", "household.view", "2"),
        ("staff:anna", "household.update", "1"),
    ]
    # A time without a zone is UTC; "to" is exclusive.
    assert ids(**{"from": "2026-05-01T18:00:00"}) == [everything[0]]
    assert ids(actor="staff:anna", action="household.view", entityId="2") == [
        ("staff:anna", "household.view", "2")
    ]
    assert ids(actor="nobody") == []


def test_pages_and_link_header(client: FlaskClient, db: Session, auditor: dict[str, str]) -> None:
    seed(db)
    first = get(client, auditor, pageSize=3)
    body = first.get_json()
    assert (body["page"], body["page_size"], body["total"]) == (1, 3, 7)
    links = {
        rel: parse_qs(urlsplit(url).query)
        for url, rel in re.findall(r'<([^>]*)>; rel="([a-z]+)"', first.headers["Link"])
    }
    assert {rel: query["page"] for rel, query in links.items()} == {
        "first": ["1"],
        "next": ["2"],
        "last": ["3"],
    }
    assert all(q["entityType"] == ["apitest"] and q["pageSize"] == ["3"] for q in links.values())
    last = get(client, auditor, pageSize=3, page=3).get_json()
    assert [e["entity_id"] for e in last["items"]] == ["1"]  # the oldest one
    seen = [
        e["id"]
        for page in (1, 2, 3)
        for e in get(client, auditor, pageSize=3, page=page).get_json()["items"]
    ]
    assert len(seen) == len(set(seen)) == 7


def test_each_event_shows_exactly_its_fields(
    client: FlaskClient, db: Session, auditor: dict[str, str]
) -> None:
    audit.record(
        db,
        action="household.update",
        entity_type="apitest",
        entity_id=9,
        changes={"street": ["A", "B"]},
        actor=Actor("staff:anna", "caseworker"),
    )
    item = get(client, auditor).get_json()["items"][0]
    assert set(item) == {
        "id",
        "occurred_at",
        "actor",
        "role",
        "action",
        "entity_type",
        "entity_id",
        "changes",
        "request_id",
    }
    assert item["changes"] == {"street": ["A", "B"]}
    assert dt.datetime.fromisoformat(item["occurred_at"]).tzinfo is not None


@pytest.mark.parametrize(
    "query",
    [
        {"from": "2026-05-02T00:00:00Z", "to": "2026-05-01T00:00:00Z"},
        {"from": "gisteren"},
        {"from": "0001-01-01T00:00:00+01:00"},
        {"actor": "a\x00b"},
        {"actor": "x" * 121},
        {"pageSize": 101},
        {"sort": "id"},
        {"entity_type": "apitest"},  # query keys are camelCase
    ],
)
def test_bad_filters_are_a_400(
    client: FlaskClient, auditor: dict[str, str], query: dict[str, Any]
) -> None:
    response = get(client, auditor, **query)
    assert response.status_code == 400
    assert response.get_json()["code"] == "validation_failed"


def test_only_auditors_read_the_log(app: Flask, client: FlaskClient, db: Session) -> None:
    for role in Role:
        user, _password, _secret = make_staff(db, role, app=app)
        response = get(client, token_headers(db, user))
        assert response.status_code == (200 if role is Role.auditor else 403), role


def test_reading_the_log_is_itself_logged(
    client: FlaskClient, db: Session, auditor: dict[str, str]
) -> None:
    seed(db)
    response = get(client, auditor, actor="staff:bram", pageSize=1)
    assert response.status_code == 200
    shown = [event["id"] for event in response.get_json()["items"]]
    read = db.scalars(select(AuditEvent).where(AuditEvent.action == "audit.read")).one()
    assert read.role == "auditor"
    assert read.changes == {
        "criteria": {"actor": "staff:bram", "entity_type": "apitest"},
        "page": 1,
        "events": shown,
    }
    # the read is not on the page it wrote, and the next read shows it
    assert "audit.read" not in str(response.get_json())
    again = client.get(
        "/api/v1/audit-events", query_string={"action": "audit.read"}, headers=auditor
    )
    assert [e["id"] for e in again.get_json()["items"]] == [read.id]
