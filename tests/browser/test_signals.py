"""The signals page in real Chromium: a finance user opens it from the menu, picks December and
sees each signal with its evidence; the page passes axe. A screenshot is kept of it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from almerepas.models import Role
from almerepas.reference.loaders import load_norms, load_postcodes, load_schemes
from tests.browser.conftest import LiveServer, keep_screenshot, passes_axe, require_playwright
from tests.browser.test_finance import log_in
from tests.factories import make_staff
from tests.fixtures import FrozenClock
from tests.reports.signal_support import make_december
from tests.settlements.support import JULY

if TYPE_CHECKING:
    from playwright.sync_api import Page

expect = require_playwright().expect


@pytest.mark.usefixtures("frozen_clock")
def test_finance_reads_the_signals_and_the_page_passes_axe(
    new_page: Callable[..., Page],
    live_server: LiveServer,
    frozen_clock: FrozenClock,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    frozen_clock.set(JULY)  # log_in makes its code for this moment
    with live_server.app.test_request_context(), live_server.session() as session:
        load_postcodes(session)
        load_norms(session)
        load_schemes(session)
        make_december(session)
        user, password, secret = make_staff(session, Role.finance)
        session.commit()

    page = new_page(bypass_csp=True)
    log_in(page, user.username, password, secret)
    page.get_by_role("link", name="Signalen: opvallende patronen").click()
    page.get_by_label("Van (dag)").fill("24-12-2026")
    page.get_by_label("Tot en met (dag)").fill("31-12-2026")
    page.get_by_role("button", name="Bekijken").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Signalen: opvallende patronen")
    days = page.get_by_role("table", name="Dagen ver boven het gewone niveau van de partner")
    expect(days).to_contain_text("Judoclub Oost")
    places = page.get_by_role("table", name="Eén pas op twee plaatsen kort na elkaar")
    expect(places).to_contain_text("Zwembad locatie")
    keep_screenshot(page, tmp_path_factory, "signals-page")
    passes_axe(page)
