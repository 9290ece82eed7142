"""A caseworker gives, blocks and replaces a pass in real Chromium; each page passes axe."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tests.browser.conftest import LiveServer, axe_check, describe_violations, login_as
from tests.browser.test_caseworker import caseworker_on, expect, register_family

if TYPE_CHECKING:
    from playwright.sync_api import Page


def scan(page: Page) -> None:
    violations = axe_check(page)
    assert violations == [], describe_violations(violations)


def test_a_caseworker_gives_and_blocks_a_pass(
    new_page: Callable[..., Page], live_server: LiveServer
) -> None:
    page = new_page()
    axe_page = new_page(bypass_csp=True)
    login_as(page, live_server, *caseworker_on(live_server))
    register_family(page)
    household = page.url
    axe_page.context.add_cookies(page.context.cookies())  # type: ignore[arg-type]

    passes = page.get_by_role("table", name="De pas van wie hier nu woont")
    expect(passes.get_by_role("row", name="Sara Bakker")).to_contain_text("Geen pas")
    passes.get_by_role("button", name="Pas geven (Sara)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pas geven aan Sara Bakker")
    axe_page.goto(household)
    axe_page.get_by_role("button", name="Pas geven (Sara)").click()
    scan(axe_page)

    page.get_by_role("button", name="Ja, geef de pas").click()
    expect(page.get_by_role("status")).to_contain_text("Sara Bakker heeft een pas gekregen:")
    row = page.get_by_role("table", name="De pas van wie hier nu woont").get_by_role(
        "row", name="Sara Bakker"
    )
    expect(row).to_contain_text("Werkt")
    axe_page.goto(household)
    scan(axe_page)

    row.get_by_role("button", name="Pas blokkeren (Sara)").click()
    page.get_by_role("button", name="Ja, blokkeer de pas").click()  # no reason chosen
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(["Kies waarom de pas geblokkeerd wordt."])
    axe_page.goto(household)
    axe_page.get_by_role("button", name="Pas blokkeren (Sara)").click()
    axe_page.get_by_role("button", name="Ja, blokkeer de pas").click()
    scan(axe_page)

    page.get_by_label("Gestolen").check()
    page.get_by_role("button", name="Ja, blokkeer de pas").click()
    expect(page.get_by_role("status")).to_have_text(
        "De pas van Sara Bakker is geblokkeerd. Hij werkt nu niet meer."
    )
    expect(row).to_contain_text("Geblokkeerd (gestolen)")
    row.get_by_role("button", name="Pas vervangen (Sara)").click()
    page.get_by_role("button", name="Ja, vervang de pas").click()
    expect(page.get_by_role("status")).to_contain_text("Het nieuwe pasnummer is")
    expect(row).to_contain_text("Werkt")
