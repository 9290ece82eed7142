"""Staff log in through the real login page in Chromium: password plus the code from their app."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pyotp
import pytest

from almerepas.models import Role
from tests.browser.conftest import (
    BOTH_BACKENDS,
    LiveServer,
    axe_check,
    describe_violations,
    login_as,
    require_playwright,
)
from tests.factories import make_staff

if TYPE_CHECKING:
    from playwright.sync_api import Page

expect = require_playwright().expect


def new_staff(live_server: LiveServer, role: Role = Role.caseworker) -> tuple[str, str, str]:
    """A committed staff account on the live server's database: (username, password, secret)."""
    with live_server.session() as session:
        user, password, secret = make_staff(session, role, app=live_server.app)
        session.commit()
    return user.username, password, secret


# Logging in commits for real (token, used TOTP step, audit): run it on both databases.
@pytest.mark.parametrize("backend", BOTH_BACKENDS, indirect=True)
def test_staff_member_logs_in_and_out(page: Page, live_server: LiveServer) -> None:
    username, password, secret = new_staff(live_server)

    login_as(page, live_server, username, password, secret)
    expect(page).to_have_url(f"{live_server.url}/medewerkers")
    expect(page.get_by_role("heading", level=1)).to_have_text("Medewerkers")
    expect(page.get_by_role("banner")).to_contain_text("Test Medewerker")

    page.get_by_role("button", name="Uitloggen").click()
    expect(page).to_have_url(f"{live_server.url}/inloggen")
    expect(page.get_by_role("status")).to_have_text("U bent uitgelogd.")
    # The session is gone: the staff page sends us back to the login page.
    page.goto("/medewerkers")
    expect(page.get_by_role("heading", level=1)).to_have_text("Inloggen voor medewerkers")


def test_a_wrong_code_is_refused_and_login_as_says_why(page: Page, live_server: LiveServer) -> None:
    username, password, _secret = new_staff(live_server)
    with pytest.raises(AssertionError, match="Inloggen lukt niet"):
        login_as(page, live_server, username, password, pyotp.random_base32())
    # What was typed stays, except the password; the summary has focus for screen readers.
    expect(page.get_by_label("Gebruikersnaam")).to_have_value(username)
    expect(page.get_by_label("Wachtwoord")).to_have_value("")
    expect(page.locator(".error-summary")).to_be_focused()


def test_login_page_has_no_accessibility_violations(
    new_page: Callable[..., Page], live_server: LiveServer
) -> None:
    page = new_page(bypass_csp=True)
    page.goto("/inloggen")
    violations = axe_check(page)
    assert violations == [], describe_violations(violations)
    page.get_by_role("button", name="Inloggen").click()  # empty form: every field has an error
    expect(page.locator(".error-summary")).to_be_visible()
    violations = axe_check(page)
    assert violations == [], describe_violations(violations)
