"""The figures dashboard in real Chromium: policy staff log in, open it from the menu, and the
page with its three charts passes axe. A screenshot of it is kept as an artifact of the run."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from almerepas.models import Role
from almerepas.reference.loaders import load_norms, load_postcodes, load_schemes
from tests.browser.conftest import LiveServer, keep_screenshot, passes_axe, require_playwright
from tests.browser.test_finance import log_in
from tests.factories import make_staff
from tests.fixtures import FrozenClock
from tests.reports.support import make_year
from tests.settlements.support import JULY

if TYPE_CHECKING:
    from playwright.sync_api import Page

expect = require_playwright().expect


@pytest.mark.usefixtures("frozen_clock")
def test_the_dashboard_passes_axe(
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
        make_year(session)
        user, password, secret = make_staff(session, Role.policy)
        session.commit()
    frozen_clock.set(dt.datetime(2026, 7, 2, 9, 0, tzinfo=dt.UTC))

    page = new_page(bypass_csp=True)
    log_in(page, user.username, password, secret)
    page.get_by_role("link", name="Cijfers: bereik en besteding").click()
    page.get_by_label("Jaar", exact=True).fill("2026")
    page.get_by_role("button", name="Bekijken").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cijfers: bereik en besteding")
    budget = page.get_by_role("img", name="Netto besteed als deel van het jaarbudget")
    expect(budget).to_be_visible()
    expect(page.get_by_role("table", name="Per wijk")).to_contain_text("< 10")
    keep_screenshot(page, tmp_path_factory, "reports-dashboard")
    passes_axe(page)
