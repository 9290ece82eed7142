"""The portal's login pages: a partner user logs in and out with CSRF, a counter's browser is
paired with a device; the cookie holds only tokens that end on the server."""

from __future__ import annotations

import re

import html5lib
import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from almerepas.contracts import devices
from almerepas.models import AuditEvent, Device, Partner
from almerepas.partners.auth import Principal, require_partner_page
from tests.factories import TEST_ACTOR, make_device, make_location, make_partner, make_partner_user
from tests.fixtures import FrozenClock

LOGIN = "/partner/inloggen"
PAIR = "/partner/apparaat-koppelen"


@pytest.fixture
def partner(db: Session, frozen_clock: FrozenClock) -> Partner:
    return make_partner(db, name="Zwembad De Meerkoet")


@pytest.fixture
def counter(db: Session, partner: Partner) -> tuple[Device, str]:
    return make_device(db, partner, make_location(db, partner, "Bad Centrum"), "Kassa ingang")


def page(response: TestResponse) -> str:
    assert response.mimetype == "text/html", response.status
    html = response.get_data(as_text=True)
    html5lib.HTMLParser(strict=True).parse(html)
    assert "<script" not in html
    return html


def csrf_token(client: FlaskClient, path: str = LOGIN) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def post(
    client: FlaskClient, path: str, data: dict[str, str], token_from: str = LOGIN
) -> TestResponse:
    return client.post(path, data={**data, "csrf_token": csrf_token(client, token_from)})


def log_in(client: FlaskClient, username: str, password: str, code: str = "") -> TestResponse:
    return post(client, LOGIN, {"username": username, "password": password, "code": code})


