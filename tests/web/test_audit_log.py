"""/medewerkers/audit: the auditor's table of events, with a filter form that works without JS."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import html5lib
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almerepas.audit import log as audit
from almerepas.audit.log import SYSTEM, Actor
from almerepas.http.guard import SESSION_TOKEN_KEY
from almerepas.models import AuditEvent, Role
from almerepas.staff.tokens import issue_token
from tests.factories import make_staff
from tests.fixtures import FrozenClock


def logged_in(app: Flask, db: Session, role: Role) -> FlaskClient:
    client = app.test_client()
    user, _password, _secret = make_staff(db, role, app=app)
    with client.session_transaction() as cookie:
        cookie[SESSION_TOKEN_KEY] = issue_token(db, user)
    return client


def test_the_auditor_sees_and_filters_the_log(
    app: Flask, db: Session, frozen_clock: FrozenClock
) -> None:
    # 23:30 UTC on 1 May is 1:30 on 2 May in Almere: the page filters by local days.
    frozen_clock.set(dt.datetime(2026, 5, 1, 23, 30, tzinfo=dt.UTC))
    audit.record(
        db,
        action="household.update",
        entity_type="pagetest",
        entity_id=4,
        changes={"street": ["Oud", "Nieuw"]},
        actor=Actor("staff:anna", "caseworker"),
    )
    client = logged_in(app, db, Role.auditor)

    response = client.get("/medewerkers/audit?entityType=pagetest")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    html5lib.HTMLParser(strict=True).parse(html)
    assert "<script" not in html
    assert "staff:anna" in html and "household.update" in html and "Consulent" in html
    assert 'street: "Oud" → "Nieuw"' in html
    assert 'value="pagetest"' in html  # the filter keeps its value

    def found(query: str) -> bool:
        page = client.get(f"/medewerkers/audit?entityType=pagetest&{query}")
        return "staff:anna" in page.get_data(as_text=True)

    assert found("from=2026-05-02&to=2026-05-02")
    assert not found("to=2026-05-01")
    assert not found("actor=staff:bram")


def test_a_wrong_date_is_explained_at_the_top(app: Flask, db: Session) -> None:
    client = logged_in(app, db, Role.auditor)
    response = client.get("/medewerkers/audit?from=gisteren&to=2026-01-01")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    html5lib.HTMLParser(strict=True).parse(html)
    assert 'role="alert"' in html and 'href="#from"' in html
    assert "Vul een datum in als jjjj-mm-dd" in html
    assert 'value="gisteren"' in html


def page_links(html: str) -> dict[str, int]:
    """{rel: page} of the previous/next links, each of which must keep the filter."""
    links = {}
    for href, rel in re.findall(r'<a href="([^"]*)" rel="(prev|next)">', html):
        query = parse_qs(urlsplit(unescape(href)).query)
        assert query["entityType"] == ["pagetest2"], href
        links[rel] = int(query["page"][0])
    return links


def test_long_logs_are_split_into_pages(app: Flask, db: Session) -> None:
    for number in range(51):
        audit.record(
            db, actor=SYSTEM, action="test.page", entity_type="pagetest2", entity_id=number
        )
    client = logged_in(app, db, Role.auditor)
    first = client.get("/medewerkers/audit?entityType=pagetest2").get_data(as_text=True)
    assert "51 gebeurtenissen gevonden." in first
    assert first.count("<tr>") == 51  # a header row and 50 events
    assert page_links(first) == {"next": 2}
    second = client.get("/medewerkers/audit?entityType=pagetest2&page=2").get_data(as_text=True)
    assert second.count("<tr>") == 2 and page_links(second) == {"prev": 1}


def test_other_roles_may_not_see_the_log(app: Flask, db: Session) -> None:
    client = logged_in(app, db, Role.administrator)
    assert client.get("/medewerkers/audit", headers={"Accept": "text/html"}).status_code == 403


def test_reading_the_log_is_itself_logged(app: Flask, db: Session) -> None:
    shown = audit.record(
        db, action="household.view", entity_type="readtest", entity_id=1, actor=SYSTEM
    )
    client = logged_in(app, db, Role.auditor)
    assert client.get("/medewerkers/audit?entityType=readtest").status_code == 200
    reads = list(db.scalars(select(AuditEvent).where(AuditEvent.action == "audit.read")))
    assert len(reads) == 1
    assert reads[0].actor.startswith("staff:") and reads[0].role == "auditor"
    assert reads[0].changes == {
        "criteria": {"entity_type": "readtest"},
        "page": 1,
        "events": [shown.id],
    }
    assert client.get("/medewerkers/audit?from=gisteren").status_code == 400
    assert db.scalar(select(func.count()).where(AuditEvent.action == "audit.read")) == 1
