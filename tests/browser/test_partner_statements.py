"""The partner's statements in real Chromium: a manager opens its settlements from the portal's
menu, opens June's statement, sees the total, and downloads the lines as CSV; both pages pass
axe. The clock is frozen on the server (``frozen_clock`` reaches the live server's thread)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from almerepas.contracts import logins
from almerepas.partners.auth import PAGE_USER_TOKEN_KEY
from almerepas.reference.loaders import load_norms, load_postcodes, load_schemes
from almerepas.settlements import runs
from tests.browser.conftest import LiveServer, axe_check, describe_violations, require_playwright
from tests.browser.test_partner_portal import signed_in
from tests.factories import make_partner_user
from tests.fixtures import FrozenClock
from tests.redemptions.support import JUNE, child_budget
from tests.settlements.support import APPROVER, JULY, PREPARER, contracted, redeem_at

if TYPE_CHECKING:
    from playwright.sync_api import Page

expect = require_playwright().expect


@dataclass
class Arranged:
    run_id: int
    manager_token: str
    cashier_token: str


def arrange(live_server: LiveServer) -> Arranged:
    """Sportclub Almere with two June redemptions in an approved run; its manager's and its
    cashier's tokens, as their logins would put them in the session cookie."""
    with live_server.app.app_context():
        db = live_server.session()
        load_postcodes(db)
        load_norms(db)
        load_schemes(db)
        club, hall = contracted(db, "stadsfonds", name="Sportclub Almere")
        grant = child_budget(db)
        redeem_at(db, grant, club, hall, 45_50)
        redeem_at(db, grant, club, hall, 12_25)
        run, _held = runs.prepare(db, period="2026-06", actor=PREPARER, now=JULY)
        runs.approve(db, run.id, actor=APPROVER, now=JULY)
        manager, _password, _secret = make_partner_user(db, club, "manager")
        cashier, _password, _secret = make_partner_user(db, club, "cashier")
        arranged = Arranged(
            run.id,
            logins.issue_token(db, manager, now=JULY).token,
            logins.issue_token(db, cashier, now=JULY).token,
        )
        db.commit()
        db.close()
    return arranged


def test_a_manager_opens_a_statement_and_downloads_its_lines(
    new_page: Callable[..., Page], live_server: LiveServer, frozen_clock: FrozenClock
) -> None:
    frozen_clock.set(JULY)
    arranged = arrange(live_server)
    run_id = arranged.run_id
    page = new_page(bypass_csp=True, accept_downloads=True)
    signed_in(page.context, live_server, {PAGE_USER_TOKEN_KEY: arranged.manager_token})
    page.goto("/partner/transacties")
    page.get_by_role("navigation", name="Partnerportaal").get_by_role(
        "link", name="Afrekeningen"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Afrekeningen")
    expect(page.get_by_role("cell", name="goedgekeurd")).to_be_visible()
    violations = axe_check(page)
    assert violations == [], describe_violations(violations)

    page.get_by_role("link", name="juni 2026").click()
    expect(page).to_have_url(f"{live_server.url}/partner/afrekeningen/{run_id}")
    expect(page.get_by_text("Totaal: € 57,75")).to_be_visible()
    expect(page.get_by_text(f"CN-{run_id}-")).to_be_visible()
    violations = axe_check(page)
    assert violations == [], describe_violations(violations)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download de regels als CSV-bestand").click()
    saved = Path(download.value.path())
    assert download.value.suggested_filename.endswith(".csv")
    rows = list(csv.reader(io.StringIO(saved.read_text("utf-8-sig")), delimiter=";"))
    amount = rows[0].index("Bedrag in euro")
    assert [row[amount] for row in rows[1:]] == ["45,50", "12,25"]
    assert rows[1][0] == f"{JUNE:%d-%m-%Y} 12:00"


def test_a_cashier_sees_no_statements(
    new_page: Callable[..., Page], live_server: LiveServer, frozen_clock: FrozenClock
) -> None:
    frozen_clock.set(JULY)
    arranged = arrange(live_server)
    page = new_page()
    signed_in(page.context, live_server, {PAGE_USER_TOKEN_KEY: arranged.cashier_token})
    page.goto("/partner/transacties")
    nav = page.get_by_role("navigation", name="Partnerportaal")
    expect(nav.get_by_role("link", name="Transacties")).to_be_visible()
    expect(nav.get_by_role("link", name="Afrekeningen")).to_have_count(0)
    response = page.goto(f"/partner/afrekeningen/{arranged.run_id}")
    assert response is not None and response.status == 403
    expect(page.get_by_text("€ 57,75")).to_have_count(0)
