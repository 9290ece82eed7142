"""Four eyes in real Chromium: one finance user prepares June's settlement and cannot approve it,
a colleague approves it; the run page passes axe.

The clock is frozen on 2 July 2026 on the server (``frozen_clock`` reaches the live server's
thread), so the login codes are made for that moment too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pyotp
import pytest

from almerepas.models import Role
from almerepas.reference.loaders import load_norms, load_postcodes, load_schemes
from tests.browser.conftest import LiveServer, axe_check, describe_violations, require_playwright
from tests.factories import make_staff
from tests.fixtures import FrozenClock
from tests.redemptions.support import child_budget
from tests.settlements.support import JULY, contracted, redeem_at

if TYPE_CHECKING:
    from playwright.sync_api import Page

expect = require_playwright().expect

OWN_RUN = "U hebt deze afrekening klaargezet; een collega moet hem goedkeuren."


def log_in(page: Page, username: str, password: str, secret: str) -> None:
    """The real login form, with the code of the frozen moment (tests.browser.login_as uses the
    wall clock, which the frozen server would refuse)."""
    page.goto("/inloggen")
    form = page.locator("form:has([name=password])")
    form.locator("[name=username]").fill(username)
    form.locator("[name=password]").fill(password)
    form.locator("[name=code]").fill(pyotp.TOTP(secret).at(JULY))
    with page.expect_navigation():
        form.locator("[type=submit]").click()
    expect(page.locator("form [name=password]")).to_have_count(0)


@pytest.mark.usefixtures("frozen_clock")
def test_one_prepares_another_approves(
    new_page: Callable[..., Page], live_server: LiveServer, frozen_clock: FrozenClock
) -> None:
    frozen_clock.set(JULY)
    with live_server.app.test_request_context(), live_server.session() as session:
        load_postcodes(session)
        load_norms(session)
        load_schemes(session)
        partner, place = contracted(session, "stadsfonds", name="Zwemvereniging De Ühr")
        grant = child_budget(session)
        redeem_at(session, grant, partner, place, 45_50)
        fien = make_staff(session, Role.finance)
        ahmed = make_staff(session, Role.finance)
        session.commit()
        fien_login = (fien[0].username, fien[1], fien[2])
        ahmed_login = (ahmed[0].username, ahmed[1], ahmed[2])

    mine = new_page()
    log_in(mine, *fien_login)
    mine.get_by_role("link", name="Afrekeningen").click()
    expect(mine.get_by_label("Maand (bijvoorbeeld 2026-06)")).to_have_value("2026-06")
    mine.get_by_role("button", name="Afrekening klaarzetten").click()
    expect(mine.get_by_role("heading", level=1)).to_contain_text("voor 2026-06")
    expect(mine.get_by_text(OWN_RUN)).to_be_visible()
    expect(mine.get_by_role("button", name="Goedkeuren")).to_have_count(0)
    run_url = mine.url

    theirs = new_page(bypass_csp=True)
    log_in(theirs, *ahmed_login)
    theirs.goto(run_url)
    expect(theirs.get_by_text(OWN_RUN)).to_have_count(0)
    violations = axe_check(theirs)
    assert violations == [], describe_violations(violations)
    theirs.get_by_role("button", name="Goedkeuren").click()
    expect(theirs.get_by_role("status")).to_contain_text("is goedgekeurd")
    expect(theirs.locator(".facts")).to_contain_text("Goedgekeurd")
    expect(theirs.get_by_role("button", name="SEPA-bestand maken")).to_be_visible()
    violations = axe_check(theirs)
    assert violations == [], describe_violations(violations)

    mine.reload()
    expect(mine.locator(".facts")).to_contain_text("Goedgekeurd")

    theirs.goto("/financien/afrekeningen")
    expect(theirs.get_by_role("heading", name="Te laat")).to_be_visible()
    violations = axe_check(theirs)
    assert violations == [], describe_violations(violations)
