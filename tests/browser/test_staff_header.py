"""The staff header in Chromium: who is logged in, the role's menu, a new address, logging out."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import (
    BOTH_BACKENDS,
    LiveServer,
    axe_check,
    describe_violations,
    login_as,
    require_playwright,
)
from tests.browser.test_caseworker import caseworker_on, register_family

if TYPE_CHECKING:
    from playwright.sync_api import Page

expect = require_playwright().expect


# The address change commits a household and audit rows: run it on both databases.
@pytest.mark.parametrize("backend", BOTH_BACKENDS, indirect=True)
def test_a_caseworker_changes_an_address_and_logs_out_from_the_header(
    new_page: Callable[..., Page], live_server: LiveServer
) -> None:
    page = new_page()
    axe_page = new_page(bypass_csp=True)
    login_as(page, live_server, *caseworker_on(live_server))
    register_family(page)

    header = page.get_by_role("banner")
    expect(header).to_contain_text("Ingelogd als Test Medewerker (Consulent)")
    menu = page.get_by_role("navigation", name="Menu voor medewerkers")
    expect(menu.get_by_role("link", name="Een huishouden zoeken")).to_be_visible()
    expect(menu.get_by_role("link", name="Auditlog bekijken")).to_have_count(0)
    expect(header.get_by_role("button", name="Uitloggen")).to_be_visible()

    household_url = page.url
    page.get_by_role("link", name="Een ander adres in Almere").click()
    page.get_by_label("Straat").fill("Grote Markt")
    page.get_by_label("Huisnummer").fill("3")
    page.get_by_label("Postcode").fill("1361 aa")
    page.get_by_role("button", name="Adres opslaan").click()
    expect(page).to_have_url(household_url)
    expect(page.get_by_role("status")).to_have_text("Het nieuwe adres is opgeslagen.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Huishouden Grote Markt 3")
    expect(page.get_by_role("main")).to_contain_text("Almere Poort")

    # axe on the household page with the header, also at 320 px where the header wraps.
    axe_page.context.add_cookies(page.context.cookies())  # type: ignore[arg-type]
    axe_page.goto(household_url)
    violations = axe_check(axe_page)
    assert violations == [], describe_violations(violations)
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    expect(header.get_by_role("button", name="Uitloggen")).to_be_visible()

    page.goto("/medewerkers")
    start = page.get_by_role("navigation", name="Menu voor medewerkers").get_by_role(
        "link", name="Start"
    )
    expect(start).to_have_attribute("aria-current", "page")
    page.get_by_role("banner").get_by_role("button", name="Uitloggen").click()
    expect(page).to_have_url(f"{live_server.url}/inloggen")
    expect(page.get_by_role("status")).to_have_text("U bent uitgelogd.")
    expect(page.get_by_role("navigation", name="Menu voor medewerkers")).to_have_count(0)
    page.goto(household_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Inloggen voor medewerkers")
