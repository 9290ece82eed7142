"""Policy staff in real Chromium: open the gemeente's choices, change one; the page passes axe."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from almerepas.models import Role
from tests.browser.conftest import (
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


def test_policy_staff_count_lodgers_in(
    new_page: Callable[..., Page], live_server: LiveServer
) -> None:
    with live_server.app.test_request_context(), live_server.session() as session:
        user, password, secret = make_staff(session, Role.policy)
        session.commit()

    page = new_page()
    login_as(page, live_server, user.username, password, secret)
    page.get_by_role("link", name="Keuzes van de gemeente bekijken").click()
    expect(page.get_by_role("heading", name="Kostgangers en huurders in huis")).to_be_visible()

    axe_page = new_page(bypass_csp=True)
    axe_page.context.add_cookies(page.context.cookies())  # type: ignore[arg-type]
    axe_page.goto(page.url)
    violations = axe_check(axe_page)
    assert violations == [], describe_violations(violations)

    page.get_by_label("Nieuwe keuze voor: Kostgangers en huurders in huis").select_option(
        "household"
    )
    page.get_by_role("button", name="Kostgangers en huurders in huis wijzigen").click()
    expect(page.get_by_role("status")).to_contain_text("is gewijzigd")
    section = page.locator("#setting-lodgers")
    expect(section.locator("dd").first).to_have_text("household")

    page.get_by_label("Nieuw aantal maanden").fill("0")
    page.get_by_role("button", name="Hoe lang een inkomenstoets geldt, in maanden wijzigen").click()
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.get_by_label("Nieuw aantal maanden")).to_have_attribute("aria-invalid", "true")
