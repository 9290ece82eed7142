"""Finance in real Chromium: preview next month's grant run, then run it; the page passes axe."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from almerepas.core import clock
from almerepas.models import MemberRole, Role
from almerepas.reference.loaders import load_norms, load_postcodes, load_schemes
from almerepas.schemes import periods
from tests.browser.conftest import (
    LiveServer,
    axe_check,
    describe_violations,
    login_as,
    require_playwright,
)
from tests.factories import assess, born, make_household, make_staff

if TYPE_CHECKING:
    from playwright.sync_api import Page

expect = require_playwright().expect


def test_finance_previews_and_runs_a_period(
    new_page: Callable[..., Page], live_server: LiveServer
) -> None:
    with live_server.app.test_request_context(), live_server.session() as session:
        load_postcodes(session)
        load_norms(session)
        load_schemes(session)
        family = make_household(
            session, [(MemberRole.applicant, born(40)), (MemberRole.child, born(9))]
        )
        assess(session, family, (100, 100), on=dt.date(2026, 3, 1))
        user, password, secret = make_staff(session, Role.finance)
        session.commit()
    following = periods.add_months(clock.today().replace(day=1), 1).strftime("%Y-%m")

    page = new_page()
    login_as(page, live_server, user.username, password, secret)
    page.get_by_role("link", name="Toekenningen bekijken en uitvoeren").click()
    expect(page.get_by_label("Periode (bijvoorbeeld 2027-01)")).to_have_value(following)
    page.get_by_role("button", name="Bekijken").click()
    expect(page.get_by_role("table", name="Per regeling")).to_be_visible()

    axe_page = new_page(bypass_csp=True)
    axe_page.context.add_cookies(page.context.cookies())  # type: ignore[arg-type]
    axe_page.goto(page.url)
    violations = axe_check(axe_page)
    assert violations == [], describe_violations(violations)

    page.get_by_role("button", name=f"Nu toekennen voor {following}").click()
    expect(page.get_by_role("status")).to_contain_text(f"toekenningen voor {following}.")
    page.get_by_label("Periode (bijvoorbeeld 2027-01)").fill("2099-01")
    page.get_by_role("button", name="Bekijken").click()
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.get_by_label("Periode (bijvoorbeeld 2027-01)")).to_have_attribute(
        "aria-invalid", "true"
    )
