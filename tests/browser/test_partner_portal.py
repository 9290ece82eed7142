"""The partner portal in real Chromium: a QR code shown to Chromium's fake camera is read on the
counter page, found valid and redeemed, and the holder's own pass page shows "Zojuist gebruikt
bij ..." within two seconds; a typed pass number redeems once however often the button is
clicked; without a network the page says at once that the scan was not checked, never green.

The clock is frozen on the server (``frozen_clock`` reaches the live server's thread), so the
card code, the grants and the "just now" window do not depend on today's date.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import qrcode
from PIL import Image
from sqlalchemy import func, select

from almerepas.contracts import logins
from almerepas.holders.sessions import open_session
from almerepas.models import Person, Redemption
from almerepas.partners.auth import PAGE_DEVICE_SESSION_KEY
from almerepas.passes import keys as signing
from almerepas.reference.loaders import load_norms, load_postcodes, load_schemes
from almerepas.web.holder.session import PERSON_KEY, TOKEN_KEY
from tests.browser.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DEFAULT_LOCALE,
    LiveServer,
    axe_check,
    describe_violations,
    require_playwright,
)
from tests.factories import KEYS, TEST_ACTOR
from tests.fixtures import START
from tests.partners.portal_support import budget_holder, card_code, make_counter

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

expect = require_playwright().expect

pytestmark = pytest.mark.usefixtures("frozen_clock")

#: The fake camera's picture: what the spike in browser-spikes.md found to work.
WIDTH, HEIGHT = 640, 480


@dataclass
class Arranged:
    key: str  #: the counter device's key
    pass_number: str
    code: str  #: the printed card's QR text: a real signed code
    holder_cookie: dict[str, Any]


def arrange(live_server: LiveServer) -> Arranged:
    """Sportclub Almere with a counter device, and a child with € 300 of stadsfonds and a pass."""
    with live_server.app.app_context():
        db = live_server.session()
        load_postcodes(db)
        load_norms(db)
        load_schemes(db)
        signing.ensure_keys(db, keys=KEYS, actor=TEST_ACTOR, now=START)
        counter = make_counter(db)
        holder = budget_holder(db)
        code = card_code(db, holder.pass_)
        token = open_session(db, db.get_one(Person, holder.pass_.person_id), now=START)
        arranged = Arranged(
            counter.key,
            holder.pass_.number,
            code,
            {TOKEN_KEY: token, PERSON_KEY: holder.pass_.person_id},
        )
        db.commit()
        db.close()
    return arranged


def signed_in(context: BrowserContext, live_server: LiveServer, values: dict[str, Any]) -> None:
    """Put a Flask session cookie with ``values`` in the browser, as a login would."""
    serializer = live_server.app.session_interface.get_signing_serializer(  # type: ignore[attr-defined]
        live_server.app
    )
    context.add_cookies(
        [
            {
                "name": live_server.app.config["SESSION_COOKIE_NAME"],
                "value": serializer.dumps(values),
                "url": live_server.url,
                "httpOnly": True,
                "sameSite": "Lax",
            }
        ]
    )


def at_counter(context: BrowserContext, live_server: LiveServer, key: str) -> None:
    """The browser paired with the counter device, as the pairing page pairs it."""
    db = live_server.session()
    try:
        _, token = logins.pair_device(db, key, now=START, keys=KEYS, origin=TEST_ACTOR)
        db.commit()
    finally:
        db.close()
    signed_in(context, live_server, {PAGE_DEVICE_SESSION_KEY: token})


def redemptions(live_server: LiveServer) -> int:
    db = live_server.session()
    try:
        return db.scalar(select(func.count()).select_from(Redemption)) or 0
    finally:
        db.close()


def write_y4m(text: str, path: Path) -> None:
    """One grey 640x480 frame (4:2:0, neutral chroma) with the QR code of ``text`` in the middle;
    Chromium loops the file as its fake camera."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, box_size=1)
    qr.add_data(text)
    qr.make(fit=True)
    symbol = qr.make_image(fill_color="black", back_color="white").get_image().convert("L")
    scale = max(1, min(WIDTH, HEIGHT) // symbol.size[0])
    symbol = symbol.resize((symbol.size[0] * scale,) * 2, Image.Resampling.NEAREST)
    frame = Image.new("L", (WIDTH, HEIGHT), 255)
    frame.paste(symbol, ((WIDTH - symbol.size[0]) // 2, (HEIGHT - symbol.size[1]) // 2))
    chroma = bytes([128]) * (WIDTH // 2 * HEIGHT // 2)
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode())
        out.write(b"FRAME\n" + frame.tobytes() + chroma + chroma)


@pytest.fixture
def camera_browser(browser: Browser, tmp_path: Path) -> Iterator[Callable[[str], Browser]]:
    """A Chromium whose camera shows the QR code of a text (its own launch: the flags are
    per browser)."""
    launched: list[Browser] = []

    def launch(text: str) -> Browser:
        video = tmp_path / "qr.y4m"
        write_y4m(text, video)
        fake_camera = [
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video.resolve()}",
        ]
        chromium = browser.browser_type.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS + fake_camera
        )
        launched.append(chromium)
        return chromium

    yield launch
    for chromium in launched:
        chromium.close()


def counter_page(chromium: Browser, live_server: LiveServer, key: str) -> Page:
    context = chromium.new_context(locale=DEFAULT_LOCALE, base_url=live_server.url)
    context.set_default_timeout(10_000)
    at_counter(context, live_server, key)
    page = context.new_page()
    page.goto("/partner")
    return page


def holder_page(chromium: Browser, live_server: LiveServer, arranged: Arranged) -> Page:
    context = chromium.new_context(locale=DEFAULT_LOCALE, base_url=live_server.url)
    signed_in(context, live_server, arranged.holder_cookie)
    page = context.new_page()
    page.goto(f"/mijn/passen/{arranged.pass_number}")
    return page


def test_a_qr_shown_to_the_camera_is_scanned_redeemed_and_seen_on_the_holders_phone(
    camera_browser: Callable[[str], Browser], browser: Browser, live_server: LiveServer
) -> None:
    arranged = arrange(live_server)
    phone = holder_page(browser, live_server, arranged)
    expect(phone.get_by_role("heading", name="Pas van")).to_be_visible()
    expect(phone.get_by_text("Zojuist gebruikt bij")).to_have_count(0)
    try:
        page = counter_page(camera_browser(arranged.code), live_server, arranged.key)
        page.get_by_role("button", name="Camera aanzetten").click()
        answer = page.locator("#answer")
        expect(answer).to_contain_text("Geldige Almerepas")
        expect(answer.locator(".answer-ok")).to_be_visible()
        expect(answer).to_contain_text("Nog over: € 300,00")
        page.get_by_label("Bedrag in euro").fill("12,00")
        page.get_by_role("button", name="Afschrijven").click()
        expect(answer).to_contain_text("Afgeschreven: € 12,00")
        expect(answer).to_contain_text("Nog over: € 288,00")
        # Within two seconds on the customer's own screen.
        expect(phone.get_by_text("Zojuist gebruikt bij Sportclub Almere: € 12,00")).to_be_visible(
            timeout=2_000
        )
        assert redemptions(live_server) == 1
    finally:
        page.context.close()


def test_a_typed_pass_number_redeems_once_however_often_the_button_is_clicked(
    new_page: Callable[..., Page], browser: Browser, live_server: LiveServer
) -> None:
    arranged = arrange(live_server)
    page = new_page(bypass_csp=True)
    at_counter(page.context, live_server, arranged.key)
    page.goto("/partner")
    violations = axe_check(page)
    assert violations == [], describe_violations(violations)
    page.get_by_label("Pasnummer").fill(arranged.pass_number)
    page.get_by_role("button", name="Controleer pas").click()
    answer = page.locator("#answer")
    expect(answer).to_contain_text("Geldige Almerepas")
    expect(page.get_by_label("Bedrag in euro")).to_be_focused()
    violations = axe_check(page)
    assert violations == [], describe_violations(violations)
    page.get_by_label("Bedrag in euro").fill("25,50")
    page.get_by_role("button", name="Afschrijven").dblclick()
    expect(answer).to_contain_text("Afgeschreven: € 25,50")
    expect(answer).to_contain_text("Nog over: € 274,50")
    assert redemptions(live_server) == 1
    page.get_by_role("link", name="Transacties en terugdraaien").click()
    expect(page.get_by_role("cell", name="€ 25,50")).to_be_visible()
    violations = axe_check(page)
    assert violations == [], describe_violations(violations)


def test_without_a_network_the_page_says_so_at_once_and_never_shows_green(
    new_page: Callable[..., Page], live_server: LiveServer
) -> None:
    arranged = arrange(live_server)
    page = new_page()
    at_counter(page.context, live_server, arranged.key)
    page.goto("/partner")
    page.context.set_offline(True)
    page.get_by_label("Pasnummer").fill(arranged.pass_number)
    page.get_by_role("button", name="Controleer pas").click()
    answer = page.locator("#answer")
    expect(answer).to_contain_text(
        "Geen verbinding — deze scan is niet gecontroleerd", timeout=1_000
    )
    expect(answer.locator(".answer-ok")).to_have_count(0)
    expect(answer).not_to_contain_text("Geldige Almerepas")


def test_a_lost_answer_is_not_checked_rather_than_green(
    new_page: Callable[..., Page], live_server: LiveServer
) -> None:
    """The browser thinks it is online, but the request dies on the way (a dead Wi-Fi)."""
    arranged = arrange(live_server)
    page = new_page()
    at_counter(page.context, live_server, arranged.key)
    page.goto("/partner")
    page.route("**/partner/scan", lambda route: route.abort("internetdisconnected"))
    page.get_by_label("Pasnummer").fill(arranged.pass_number)
    page.get_by_role("button", name="Controleer pas").click()
    answer = page.locator("#answer")
    expect(answer).to_contain_text("Geen verbinding — deze scan is niet gecontroleerd")
    expect(answer.locator(".answer-ok")).to_have_count(0)


def test_an_answer_that_does_not_come_is_not_checked_after_three_seconds(
    new_page: Callable[..., Page], live_server: LiveServer
) -> None:
    """No spinning for ever: a request without an answer gives up after about three seconds."""
    arranged = arrange(live_server)
    page = new_page()
    at_counter(page.context, live_server, arranged.key)
    page.goto("/partner")
    page.route("**/partner/scan", lambda route: None)  # never answered
    page.get_by_label("Pasnummer").fill(arranged.pass_number)
    page.get_by_role("button", name="Controleer pas").click()
    answer = page.locator("#answer")
    expect(answer).to_contain_text("Bezig met controleren")
    expect(answer).to_contain_text(
        "Geen verbinding — deze scan is niet gecontroleerd", timeout=4_500
    )
    expect(answer.locator(".answer-ok")).to_have_count(0)


def test_a_page_whose_session_ended_says_not_checked_rather_than_green(
    new_page: Callable[..., Page], live_server: LiveServer
) -> None:
    arranged = arrange(live_server)
    page = new_page()
    at_counter(page.context, live_server, arranged.key)
    page.goto("/partner")
    page.context.clear_cookies()  # logged out elsewhere, or the cookie expired
    page.get_by_label("Pasnummer").fill(arranged.pass_number)
    page.get_by_role("button", name="Controleer pas").click()
    answer = page.locator("#answer")
    expect(answer).to_contain_text("Niet gecontroleerd — deze pagina is verlopen")
    expect(answer.locator(".answer-ok")).to_have_count(0)


def test_the_holders_live_line_passes_axe(
    new_page: Callable[..., Page], live_server: LiveServer
) -> None:
    arranged = arrange(live_server)
    phone = new_page(bypass_csp=True)
    signed_in(phone.context, live_server, arranged.holder_cookie)
    phone.goto(f"/mijn/passen/{arranged.pass_number}")
    counter = new_page()
    at_counter(counter.context, live_server, arranged.key)
    counter.goto("/partner")
    counter.get_by_label("Pasnummer").fill(arranged.pass_number)
    counter.get_by_role("button", name="Controleer pas").click()
    counter.get_by_label("Bedrag in euro").fill("7,5")
    counter.get_by_role("button", name="Afschrijven").click()
    expect(counter.locator("#answer")).to_contain_text("Afgeschreven: € 7,50")
    line = phone.get_by_role("status").filter(has_text="Zojuist gebruikt bij")
    expect(line).to_contain_text("Zojuist gebruikt bij Sportclub Almere: € 7,50", timeout=2_000)
    expect(line).to_contain_text("10:00:00")  # when, on the clock in Almere
    violations = axe_check(phone)
    assert violations == [], describe_violations(violations)
