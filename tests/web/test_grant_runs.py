"""The grant-run page: policy previews, finance runs; a preview writes nothing."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from almerepas.http.guard import SESSION_TOKEN_KEY
from almerepas.models import Grant, JournalEntry, MemberRole, Role
from almerepas.staff.tokens import issue_token
from tests.factories import assess, born, make_household, make_staff
from tests.fixtures import FrozenClock

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen(frozen_clock: FrozenClock) -> None:
    frozen_clock.set(NOW)


@pytest.fixture
def city(reference: Session, app: Flask) -> Session:
    with app.test_request_context():
        family = make_household(
            reference, [(MemberRole.applicant, born(40)), (MemberRole.child, born(9))]
        )
        assess(reference, family, (105, 100))
    return reference


def logged_in(app: Flask, session: Session, role: Role) -> FlaskClient:
    user, _, _ = make_staff(session, role, app=app)
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie[SESSION_TOKEN_KEY] = issue_token(session, user)
    return client


def grants(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Grant)) or 0


def test_policy_sees_a_preview_and_no_run_button(app: Flask, city: Session) -> None:
    client = logged_in(app, city, Role.policy)
    page = client.get("/medewerkers/toekenningen")
    assert page.status_code == 200
    assert 'value="2026-12"' in page.get_data(as_text=True)  # next month by default
    preview = client.get("/medewerkers/toekenningen?periode=2026-12").get_data(as_text=True)
    assert "stadsfonds" in preview and "€ 800,00" in preview
    assert "Nu toekennen" not in preview
    assert grants(city) == 0


def test_finance_runs_the_period_once(app: Flask, city: Session) -> None:
    client = logged_in(app, city, Role.finance)
    preview = client.get("/medewerkers/toekenningen?periode=2026-12").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', preview)
    assert token is not None and "Nu toekennen voor 2026-12" in preview
    done = client.post(
        "/medewerkers/toekenningen", data={"periode": "2026-12", "csrf_token": token.group(1)}
    )
    assert done.status_code == 303
    after = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Klaar: 6 toekenningen voor 2026-12." in after
    made = grants(city)
    # bus x2, period products (parent), supermarket; the year 2026: Stadsfonds (child), adult fund
    assert made == 6
    client.post(
        "/medewerkers/toekenningen", data={"periode": "2026-12", "csrf_token": token.group(1)}
    )
    assert grants(city) == made


def test_a_period_too_far_ahead_is_told_at_the_field(app: Flask, city: Session) -> None:
    client = logged_in(app, city, Role.finance)
    response = client.get("/medewerkers/toekenningen?periode=2027-05")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in html and "2026-12" in html


def test_caseworkers_may_not_see_grant_runs(app: Flask, city: Session) -> None:
    assert logged_in(app, city, Role.caseworker).get("/medewerkers/toekenningen").status_code == 403


def test_a_run_refused_halfway_from_the_page_books_nothing(app: Flask, city: Session) -> None:
    """Issue 8.1: the page catches the refusal to show it, and still commits its request: the
    schemes granted before the failing one must not stay booked."""
    client = logged_in(app, city, Role.finance)
    preview = client.get("/medewerkers/toekenningen?periode=2026-11").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', preview)
    assert token is not None
    data = {"periode": "2026-11", "csrf_token": token.group(1)}
    assert client.post("/medewerkers/toekenningen", data=data).status_code == 303
    # A scheme whose unit no longer matches its funding account, as a change made before such
    # changes were refused left it: its grants fail, and it comes after others in the run.
    city.execute(text("UPDATE scheme SET unit = 'PACK' WHERE code = 'supermarkt'"))
    before = (grants(city), entries(city))

    refused = client.post("/medewerkers/toekenningen", data=data | {"periode": "2026-12"})
    assert refused.status_code == 400
    assert "unit_mismatch" not in refused.get_data(as_text=True)  # words, not a code
    assert (grants(city), entries(city)) == before


def entries(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(JournalEntry)) or 0
