"""Three languages in real Chromium: switching to Arabic mirrors the page (dir=rtl), the switch
and the check work by keyboard alone, and axe passes on every resident page in Dutch, English
and Arabic (docs/languages.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from almerepas.holders.sessions import open_session
from almerepas.models import Household, Pass, Person
from almerepas.reference.loaders import load_norms, load_schemes
from almerepas.web.holder.session import PERSON_KEY, TOKEN_KEY
from tests.browser.conftest import LiveServer, passes_axe, require_playwright
from tests.browser.test_holder import PASS_NUMBER, arrange, shown_code
from tests.browser.test_partner_portal import signed_in
from tests.fixtures import START, FrozenClock
from tests.web.test_holder_pages import budgets

if TYPE_CHECKING:
    from playwright.sync_api import Page

expect = require_playwright().expect

LANGUAGES = ["nl", "en", "ar"]
DIRECTION = {"nl": "ltr", "en": "ltr", "ar": "rtl"}
CHECK = {"huishouden": "alleen", "leeftijd": "35", "kinderen": "4, 11", "inkomen": "1.234,56"}


def in_language(page: Page, lang: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("html")).to_have_attribute("dir", DIRECTION[lang])


def load_reference(live_server: LiveServer) -> None:
    with live_server.app.app_context(), live_server.session() as session:
        load_norms(session)
        load_schemes(session)
        session.commit()


def test_switching_to_arabic_mirrors_the_start_page_and_the_check(
    page: Page, live_server: LiveServer, frozen_clock: FrozenClock
) -> None:
    load_reference(live_server)
    page.goto("/")
    page.get_by_role("link", name="العربية").click()
    in_language(page, "ar")
    expect(page.get_by_role("heading", level=1)).to_have_text("Almerepas: بطاقة مدينة ألميره")
    # Right to left: the name of the service sits at the right, the switch at the left.
    brand = page.get_by_role("link", name="Almerepas", exact=True).bounding_box()
    switch = page.get_by_role("navigation", name="اللغة").bounding_box()
    assert brand is not None and switch is not None and brand["x"] > switch["x"]
    heading = page.get_by_role("heading", level=1)
    assert heading.evaluate("h => getComputedStyle(h).textAlign") == "start"
    assert heading.evaluate("h => getComputedStyle(h).direction") == "rtl"

    page.get_by_role("link", name="ما الذي يحق لي؟ قم بالفحص").click()
    expect(page).to_have_url(f"{live_server.url}/recht")
    in_language(page, "ar")  # the cookie: no ?lang= in this URL
    expect(page.get_by_role("heading", level=1)).to_have_text("ما الذي يحق لي؟")
    page.get_by_label("أسكن وحدي").check()
    page.locator("#leeftijd").fill("35")
    page.locator("#kinderen").fill("4, 11")
    page.locator("#inkomen").fill("1.234,56")
    page.get_by_role("button", name="اعرض ما يحق لي").click()
    in_language(page, "ar")
    expect(page.get_by_role("heading", level=1)).to_have_text("النتيجة: ما الذي يحق لك؟")
    expect(page.locator("#regeling-stadsfonds")).to_contain_text("طفلك البالغ من العمر 4 سنوات")

    page.get_by_role("link", name="Nederlands").click()
    in_language(page, "nl")
    expect(page.get_by_role("heading", level=1)).to_have_text("Waar heb ik recht op?")


def _focused_text(page: Page) -> str:
    return str(page.evaluate("(document.activeElement.textContent || '').trim()"))


def _focused_name(page: Page) -> str:
    return str(page.evaluate("document.activeElement.name || ''"))


def test_the_switch_and_the_check_by_keyboard_alone(
    page: Page, live_server: LiveServer, frozen_clock: FrozenClock
) -> None:
    load_reference(live_server)
    page.goto("/")
    for _ in range(6):
        page.keyboard.press("Tab")
        if _focused_text(page) == "العربية":
            break
    else:
        raise AssertionError("Tab never reached the Arabic link")
    page.keyboard.press("Enter")
    in_language(page, "ar")
    for _ in range(10):
        page.keyboard.press("Tab")
        if _focused_text(page) == "ما الذي يحق لي؟ قم بالفحص":
            break
    else:
        raise AssertionError("Tab never reached the link to the check")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/recht")
    for name, typed in CHECK.items():
        for _ in range(30):
            page.keyboard.press("Tab")
            if _focused_name(page) == name:
                break
        else:
            raise AssertionError(f"Tab never reached the field {name}")
        if name == "huishouden":
            page.keyboard.press("Space")
        else:
            page.keyboard.type(typed)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("النتيجة: ما الذي يحق لك؟")
    expect(page.locator("#regeling-ov")).to_have_class("verdict-yes")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_public_resident_page_passes_axe(
    new_page: Callable[..., Page], live_server: LiveServer, frozen_clock: FrozenClock, lang: str
) -> None:
    load_reference(live_server)
    page = new_page(bypass_csp=True)
    for path in ("/", "/toegankelijkheid", "/aanbod", "/recht", "/mijn/inloggen"):
        page.goto(f"{path}?lang={lang}")
        in_language(page, lang)
        passes_axe(page)
    page.goto("/recht")
    page.locator("#inkomen").fill("twaalf")
    page.locator("form button[type=submit]").click()
    expect(page.locator(".error-summary")).to_be_visible()
    passes_axe(page)  # the check with its errors
    page.locator("#huishouden").check()
    page.locator("#leeftijd").fill("35")
    page.locator("#inkomen").fill("1.234,56")
    page.locator("form button[type=submit]").click()
    expect(page.locator("#regeling-ov")).to_be_visible()
    in_language(page, lang)
    passes_axe(page)  # the answer
    page.goto("/mijn/inloggen")
    page.locator("#contact").fill("niemand@example.nl")  # unknown: the same pages as anyone
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}/mijn/inloggen/code")
    in_language(page, lang)
    passes_axe(page)  # the code
    page.locator("#code").fill("12")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".error-summary")).to_be_visible()
    passes_axe(page)  # the code with its error
    response = page.goto("/bestaat-niet")
    assert response is not None and response.status == 404
    in_language(page, lang)
    passes_axe(page)


@pytest.mark.usefixtures("frozen_clock")
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_holder_page_passes_axe(
    new_page: Callable[..., Page], live_server: LiveServer, lang: str
) -> None:
    arrange(live_server)
    db = live_server.session()
    try:
        found = db.scalars(select(Pass).where(Pass.number == PASS_NUMBER)).one()
        person = db.get_one(Person, found.person_id)
        budgets(db, db.scalars(select(Household)).one(), START.date())  # something to claim
        cookie = {TOKEN_KEY: open_session(db, person, now=START), PERSON_KEY: person.id}
        db.commit()
    finally:
        db.close()
    page = new_page(bypass_csp=True)
    page.clock.install(time=START)
    signed_in(page.context, live_server, cookie)
    page.goto(f"/mijn?lang={lang}")
    for path in (
        "/mijn",
        "/mijn/geschiedenis",
        "/mijn/waar",
        "/mijn/verlengen",
        "/mijn/herinneringen",
        "/mijn/declaraties",
        "/mijn/declaraties/nieuw",
    ):
        page.goto(path)
        in_language(page, lang)
        passes_axe(page)
    page.locator("form[enctype] button[type=submit]").click()  # a claim with nothing filled in
    expect(page.locator(".error-summary")).to_be_visible()
    in_language(page, lang)
    passes_axe(page)
    page.goto(f"/mijn/passen/{PASS_NUMBER}")
    shown_code(page)
    in_language(page, lang)
    passes_axe(page)
    page.goto("/mijn")
    page.locator(f"form[action$='/{PASS_NUMBER}/kwijt'] button").click()  # lost or stolen?
    expect(page.locator("#reason-lost")).to_be_visible()
    in_language(page, lang)
    passes_axe(page)
