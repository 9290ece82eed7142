"""The partner pages that no other browser test scans: logging in, pairing a counter and the
start page, for a user and for a paired device, in Dutch and English, with and without errors.
(The counter page, transactions and statements are scanned in test_partner_portal.py and
test_partner_statements.py.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from almerepas.contracts import logins
from almerepas.models import Role
from almerepas.partners.auth import PAGE_USER_TOKEN_KEY
from almerepas.reference.loaders import load_postcodes, load_schemes
from tests.browser.conftest import LiveServer, login_as, passes_axe, require_playwright
from tests.browser.test_partner_portal import at_counter, signed_in
from tests.factories import make_partner_user, make_staff
from tests.fixtures import START, FrozenClock
from tests.partners.portal_support import make_counter

if TYPE_CHECKING:
    from playwright.sync_api import Page

expect = require_playwright().expect


@pytest.mark.parametrize("locale", ["nl-NL", "en-GB"])
def test_logging_in_and_pairing_pass_axe_also_with_errors(
    new_page: Callable[..., Page], locale: str
) -> None:
    page = new_page(locale=locale, bypass_csp=True)
    page.goto("/partner/inloggen")
    expect(page.locator("html")).to_have_attribute("lang", locale[:2])
    passes_axe(page)
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".error-summary")).to_be_visible()
    passes_axe(page)
    page.goto("/partner/apparaat-koppelen")
    passes_axe(page)
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".error-summary")).to_be_visible()
    passes_axe(page)


def test_the_start_page_passes_axe_for_a_manager_and_for_a_paired_counter(
    new_page: Callable[..., Page], live_server: LiveServer, frozen_clock: FrozenClock
) -> None:
    frozen_clock.set(START)
    with live_server.app.app_context():
        db = live_server.session()
        load_postcodes(db)
        load_schemes(db)
        counter = make_counter(db)
        manager, _password, _secret = make_partner_user(db, counter.partner, "manager")
        token = logins.issue_token(db, manager, now=START).token
        db.commit()
        db.close()
    as_manager = new_page(bypass_csp=True)
    signed_in(as_manager.context, live_server, {PAGE_USER_TOKEN_KEY: token})
    for path in ("/partner/", "/partner/transacties", "/partner/afrekeningen"):
        response = as_manager.goto(path)
        assert response is not None and response.status == 200, path
        expect(as_manager).to_have_url(f"{live_server.url}{path}")  # not sent to the login
        passes_axe(as_manager)
    at_desk = new_page(bypass_csp=True, locale="en-GB")
    at_counter(at_desk.context, live_server, counter.key)
    response = at_desk.goto("/partner/")
    assert response is not None and response.status == 200
    expect(at_desk).to_have_url(f"{live_server.url}/partner/")
    expect(at_desk.get_by_text("Kassa 1")).to_be_visible()
    expect(at_desk.locator("html")).to_have_attribute("lang", "en")
    passes_axe(at_desk)


def test_every_page_for_managing_partners_passes_axe(
    new_page: Callable[..., Page], live_server: LiveServer
) -> None:
    """The gemeente's side of partners: the list, a partner and each of its forms. (No frozen
    clock: the login's TOTP code is computed at the real time.)"""
    with live_server.app.app_context():
        db = live_server.session()
        load_postcodes(db)
        load_schemes(db)
        partner_id = make_counter(db).partner.id
        user, password, secret = make_staff(db, Role.administrator)
        db.commit()
        db.close()
    page = new_page(bypass_csp=True)
    login_as(page, live_server, user.username, password, secret)
    base = "/medewerkers/partners"
    for path in (
        base,
        f"{base}/nieuw",
        f"{base}/{partner_id}",
        f"{base}/{partner_id}/wijzigen",
        f"{base}/{partner_id}/locaties/nieuw",
        f"{base}/{partner_id}/contracten/nieuw",
        f"{base}/{partner_id}/aanbiedingen/nieuw",
        f"{base}/{partner_id}/gebruikers/nieuw",
        f"{base}/{partner_id}/apparaten/nieuw",
        f"{base}/{partner_id}/deactiveren",
    ):
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        expect(page).to_have_url(f"{live_server.url}{path}")
        passes_axe(page)
    page.goto(f"{base}/{partner_id}/gebruikers/nieuw")
    page.locator("#username").fill("kassa.anna")
    page.locator("#display_name").fill("Anna de Vries")
    page.locator("input[name=role]").first.check()
    page.locator("#password").fill("een lang wachtwoord 2026")
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gebruiker kassa.anna is toegevoegd")
    passes_axe(page)  # the user is made: what to pass on to them
    page.goto(f"{base}/{partner_id}/contracten/nieuw")
    page.locator("main form button[type=submit]").click()  # nothing filled in
    expect(page.locator(".error-summary")).to_be_visible()
    passes_axe(page)
