"""Reminders in real Chromium: the caseworker's list /medewerkers/bereik (opting a household
out, sending, a run's page) and the holder's own switch /mijn/herinneringen pass axe, and the
holder's switch works by keyboard alone. Screenshots of both pages are kept."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pyotp
import pytest

from almerepas.core import clock
from almerepas.holders.sessions import open_session
from almerepas.models import Household, OptOut, Role
from almerepas.reference.loaders import load_norms, load_postcodes, load_schemes
from almerepas.web.holder.session import PERSON_KEY, TOKEN_KEY
from tests.browser.conftest import LiveServer, keep_screenshot, passes_axe, require_playwright
from tests.browser.test_partner_portal import signed_in
from tests.factories import make_staff
from tests.fixtures import FrozenClock
from tests.outreach.support import MARCH, family, grant_budgets, on

if TYPE_CHECKING:
    from playwright.sync_api import Page

expect = require_playwright().expect


def town(live_server: LiveServer) -> tuple[int, int]:
    """Two families with an unused 2026 budget, on a day when the list names them."""
    with live_server.app.app_context(), live_server.session() as db:
        load_postcodes(db)
        load_norms(db)
        load_schemes(db)
        anna = family(db, "Anna", email="anna@example.nl")
        bram = family(db, "Bram", by_post=True)
        grant_budgets(db)
        db.commit()
        return anna.id, bram.id


@pytest.mark.usefixtures("frozen_clock")
def test_the_caseworkers_list_passes_axe_before_and_after_sending(
    new_page: Callable[..., Page],
    live_server: LiveServer,
    frozen_clock: FrozenClock,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    anna_id, _bram_id = town(live_server)
    on(frozen_clock, MARCH)
    with live_server.app.app_context(), live_server.session() as db:
        user, password, secret = make_staff(db, Role.caseworker)
        db.commit()

    page = new_page(bypass_csp=True)
    page.goto("/inloggen")
    form = page.locator("form:has([name=password])")
    form.locator("[name=username]").fill(user.username)
    form.locator("[name=password]").fill(password)
    form.locator("[name=code]").fill(pyotp.TOTP(secret).at(clock.now()))
    with page.expect_navigation():
        form.locator("[type=submit]").click()
    page.get_by_role("link", name="Bereik: herinneringen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Bereik: inwoners die hun pas niet gebruiken"
    )
    table = page.get_by_role("table", name="Herinneringen die nog niet verstuurd zijn")
    expect(table).to_contain_text("Anna Test")
    expect(table).to_contain_text("Bram Test")
    keep_screenshot(page, tmp_path_factory, "outreach-list")
    passes_axe(page)

    table.get_by_role("row").filter(has_text="Anna Test").get_by_role(
        "button", name="Wil geen herinneringen"
    ).click()
    expect(page.get_by_role("status")).to_contain_text(
        "Dit huishouden krijgt geen herinneringen meer."
    )
    passes_axe(page)  # with the notice and the household that said no
    with live_server.session() as db:
        assert db.get(OptOut, anna_id) is not None

    page.get_by_label("Als proef", exact=False).check()
    page.get_by_role("button", name="Herinneringen versturen").click()
    expect(page.get_by_role("status")).to_contain_text(
        "1 herinneringen verstuurd, 0 in de vergelijkingsgroep."
    )
    passes_axe(page)  # a run's page with its take-up table
    page.get_by_role("link", name="Bereik: herinneringen").click()
    left = page.get_by_role("table", name="Herinneringen die nog niet verstuurd zijn")
    expect(left).not_to_contain_text("Bram Test")  # reminded: off the list
    expect(left).to_contain_text("Anna Test")  # said no: stays, marked, never sent anything
    passes_axe(page)


@pytest.mark.usefixtures("frozen_clock")
def test_the_holder_turns_reminders_off_and_on_by_keyboard_and_the_page_passes_axe(
    new_page: Callable[..., Page],
    live_server: LiveServer,
    frozen_clock: FrozenClock,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    anna_id, _bram_id = town(live_server)
    on(frozen_clock, MARCH)
    with live_server.session() as db:
        parent = db.get_one(Household, anna_id).memberships[0].person
        cookie = {TOKEN_KEY: open_session(db, parent, now=clock.now()), PERSON_KEY: parent.id}
        db.commit()

    page = new_page(bypass_csp=True)
    page.clock.install(time=clock.now())
    signed_in(page.context, live_server, cookie)
    page.goto("/mijn")
    page.get_by_role("link", name="Herinneringen uitzetten of weer aanzetten").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Herinneringen")
    expect(page.get_by_text("U krijgt nu herinneringen.")).to_be_visible()
    passes_axe(page)

    stop = page.get_by_role("button", name="Geen herinneringen meer")
    stop.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text(
        "Wij sturen u geen herinneringen meer. U kunt ze hier altijd weer aanzetten."
    )
    expect(page.get_by_text("U krijgt nu geen herinneringen.")).to_be_visible()
    keep_screenshot(page, tmp_path_factory, "holder-reminders-off")
    passes_axe(page)
    with live_server.session() as db:
        assert db.get(OptOut, anna_id) is not None

    page.set_viewport_size({"width": 360, "height": 740})  # a small phone: nothing sideways
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_role("button", name="Weer herinneringen krijgen").click()
    expect(page.get_by_role("status")).to_have_text("Wij sturen u weer herinneringen.")
    passes_axe(page)
    with live_server.session() as db:
        assert db.get(OptOut, anna_id) is None
