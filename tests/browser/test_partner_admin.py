"""An administrator in real Chromium: make a partner, give it a location and a device, read the
device's key once; the partner page, a form with errors and the key page pass axe."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from almerepas.models import Role
from almerepas.reference.loaders import load_schemes
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


def check_accessibility(axe_page: Page, page: Page) -> None:
    """Scan what ``page`` shows, in a tab that lets axe in (GET pages only)."""
    axe_page.context.add_cookies(page.context.cookies())  # type: ignore[arg-type]
    axe_page.goto(page.url)
    violations = axe_check(axe_page)
    assert violations == [], describe_violations(violations)


def check_shown(page: Page) -> None:
    """Scan the page as it is now (a page that answered a POST cannot be loaded again)."""
    violations = axe_check(page)
    assert violations == [], describe_violations(violations)


def test_an_administrator_makes_a_partner_with_a_device(
    new_page: Callable[..., Page], live_server: LiveServer
) -> None:
    with live_server.app.app_context(), live_server.session() as session:
        load_schemes(session)
        user, password, secret = make_staff(session, Role.administrator)
        session.commit()

    page = new_page(bypass_csp=True)  # axe runs on pages that answered a POST, too
    login_as(page, live_server, user.username, password, secret)
    page.get_by_role("link", name="Partners en contracten bekijken").click()
    page.get_by_role("link", name="Een partner toevoegen").click()
    page.get_by_label("Naam van de organisatie").fill("Sportclub Almere")
    page.get_by_label("KvK-nummer").fill("12345678")
    page.get_by_label("IBAN").fill("NL91 ABNA 0417 1643 01")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.get_by_label("IBAN")).to_have_attribute("aria-invalid", "true")
    check_shown(page)

    page.get_by_label("IBAN").fill("NL91 ABNA 0417 1643 00")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_role("status")).to_have_text("De partner Sportclub Almere is gemaakt.")

    page.get_by_role("link", name="Een locatie toevoegen").click()
    page.get_by_label("Naam van de locatie").fill("Sporthal Haven")
    page.get_by_label("Straat").fill("Havenstraat")
    page.get_by_label("Huisnummer").fill("12a")
    page.get_by_label("Postcode").fill("1315 AB")
    page.get_by_label("Sport", exact=True).check()
    page.get_by_role("button", name="Locatie toevoegen").click()
    expect(page.get_by_role("status")).to_have_text("De locatie Sporthal Haven is toegevoegd.")
    check_accessibility(new_page(bypass_csp=True), page)

    page.get_by_role("link", name="Een apparaat toevoegen").click()
    page.get_by_label("Naam van het apparaat").fill("Kassa 1")
    page.get_by_label("Locatie").select_option(label="Sporthal Haven")
    page.get_by_role("button", name="Apparaat toevoegen").click()
    expect(page.get_by_role("alert")).to_contain_text("u ziet deze sleutel maar één keer")
    key = page.get_by_label("Sleutel van het apparaat").input_value()
    assert key.startswith("almdev_")
    check_shown(page)

    page.get_by_role("link", name="Terug naar de partner").click()
    expect(page.get_by_role("cell", name="Kassa 1", exact=True)).to_be_visible()
    assert key not in page.content()