def cookie_text(app: Flask, client: FlaskClient) -> str:
    """What the signed session cookie holds, decoded."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    return str(serializer.loads(cookie.value))


def test_the_login_page_is_one_plain_form_in_dutch_and_english(client: FlaskClient) -> None:
    html = page(client.get(LOGIN))
    assert "Inloggen voor partners" in html
    for name in ("username", "password", "code", "csrf_token"):
        assert f'name="{name}"' in html
    assert 'href="/partner/apparaat-koppelen"' in html
    assert "Log in for partners" in page(client.get(LOGIN + "?lang=en"))


def test_a_cashier_logs_in_sees_the_partner_and_logs_out(
    app: Flask, client: FlaskClient, db: Session, partner: Partner, frozen_clock: FrozenClock
) -> None:
    user, password, _secret = make_partner_user(db, partner)
    response = log_in(client, user.username, password)
    assert (response.status_code, response.headers["Location"]) == (303, "/partner/")
    html = page(client.get("/partner/"))
    assert "Zwembad De Meerkoet" in html and "Petra Kassa" in html
    assert password not in cookie_text(app, client)

    cookie = client.get_cookie("session")
    assert cookie is not None
    logout = post(client, "/partner/uitloggen", {}, token_from="/partner/")
    assert (logout.status_code, logout.headers["Location"]) == (303, LOGIN)
    assert "U bent uitgelogd." in page(client.get(LOGIN))
    assert client.get("/partner/").status_code == 303
    client.set_cookie("session", cookie.value)  # a copy of the old cookie: its token has ended
    assert client.get("/partner/").status_code == 303
    actions = db.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.entity_type == "partner_user", AuditEvent.entity_id == str(user.id))
        .order_by(AuditEvent.id)
    )
    assert list(actions) == ["partner.user_create", "partner.user_login", "partner.user_logout"]


def test_without_a_login_the_portal_sends_you_to_the_login_and_back(
    client: FlaskClient, db: Session, partner: Partner, frozen_clock: FrozenClock
) -> None:
    response = client.get("/partner/")
    assert (response.status_code, response.headers["Location"]) == (
        303,
        "/partner/inloggen?next=/partner/",
    )
    user, password, _secret = make_partner_user(db, partner)
    back = post(
        client, LOGIN, {"username": user.username, "password": password, "next": "/partner/"}
    )
    assert back.headers["Location"] == "/partner/"
    away = post(
        client,
        LOGIN,
        {"username": user.username, "password": password, "next": "//evil.example"},
        token_from="/partner/",
    )
    assert away.headers["Location"] == "/partner/"


def test_a_post_without_the_csrf_token_is_refused(
    client: FlaskClient, db: Session, partner: Partner, frozen_clock: FrozenClock
) -> None:
    user, password, _secret = make_partner_user(db, partner)
    data = {"username": user.username, "password": password}
    for form in (data, {**data, "csrf_token": "forged"}):
        response = client.post(LOGIN, data=form, headers={"Accept": "text/html"})
        assert response.status_code == 400
        assert "Dit formulier is verlopen" in response.get_data(as_text=True)
    assert client.get("/partner/").status_code == 303
    assert db.scalar(select(AuditEvent.id).where(AuditEvent.action == "partner.user_login")) is None


def test_a_manager_without_the_code_gets_the_one_refusal_and_with_it_gets_in(
    client: FlaskClient, db: Session, partner: Partner, frozen_clock: FrozenClock
) -> None:
    user, password, secret = make_partner_user(db, partner, "manager")
    assert secret is not None
    for attempt in [(user.username, password, ""), (user.username, "wrong password!", "")]:
        response = log_in(client, *attempt)
        assert response.status_code == 401
        html = page(response)
        assert "Inloggen lukt niet. Controleer uw gebruikersnaam, wachtwoord en code." in html
        assert f'value="{user.username}"' in html and "wrong password!" not in html
    response = log_in(client, user.username, password, pyotp.TOTP(secret).at(frozen_clock.moment))
    assert response.status_code == 303
    assert "(beheerder)" in page(client.get("/partner/"))


def test_the_fifth_failure_locks_the_account_and_the_page_says_so(
    client: FlaskClient, db: Session, partner: Partner, frozen_clock: FrozenClock
) -> None:
    user, password, _secret = make_partner_user(db, partner)
    for _ in range(4):
        assert "Inloggen lukt niet." in page(log_in(client, user.username, "wrong password!"))
    locked = log_in(client, user.username, "wrong password!")
    assert (locked.status_code, "Uw account is even geblokkeerd" in page(locked)) == (401, True)
    locked = log_in(client, user.username, password)  # now the right password is no help
    assert "Uw account is even geblokkeerd" in page(locked)
    frozen_clock.advance(minutes=15)
    assert log_in(client, user.username, password).status_code == 303


def test_empty_fields_and_a_short_code_are_named(client: FlaskClient) -> None:
    response = log_in(client, "", "", "12")
    assert response.status_code == 400
    html = page(response)
    for field in ("username", "password", "code"):
        assert f'aria-describedby="{field}-error"' in html
    assert "De code heeft 6 cijfers, bijvoorbeeld 123456." in html


def test_a_counter_is_paired_once_and_then_works_as_the_device(
    app: Flask,
    client: FlaskClient,
    db: Session,
    counter: tuple[Device, str],
    frozen_clock: FrozenClock,
) -> None:
    device, key = counter
    html = page(client.get(PAIR))
    assert "Dit apparaat koppelen" in html and 'name="key"' in html
    response = post(client, PAIR, {"key": key}, token_from=PAIR)
    assert (response.status_code, response.headers["Location"]) == (303, "/partner/")
    html = page(client.get("/partner/"))
    assert "Zwembad De Meerkoet" in html and "Kassa ingang" in html and "Bad Centrum" in html
    assert "Dit apparaat is gekoppeld." in html
    assert key not in cookie_text(app, client)
    assert key.removeprefix("almdev_") not in cookie_text(app, client)

    unpair = post(client, "/partner/apparaat-ontkoppelen", {}, token_from="/partner/")
    assert unpair.status_code == 303
    assert client.get("/partner/").status_code == 303
    actions = db.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.entity_type == "partner_device", AuditEvent.entity_id == str(device.id))
        .order_by(AuditEvent.id)
    )
    assert list(actions) == ["device.create", "device.pair", "device.unpair"]


def test_a_wrong_or_revoked_key_is_refused_and_revoking_ends_the_pairing(
    client: FlaskClient, db: Session, counter: tuple[Device, str], frozen_clock: FrozenClock
) -> None:
    device, key = counter
    wrong = post(client, PAIR, {"key": "almdev_niet-echt"}, token_from=PAIR)
    assert wrong.status_code == 401
    assert "Dit apparaat is niet bekend." in page(wrong)
    empty = post(client, PAIR, {"key": ""}, token_from=PAIR)
    assert (empty.status_code, "Vul de sleutel van het apparaat in." in page(empty)) == (400, True)

    assert post(client, PAIR, {"key": key}, token_from=PAIR).status_code == 303
    assert client.get("/partner/").status_code == 200
    devices.revoke_device(db, device, actor=TEST_ACTOR)
    assert client.get("/partner/").status_code == 303
    revoked = post(client, PAIR, {"key": key}, token_from=PAIR)
    assert (revoked.status_code, "Dit apparaat mag niet meer scannen." in page(revoked)) == (
        401,
        True,
    )


def test_a_manager_logs_in_at_a_paired_counter_and_after_logout_it_is_the_device_again(
    app: Flask,
    client: FlaskClient,
    db: Session,
    partner: Partner,
    counter: tuple[Device, str],
    frozen_clock: FrozenClock,
) -> None:
    seen: list[tuple[str | None, str | None]] = []

    @require_partner_page()
    def who(principal: Principal) -> str:
        user, device = principal.user, principal.device
        seen.append((user and user.username, device and device.name))
        return "ok"

    @require_partner_page(manager=True)
    def managers_only(principal: Principal) -> str:
        return "ok"

    app.add_url_rule("/partner/test-wie", view_func=who)
    app.add_url_rule("/partner/test-beheer", view_func=managers_only)

    _device, key = counter
    post(client, PAIR, {"key": key}, token_from=PAIR)
    assert client.get("/partner/test-beheer").status_code == 403  # a device is no manager
    manager, password, secret = make_partner_user(db, partner, "manager", username="beheer.anna")
    assert secret is not None
    log_in(client, manager.username, password, pyotp.TOTP(secret).at(frozen_clock.moment))
    assert client.get("/partner/test-beheer").status_code == 200
    client.get("/partner/test-wie")
    post(client, "/partner/uitloggen", {}, token_from="/partner/")
    client.get("/partner/test-wie")
    assert seen == [("beheer.anna", None), (None, "Kassa ingang")]
