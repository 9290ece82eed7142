"""Aanvragen in real Chromium at 360 px: a resident applies with a photo of a letter, the
caseworker approves, and the resident finds the pass on Mijn Almerepas; axe on every new page."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from almerepas.models import Role
from almerepas.passes import keys as signing
from almerepas.reference.loaders import load_norms, load_postcodes, load_schemes
from tests.browser.conftest import (
    LiveServer,
    axe_check,
    describe_violations,
    login_as,
    require_playwright,
)
from tests.factories import KEYS, TEST_ACTOR, make_staff
from tests.fixtures import START, SmtpServer

if TYPE_CHECKING:
    from playwright.sync_api import FilePayload, Page

expect = require_playwright().expect

PHONE = {"width": 360, "height": 740}
EMAIL = "fatima.apply@example.nl"


def _accessible_and_narrow(page: Page) -> None:
    violations = axe_check(page)
    assert violations == [], describe_violations(violations)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, page.url


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 160), (240, 240, 230)).save(out, format="PNG")
    return out.getvalue()


def _mails(smtp_server: SmtpServer, count: int) -> list[EmailMessage]:
    """The e-mails, each handed over after the request that queued it."""
    return smtp_server.wait_for(count)[:count]


def _next(page: Page) -> None:
    page.get_by_role("button", name="Opslaan en verder").click()


def test_apply_on_a_phone_then_approval_then_the_pass_on_mijn_almerepas(
    new_page: Callable[..., Page],
    live_server: LiveServer,
    smtp_server: SmtpServer,
    tmp_path: Path,
) -> None:
    app = live_server.app
    app.config.update(
        UPLOAD_FOLDER=str(tmp_path), SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port
    )
    with app.app_context(), live_server.session() as session:
        load_postcodes(session)
        load_norms(session)
        load_schemes(session)
        signing.ensure_keys(session, keys=KEYS, actor=TEST_ACTOR, now=START)
        user, password, secret = make_staff(session, Role.caseworker)
        session.commit()

    page = new_page(bypass_csp=True, viewport=PHONE)
    page.goto("/aanvragen")
    _accessible_and_narrow(page)
    page.get_by_role("button", name="Begin met de aanvraag").click()

    expect(page.get_by_role("heading", name="1. Wie wonen er in uw huis?")).to_be_visible()
    _accessible_and_narrow(page)
    page.locator("#member-0-given_name").fill("Fatima")
    page.locator("#member-0-family_name").fill("El Amrani")
    page.locator("#member-0-born").fill("02-04-1990")
    page.locator("#member-1-given_name").fill("Sami")
    page.locator("#member-1-family_name").fill("El Amrani")
    page.locator("#member-1-born").fill("01-06-2014")
    page.locator("#member-1-role").select_option("child")
    _next(page)

    expect(page.get_by_role("heading", name="2. Uw adres en hoe wij u bereiken")).to_be_visible()
    page.locator("#postcode").fill("1315 AB")
    page.locator("#house_number").fill("12")
    page.locator("#street").fill("Stadhuisplein")
    page.locator("#email").fill(EMAIL)
    _next(page)
    expect(page.locator("#postcode-error")).to_have_count(0)

    expect(page.get_by_role("heading", name="3. Welk geld komt er binnen?")).to_be_visible()
    page.locator("#income-0-member").select_option("0")
    page.locator("#income-0-kind").select_option("benefit")
    page.locator("#income-0-amount").fill("twaalfhonderd")
    _next(page)
    expect(page.locator("#income-0-amount-error")).to_contain_text("1.234,56")
    expect(page.locator("#income-0-amount")).to_have_value("twaalfhonderd")
    _accessible_and_narrow(page)
    page.locator("#income-0-amount").fill("1.234,56")
    _next(page)

    expect(page.get_by_role("heading", name="4. Bewijs van inkomen")).to_be_visible()
    photo: FilePayload = {"name": "brief.png", "mimeType": "image/png", "buffer": _photo()}
    page.locator("#bestand").set_input_files(files=[photo])
    page.get_by_role("button", name="Bestand toevoegen").click()
    expect(page.get_by_role("button", name="Verwijder bestand 1")).to_be_visible()
    _accessible_and_narrow(page)
    page.get_by_role("link", name="Verder: controleren en versturen").click()

    expect(page.get_by_role("heading", name="5. Controleren en versturen")).to_be_visible()
    _accessible_and_narrow(page)
    page.get_by_role("button", name="Verstuur de aanvraag").click()
    expect(page.get_by_text("Wij hebben uw aanvraag ontvangen")).to_be_visible()
    _accessible_and_narrow(page)

    staff = new_page(bypass_csp=True)
    login_as(staff, live_server, user.username, password, secret)
    staff.get_by_role("link", name="Aanvragen beoordelen").click()
    violations = axe_check(staff)
    assert violations == [], describe_violations(violations)
    staff.get_by_role("link", name=re.compile(r"Aanvraag [0-9]+")).click()
    expect(staff.get_by_role("heading", name="Voorstel")).to_be_visible()
    violations = axe_check(staff)
    assert violations == [], describe_violations(violations)
    staff.get_by_role("link", name="Inkomen").click()
    expect(staff.locator("#income-0-amount")).to_have_value("1.234,56")
    violations = axe_check(staff)
    assert violations == [], describe_violations(violations)
    staff.get_by_role("button", name="Verbetering opslaan").click()
    expect(staff.get_by_text("De gegevens zijn verbeterd.")).to_be_visible()
    staff.get_by_role("button", name="Goedkeuren").click()
    expect(staff.get_by_text("De aanvraag is goedgekeurd")).to_be_visible()

    page.reload()
    expect(page.get_by_text("Uw aanvraag is goedgekeurd")).to_be_visible()
    page.get_by_role("link", name="Naar Mijn Almerepas").click()
    page.get_by_label("Uw e-mailadres of mobiele nummer").fill(EMAIL)
    page.get_by_role("button", name="Stuur mij een code").click()
    # first the letter about the decision, then the login code
    letter, mail = _mails(smtp_server, 2)
    assert letter["Subject"] == "U krijgt de Almerepas"
    assert "Gratis openbaar vervoer in Almere" in letter.get_content()
    code = re.search(r"\b([0-9]{6})\b", mail.get_content())
    assert code, mail.get_content()
    page.get_by_label("Code (6 cijfers)").fill(code.group(1))
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_role("heading", name="Mijn Almerepas")).to_be_visible()
    expect(page.get_by_text("Pasnummer").first).to_be_visible()
    expect(page.get_by_text("Gratis openbaar vervoer in Almere").first).to_be_visible()
