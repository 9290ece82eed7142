"""/recht in a real browser at 360 px: keyboard only, the answer, and axe on both pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from almerepas.reference.loaders import load_norms, load_schemes
from tests.browser.conftest import LiveServer, axe_check, describe_violations, require_playwright
from tests.fixtures import FrozenClock

if TYPE_CHECKING:
    from playwright.sync_api import Page

expect = require_playwright().expect


def _focused_name(page: Page) -> str:
    return str(page.evaluate("document.activeElement.name || ''"))


def _tab_to(page: Page, name: str) -> None:
    for _ in range(30):
        page.keyboard.press("Tab")
        if _focused_name(page) == name:
            return
    raise AssertionError(f"Tab never reached the field {name}")


@pytest.mark.parametrize("locale", ["nl-NL", "en-GB"])
def test_the_check_by_keyboard_at_360_px(
    new_page: Callable[..., Page], live_server: LiveServer, frozen_clock: FrozenClock, locale: str
) -> None:
    with live_server.app.app_context(), live_server.session() as session:
        load_norms(session)
        load_schemes(session)
        session.commit()
    page = new_page(locale=locale, bypass_csp=True, viewport={"width": 360, "height": 740})
    page.goto("/recht")
    violations = axe_check(page)
    assert violations == [], describe_violations(violations)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    _tab_to(page, "huishouden")
    page.keyboard.press("Space")
    expect(page.locator("#huishouden")).to_be_checked()
    _tab_to(page, "leeftijd")
    page.keyboard.type("35")
    _tab_to(page, "kinderen")
    page.keyboard.type("4, 11")
    _tab_to(page, "inkomen")
    page.keyboard.type("1.234,56")
    page.keyboard.press("Enter")

    fund = page.locator("#regeling-stadsfonds")
    expect(fund).to_contain_text("€ 1.600,00")
    expect(page.locator("#regeling-ov")).to_have_class("verdict-yes")
    violations = axe_check(page)
    assert violations == [], describe_violations(violations)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_bad_input_at_360_px_keeps_what_was_typed(
    new_page: Callable[..., Page], live_server: LiveServer, frozen_clock: FrozenClock
) -> None:
    with live_server.app.app_context(), live_server.session() as session:
        load_norms(session)
        load_schemes(session)
        session.commit()
    page = new_page(bypass_csp=True, viewport={"width": 360, "height": 740})
    page.goto("/recht")
    page.get_by_label("Ik woon alleen").check()
    page.locator("#leeftijd").fill("35")
    page.locator("#inkomen").fill("twaalf")
    page.get_by_role("button").click()
    expect(page.locator("#inkomen-error")).to_contain_text("Vul een bedrag in euro")
    expect(page.locator("#inkomen")).to_have_value("twaalf")
    expect(page.locator("#leeftijd")).to_have_value("35")
    violations = axe_check(page)
    assert violations == [], describe_violations(violations)
