"""/aanbod in a real browser: the offers of partners, accessible in Dutch and English."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from almerepas.contracts import offers, partners
from tests.browser.conftest import LiveServer, axe_check, describe_violations, require_playwright
from tests.factories import TEST_ACTOR

if TYPE_CHECKING:
    from playwright.sync_api import Page

expect = require_playwright().expect


@pytest.mark.parametrize("locale", ["nl-NL", "en-GB"])
def test_the_offers_page_has_no_accessibility_violations(
    new_page: Callable[..., Page], live_server: LiveServer, locale: str
) -> None:
    with live_server.app.app_context(), live_server.session() as session:
        club = partners.create_partner(
            session,
            {"name": "Zwembad De Duikbeker", "kvk_number": "12345678",
             "iban": "NL91ABNA0417164300", "payout_method": "sepa"},
            actor=TEST_ACTOR,
        )  # fmt: skip
        offers.create_offer(
            session, club,
            {"title_nl": "10 % korting op een zwemkaart", "title_en": "10% off a swimming pass",
             "description_nl": "Aan de kassa.", "description_en": "At the desk.",
             "conditions_nl": "Niet met andere kortingen.", "valid_from": dt.date(2000, 1, 1)},
            actor=TEST_ACTOR,
        )  # fmt: skip
        session.commit()
    page = new_page(locale=locale, bypass_csp=True)
    page.goto("/aanbod")
    expect(page.get_by_role("heading", level=2)).to_have_text("Zwembad De Duikbeker")
    violations = axe_check(page)
    assert violations == [], describe_violations(violations)
