"""Logging in on the web: one form with CSRF, errors that keep what was typed, sessions that end."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import html5lib
import pyotp
import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from almerepas.models import AuditEvent, Role, StaffUser
from tests.factories import make_staff
from tests.fixtures import FrozenClock


def parse_strict(html: str) -> None:
    html5lib.HTMLParser(strict=True).parse(html)


def csrf_token(client: FlaskClient, path: str = "/inloggen") -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the form has no CSRF token"
    return match.group(1)


def submit_login(
    client: FlaskClient, username: str, password: str, code: str, **extra: str
) -> TestResponse:
    data = {"username": username, "password": password, "code": code, **extra}
    return client.post("/inloggen", data={**data, "csrf_token": csrf_token(client)})


@pytest.fixture
def staff(client: FlaskClient, db: Session, frozen_clock: FrozenClock) -> tuple[str, str, str]:
    user, password, secret = make_staff(db, Role.auditor, app=client.application)
    user.display_name = "Anna de Vries"
    db.flush()
    return user.username, password, secret


def code(secret: str, clock: FrozenClock) -> str:
    return pyotp.TOTP(secret).at(clock.moment)


def test_the_login_page_is_one_plain_form(client: FlaskClient) -> None:
    response = client.get("/inloggen")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    parse_strict(html)
    assert "<script" not in html
    assert "Inloggen voor medewerkers" in html
    for name in ("username", "password", "code", "csrf_token"):
        assert f'name="{name}"' in html
    assert 'autocomplete="one-time-code"' in html
    english = client.get("/inloggen?lang=en").get_data(as_text=True)
    assert "Log in for staff" in english


def test_logging_in_and_out(
    client: FlaskClient, staff: tuple[str, str, str], frozen_clock: FrozenClock
) -> None:
    username, password, secret = staff
    response = submit_login(client, username, password, code(secret, frozen_clock))
    assert response.status_code == 303
    assert response.headers["Location"] == "/medewerkers"

    home = client.get("/medewerkers")
    html = home.get_data(as_text=True)
    parse_strict(html)
    assert "Anna de Vries" in html and "Auditor" in html
    assert 'href="/medewerkers/audit"' in html  # auditors get the audit log link

    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.expires is not None  # a lasting cookie: 8 hours
    logout = client.post("/uitloggen", data={"csrf_token": csrf_token(client, "/medewerkers")})
    assert logout.status_code == 303 and logout.headers["Location"] == "/inloggen"
    assert "U bent uitgelogd." in client.get("/inloggen").get_data(as_text=True)
    assert client.get("/medewerkers").status_code == 303

    # A copy of the old cookie no longer works: its token was revoked on the server.
    client.set_cookie("session", cookie.value)
    assert client.get("/medewerkers").status_code == 303


def test_a_post_without_the_csrf_token_is_refused(
    client: FlaskClient, staff: tuple[str, str, str], frozen_clock: FrozenClock
) -> None:
    username, password, secret = staff
    data = {"username": username, "password": password, "code": code(secret, frozen_clock)}
    for form in (data, {**data, "csrf_token": "forged"}):
        response = client.post("/inloggen", data=form, headers={"Accept": "text/html"})
        assert response.status_code == 400
        assert "Dit formulier is verlopen" in response.get_data(as_text=True)
    assert client.get("/medewerkers").status_code == 303  # still not logged in
    # The right token from the page does work, with the same code (it was never used).
    assert submit_login(client, username, password, data["code"]).status_code == 303


def test_a_refused_login_shows_the_errors_and_keeps_what_was_typed(
    client: FlaskClient, staff: tuple[str, str, str], frozen_clock: FrozenClock
) -> None:
    username, _password, secret = staff
    response = submit_login(client, username, "wrong password!", code(secret, frozen_clock))
    assert response.status_code == 401
    html = response.get_data(as_text=True)
    parse_strict(html)
    assert 'role="alert"' in html
    assert "Inloggen lukt niet." in html
    assert f'value="{username}"' in html
    assert "wrong password!" not in html
    assert "<title>Fout: " in html


def test_empty_fields_are_named_one_by_one(client: FlaskClient) -> None:
    response = submit_login(client, "", "", "12")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    parse_strict(html)
    summary = html.split('role="alert"')[1].split("</div>")[0]
    assert summary.count("<li>") == 3
    for field in ("username", "password", "code"):
        assert f'href="#{field}"' in summary
        assert f'aria-describedby="{field}-error"' in html
    assert "Vul uw gebruikersnaam in." in html


def test_after_logging_in_you_return_to_where_you_were(
    client: FlaskClient, staff: tuple[str, str, str], frozen_clock: FrozenClock
) -> None:
    username, password, secret = staff
    redirect = client.get("/medewerkers/audit?action=staff.login")
    assert redirect.status_code == 303
    assert redirect.headers["Location"].startswith("/inloggen?next=")
    next_url = "/medewerkers/audit?action=staff.login"
    response = submit_login(client, username, password, code(secret, frozen_clock), next=next_url)
    assert response.headers["Location"] == next_url


def test_next_never_leads_to_another_site(
    client: FlaskClient, staff: tuple[str, str, str], frozen_clock: FrozenClock
) -> None:
    username, password, secret = staff
    response = submit_login(
        client, username, password, code(secret, frozen_clock), next="//evil.example/x"
    )
    assert response.headers["Location"] == "/medewerkers"


def test_logging_in_starts_a_new_session(
    client: FlaskClient, staff: tuple[str, str, str], frozen_clock: FrozenClock
) -> None:
    username, password, secret = staff
    with client.session_transaction() as before:
        before["planted"] = "by someone else"
    submit_login(client, username, password, code(secret, frozen_clock))
    with client.session_transaction() as after:
        assert "planted" not in after
        assert after.permanent
    first = client.get_cookie("session")
    assert first is not None

    # Logging in again ends the first session, also for a copy of its cookie.
    frozen_clock.advance(seconds=30)
    form = {"username": username, "password": password, "code": code(secret, frozen_clock)}
    token = csrf_token(client, "/medewerkers")  # /inloggen sends a logged-in user onwards
    assert client.post("/inloggen", data={**form, "csrf_token": token}).status_code == 303
    assert client.get("/medewerkers").status_code == 200
    client.set_cookie("session", first.value)
    assert client.get("/medewerkers").status_code == 303


def test_a_page_session_ends_after_8_hours(
    client: FlaskClient, staff: tuple[str, str, str], frozen_clock: FrozenClock
) -> None:
    username, password, secret = staff
    submit_login(client, username, password, code(secret, frozen_clock))
    frozen_clock.advance(hours=7, minutes=59)
    assert client.get("/medewerkers").status_code == 200
    frozen_clock.advance(minutes=1)
    assert client.get("/medewerkers").status_code == 303
    assert client.application.permanent_session_lifetime.total_seconds() == 8 * 3600


def test_a_locked_account_is_told_so_on_the_page(
    client: FlaskClient, staff: tuple[str, str, str], frozen_clock: FrozenClock
) -> None:
    username, password, secret = staff
    for _ in range(5):
        submit_login(client, username, "wrong password!", code(secret, frozen_clock))
    response = submit_login(client, username, password, code(secret, frozen_clock))
    assert response.status_code == 401
    assert "Uw account is even geblokkeerd" in response.get_data(as_text=True)


def test_the_wrong_role_gets_a_403_page(
    client: FlaskClient, db: Session, frozen_clock: FrozenClock
) -> None:
    user, password, secret = make_staff(db, Role.caseworker, app=client.application)
    submit_login(client, user.username, password, code(secret, frozen_clock))
    home = client.get("/medewerkers").get_data(as_text=True)
    assert "/medewerkers/audit" not in home  # no link to what the role may not see
    response = client.get("/medewerkers/audit", headers={"Accept": "text/html"})
    assert response.status_code == 403
    assert "U mag dit niet doen" in response.get_data(as_text=True)


def test_a_password_that_is_not_utf8_is_refused_before_the_login_is_tried(
    client: FlaskClient, db: Session, staff: tuple[str, str, str], frozen_clock: FrozenClock
) -> None:
    """%ED%A0%80 is a lone surrogate written as UTF-8. It used to be read as the text
    "%ED%A0%80" and counted as a wrong password; no login attempt is made with it now."""
    username, _password, secret = staff
    form = urlencode(
        {"username": username, "code": code(secret, frozen_clock), "csrf_token": csrf_token(client)}
    )
    events = db.scalar(select(func.count()).select_from(AuditEvent))
    response = client.post(
        "/inloggen",
        data=form + "&password=%ED%A0%80",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert "De invoer klopt niet" in response.get_data(as_text=True)
    user = db.scalars(select(StaffUser).where(StaffUser.username == username)).one()
    db.refresh(user)
    assert user.failed_logins == 0
    assert db.scalar(select(func.count()).select_from(AuditEvent)) == events
