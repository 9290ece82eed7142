"""The public pages in real headless Chromium: language, keyboard, no JavaScript, accessibility."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import LiveServer, axe_check, describe_violations, require_playwright

if TYPE_CHECKING:
    from playwright.sync_api import Page

expect = require_playwright().expect

DUTCH_TITLE = "Almerepas: de stadspas van Almere"
ENGLISH_TITLE = "Almerepas: the city pass of Almere"


def test_start_page_is_dutch_and_styled(page: Page) -> None:
    response = page.goto("/")
    assert response is not None and response.status == 200
    expect(page).to_have_title("Welkom – Almerepas")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.get_by_role("heading", level=1)).to_have_text(DUTCH_TITLE)
    expect(page.get_by_role("listitem").filter(has_text="Gratis met de bus")).to_be_visible()
    # Our stylesheet got past the Content-Security-Policy: the header wears the house colour.
    expect(page.locator(".site-header")).to_have_css("background-color", "rgb(0, 85, 140)")


def test_english_link_switches_language_and_the_choice_sticks(page: Page) -> None:
    page.goto("/")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ENGLISH_TITLE)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    # The current language is shown, not offered as a link.
    expect(page.get_by_role("link", name="English")).to_have_count(0)

    # The next page has no ?lang=, and the browser still asks for Dutch: the cookie decides.
    page.get_by_role("link", name="Accessibility").click()
    expect(page).to_have_url("/toegankelijkheid")
    expect(page.get_by_role("heading", level=1)).to_have_text("Accessibility")
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "lang"]
    assert cookie["value"] == "en" and cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    # And back: Nederlands sticks just the same.
    page.get_by_role("link", name="Nederlands").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Toegankelijkheid")
    page.get_by_role("link", name="Almerepas", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(DUTCH_TITLE)


def test_an_english_browser_gets_english(new_page: Callable[..., Page]) -> None:
    page = new_page(locale="en-GB")
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text(ENGLISH_TITLE)
    expect(page.get_by_role("link", name="Nederlands")).to_be_visible()


def test_everything_works_without_javascript(new_page: Callable[..., Page]) -> None:
    page = new_page(java_script_enabled=False)
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text(DUTCH_TITLE)
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ENGLISH_TITLE)
    page.get_by_role("link", name="Accessibility").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Accessibility")


def test_skip_link_is_the_first_tab_stop_and_jumps_to_the_content(page: Page) -> None:
    page.goto("/")
    skip = page.get_by_role("link", name="Naar de inhoud")
    expect(skip).not_to_be_in_viewport()  # hidden until it has focus

    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()

    page.keyboard.press("Enter")
    expect(page).to_have_url("/#inhoud")
    expect(page.get_by_role("main")).to_be_focused()
    # The next Tab continues in the content (its one link: the check), not back in the header.
    page.keyboard.press("Tab")
    expect(page.get_by_role("main").get_by_role("link").first).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("contentinfo").get_by_role("link").first).to_be_focused()


def test_the_page_reflows_on_a_narrow_phone(new_page: Callable[..., Page]) -> None:
    """WCAG 1.4.10: at 320 CSS pixels wide nothing needs horizontal scrolling."""
    page = new_page(viewport={"width": 320, "height": 640})
    page.goto("/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    expect(page.get_by_role("link", name="English")).to_be_in_viewport()


@pytest.mark.parametrize("locale", ["nl-NL", "en-GB"])
@pytest.mark.parametrize("path", ["/", "/toegankelijkheid"])
def test_pages_have_no_accessibility_violations(
    new_page: Callable[..., Page], path: str, locale: str
) -> None:
    page = new_page(locale=locale, bypass_csp=True)
    page.goto(path)
    expect(page.locator("html")).to_have_attribute("lang", locale[:2])
    violations = axe_check(page)
    assert violations == [], describe_violations(violations)


@pytest.mark.parametrize(
    ("locale", "title"), [("nl-NL", "Dit bestaat niet"), ("en-GB", "This does not exist")]
)
def test_not_found_page_helps_the_way_back_and_is_accessible(
    new_page: Callable[..., Page], live_server: LiveServer, locale: str, title: str
) -> None:
    page = new_page(locale=locale, bypass_csp=True)
    response = page.goto("/bestaat-niet")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    violations = axe_check(page)
    assert violations == [], describe_violations(violations)

    page.get_by_role("main").get_by_role("link").click()
    expect(page).to_have_url(f"{live_server.url}/")
