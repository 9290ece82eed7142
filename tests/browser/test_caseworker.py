"""A caseworker in real Chromium: register a family, assess its income, see what it gets and why."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from almerepas.audit.log import Actor
from almerepas.grants import runs as grants
from almerepas.models import Role
from almerepas.reference.loaders import load_norms, load_postcodes, load_schemes
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

#: Set ALMEREPAS_SCREENSHOTS=<folder> to keep a picture of the household page to look at.
SCREENSHOTS = os.environ.get("ALMEREPAS_SCREENSHOTS")


def caseworker_on(live_server: LiveServer) -> tuple[str, str, str]:
    """Reference data (postcodes, norms, schemes) and a caseworker on the live server's database."""
    with live_server.app.app_context(), live_server.session() as session:
        load_postcodes(session)
        load_norms(session)
        load_schemes(session)
        user, password, secret = make_staff(session, Role.caseworker)
        session.commit()
    return user.username, password, secret


def check_accessibility(axe_page: Page, page: Page) -> None:
    """Open what ``page`` shows in a second tab that lets axe in, with the same login, and scan."""
    axe_page.context.add_cookies(page.context.cookies())  # type: ignore[arg-type]
    axe_page.goto(page.url)
    violations = axe_check(axe_page)
    assert violations == [], describe_violations(violations)


def register_family(page: Page) -> None:
    """Sara Bakker (applicant, BSN 111222333) at Stadhuisplein 12, and her son Ilias (9)."""
    page.goto("/medewerkers")
    page.get_by_role("link", name="Een huishouden inschrijven").click()
    page.get_by_label("Straat").fill("Stadhuisplein")
    page.get_by_label("Huisnummer").fill("12")
    page.get_by_label("Postcode").fill("1315 ab")
    page.get_by_label("Voornaam").fill("Sara")
    page.get_by_label("Achternaam").fill("Bakker")
    page.get_by_label("Geboortedatum").fill("01-04-1990")
    page.get_by_label("Woont op dit adres sinds").fill("01-01-2024")
    page.get_by_label("Burgerservicenummer").fill("111222333")
    page.get_by_role("button", name="Huishouden inschrijven").click()
    expect(page.get_by_role("status")).to_have_text("Het huishouden is ingeschreven.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Huishouden Stadhuisplein 12")

    page.get_by_role("link", name="Een lid toevoegen").click()
    page.get_by_label("Voornaam").fill("Ilias")
    page.get_by_label("Achternaam").fill("Bakker")
    page.get_by_label("Geboortedatum").fill("05-05-2016")
    page.get_by_label("Kind", exact=True).check()
    page.get_by_label("Woont hier vanaf").fill("01-01-2024")
    page.get_by_role("button", name="Lid toevoegen").click()
    expect(page.get_by_role("status")).to_have_text("Ilias is toegevoegd aan het huishouden.")


# The flow commits households, assessments and audit events: run it on both databases.
@pytest.mark.parametrize("backend", BOTH_BACKENDS, indirect=True)
def test_a_caseworker_registers_a_family_and_sees_the_child_is_entitled(
    page: Page, live_server: LiveServer
) -> None:
    login_as(page, live_server, *caseworker_on(live_server))
    register_family(page)
    members = page.get_by_role("table", name="Wie wonen of woonden hier")
    expect(members.get_by_role("row")).to_have_count(3)
    expect(members).to_contain_text("******333")
    expect(page.locator("body")).not_to_contain_text("111222333")

    # Exactly 110% of the single-parent norm on 1 March 2026 (€ 1.401,50, published): the
    # wages count, the child benefit does not.
    page.get_by_role("link", name="Een inkomenstoets vastleggen").click()
    page.get_by_label("Peildatum").fill("01-03-2026")
    fill_income(page, 1, "Sara Bakker", "Netto loon", "1.541,65")
    fill_income(page, 2, "Sara Bakker", "Kinderbijslag", "300")
    page.get_by_label("Bewijs").fill("loonstrook februari 2026")
    page.get_by_role("button", name="Inkomenstoets vastleggen").click()
    expect(page.get_by_role("status")).to_have_text(
        "De inkomenstoets is vastgelegd. Het inkomen is 110% van het sociaal minimum."
    )
    assessment = page.get_by_role("table", name="Netto inkomen per maand").get_by_role("row").nth(1)
    expect(assessment).to_contain_text("€ 1.541,65")
    expect(assessment).to_contain_text("€ 1.401,50 (alleenstaande ouder)")
    expect(assessment).not_to_contain_text("voorlopig")
    expect(assessment).to_contain_text("110%")
    assessment.get_by_role("link", name="per lid en soort").click()
    how = page.get_by_role("table", name="Zo is het inkomen van de toets van 01-03-2026 berekend")
    expect(how.get_by_role("row")).to_have_count(4)  # heading, two lines, the total
    expect(how.get_by_role("row").nth(2)).to_contain_text(
        "Telt niet mee: kinderbijslag telt niet als inkomen."
    )
    expect(how.get_by_role("row").nth(3)).to_contain_text("Inkomen per maand € 1.541,65")

    page.get_by_role("link", name="Bekijk de regelingen van dit huishouden").click()
    page.get_by_label("Peildatum").fill("15-03-2026")
    page.get_by_role("button", name="Bekijken").click()
    expect(page).to_have_url(
        f"{live_server.url}/medewerkers/huishoudens/1/regelingen?datum=15-03-2026"
    )
    fund = page.get_by_role("region", name="Stadsfonds sport en cultuur")
    ilias = fund.get_by_role("row", name="Ilias Bakker")
    expect(ilias).to_contain_text("Ja")
    expect(ilias).to_contain_text("Krijgt € 800,00.")
    sara = fund.get_by_role("row", name="Sara Bakker")
    expect(sara).to_contain_text("Nee")
    expect(sara).to_contain_text("Voor 4 tot en met 17 jaar. Deze persoon is 35.")
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/eligibility-{live_server.backend}.png", full_page=True)


def test_the_caseworker_pages_pass_axe_also_with_errors(
    new_page: Callable[..., Page], live_server: LiveServer, tmp_path: Path
) -> None:
    page = new_page()
    axe_page = new_page(bypass_csp=True)
    login_as(page, live_server, *caseworker_on(live_server))
    register_family(page)
    household_url = page.url
    page.get_by_role("link", name="Een inkomenstoets vastleggen").click()
    page.get_by_label("Peildatum").fill("01-03-2026")
    fill_income(page, 1, "Sara Bakker", "Netto loon", "1538,38")
    fill_income(page, 2, "Ilias Bakker", "Netto loon", "150")
    page.get_by_role("button", name="Inkomenstoets vastleggen").click()
    with live_server.app.app_context(), live_server.session() as session:
        grants.issue(session, period="2026-03", actor=Actor("test"), today=dt.date(2026, 3, 1))
        session.commit()

    page.goto("/medewerkers/huishoudens?naam=bakker&postcode=&geboortedatum=")
    expect(page.get_by_role("status")).to_have_text("1 huishouden gevonden.")
    check_accessibility(axe_page, page)

    page.goto(household_url)
    grants_table = page.get_by_role("table", name="Wat dit huishouden kreeg")
    expect(grants_table.get_by_role("row", name="Gratis menstruatieproducten")).to_contain_text(
        "maart 2026 Sara Bakker 3 pakken 3 pakken"
    )
    expect(grants_table.get_by_role("row", name="supermarkt")).to_contain_text("€ 50,00")
    check_accessibility(axe_page, page)
    folder = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path
    page.screenshot(path=str(folder / "household.png"), full_page=True)
    # Reflow at 320 px (WCAG 1.4.10): the page does not scroll sideways; wide tables scroll
    # inside a region that a keyboard can reach.
    for tab in (page, axe_page):
        tab.set_viewport_size({"width": 320, "height": 640})
    page.screenshot(path=str(folder / "household-320.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    check_accessibility(axe_page, page)
    for tab in (page, axe_page):
        tab.set_viewport_size({"width": 1280, "height": 720})

    # The assessment form in its error state: a date that is no date, a row without its kind,
    # a negative total.
    page.get_by_role("link", name="Een inkomenstoets vastleggen").click()
    fill_wrong_assessment(page)
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(
        [
            "Vul een datum in zoals 01-03-2026 (dag-maand-jaar).",
            "Kies de soort inkomen.",
            "Het inkomen kan niet negatief zijn. Geen inkomen? Vul dan 0 in.",
        ]
    )
    expect(page.get_by_label("Netto inkomen")).to_have_value("-12,50")
    expect(page.get_by_label("Netto inkomen")).to_have_attribute("aria-invalid", "true")
    row = page.get_by_role("group", name="Inkomen 1")
    expect(row.get_by_label("Soort inkomen")).to_have_attribute("aria-invalid", "true")
    expect(row.get_by_label("Bedrag in euro")).to_have_value("200")
    page.screenshot(path=str(folder / "assessment-errors.png"), full_page=True)
    # The error page answers a POST, so axe's tab posts the same wrong form itself.
    axe_page.goto(page.url)
    fill_wrong_assessment(axe_page)
    expect(axe_page.locator(".error-summary")).to_be_visible()
    violations = axe_check(axe_page)
    assert violations == [], describe_violations(violations)


def fill_wrong_assessment(page: Page) -> None:
    page.get_by_label("Peildatum").fill("31-02-2026")
    fill_income(page, 1, "Sara Bakker", None, "200")
    page.get_by_label("Netto inkomen").fill("-12,50")
    page.get_by_role("button", name="Inkomenstoets vastleggen").click()


def fill_income(page: Page, row: int, who: str, kind: str | None, amount: str) -> None:
    """One row of the assessment form: a member (by name), a kind (by its label), an amount."""
    group = page.get_by_role("group", name=f"Inkomen {row}")
    member = group.get_by_label("Van wie")
    label = member.locator("option", has_text=who).first.text_content() or who
    member.select_option(label=label)
    if kind is not None:
        group.get_by_label("Soort inkomen").select_option(label=kind)
    group.get_by_label("Bedrag in euro").fill(amount)
