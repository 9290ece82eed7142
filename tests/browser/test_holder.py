"""Mijn Almerepas in real Chromium: a resident asks for a code, gets it by e-mail from a real
SMTP server, logs in, sees her pass; the QR code changes every 30 seconds (the page's clock is
driven, not waited for), a code taken from the page verifies, also with the network cut after
the service worker took over. Every holder page passes axe and fits a 360-pixel screen."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import re
import socket
import struct
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from sqlalchemy.orm import Session

from almerepas.models import Pass, PassStatus
from almerepas.passes import keys as signing
from almerepas.passes.bundle import build_bundle, trust_root
from almerepas.passes.verify import verify_code
from almerepas.reference.loaders import load_norms, load_postcodes, load_schemes
from almerepas.validator import Validator
from almerepas.validator.registry import public_key_from_jwk
from tests.browser.conftest import LiveServer, axe_check, describe_violations, require_playwright
from tests.factories import KEYS, TEST_ACTOR
from tests.fixtures import START, FrozenClock, SmtpServer
from tests.holders.helpers import EMAIL, family, member
from tests.qr import read_qr

if TYPE_CHECKING:
    from playwright.sync_api import Page

expect = require_playwright().expect

PASS_NUMBER = "482139071265"
STEP = 30


def arrange(live_server: LiveServer, smtp_server: SmtpServer | None = None) -> None:
    """A family whose mother has an e-mail address and a pass, and the service's signing keys;
    mail goes to ``smtp_server``."""
    if smtp_server is not None:
        live_server.app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port)
    with live_server.app.app_context():
        db: Session = live_server.session()
        load_postcodes(db)
        load_norms(db)
        load_schemes(db)
        signing.ensure_keys(db, keys=KEYS, actor=TEST_ACTOR, now=START)
        mother = member(family(db), 0)
        db.add(
            Pass(
                number=PASS_NUMBER,
                person_id=mother.id,
                status=PassStatus.active,
                generation=1,
                valid_from=dt.date(2026, 1, 1),
                valid_until=dt.date(2026, 12, 31),
            )
        )
        db.commit()
        db.close()


def log_in(page: Page, smtp_server: SmtpServer, live_server: LiveServer) -> None:
    """The real forms: the contact, then the code from the e-mail that arrived."""
    page.goto("/mijn/inloggen")
    page.get_by_label("Uw e-mailadres of mobiele nummer").fill(EMAIL)
    page.get_by_role("button", name="Stuur mij een code").click()
    expect(page.get_by_role("heading", name="Vul uw code in")).to_be_visible()
    [mail] = smtp_server.wait_for(1)
    assert mail["To"] == EMAIL
    code = re.search(r"\b([0-9]{6})\b", mail.get_content())
    assert code, mail.get_content()
    page.get_by_label("Code (6 cijfers)").fill(code.group(1))
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_role("heading", name="Mijn Almerepas")).to_be_visible()


def shown_code(page: Page, previous: str | None = None) -> str:
    """The text the QR code on the page encodes (its canvas carries it as data-code)."""
    qr = page.locator("canvas#qr")
    expect(qr).to_have_attribute("data-code", re.compile(r".+~[0-9]+~.+"))
    if previous is not None:
        expect(qr).not_to_have_attribute("data-code", previous)
    code = qr.get_attribute("data-code")
    assert code is not None
    return code


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def holder_signing_input(code: str) -> tuple[str, int, str, str]:
    """The contract's parts: credential, step, signature, and the bytes the phone signed."""
    credential, step, signature = code.split("~")
    h = b64url(hashlib.sha256(credential.encode("ascii")).digest()[:16])
    payload = json.dumps({"h": h, "t": int(step)}, separators=(",", ":"))
    signing_input = b64url(b'{"alg":"ES256"}') + "." + b64url(payload.encode())
    return credential, int(step), signature, signing_input


def decoded_from_screen(page: Page) -> tuple[str, str]:
    """What a camera would read: the QR on a screenshot of the page, decoded by zxing-cpp."""
    from PIL import Image

    shot = page.locator("canvas#qr").screenshot()
    [result] = read_qr(Image.open(io.BytesIO(shot)))
    return result.text, result.ec_level


def page_moment(page: Page) -> dt.datetime:
    """The moment on the page's (driven) clock: when the code on it was made."""
    return dt.datetime.fromtimestamp(page.evaluate("Date.now()") / 1000, dt.UTC)


def verified_online(live_server: LiveServer, code: str, moment: dt.datetime) -> str:
    """The service's one verify function: the pass number the code belongs to."""
    db = live_server.session()
    try:
        verified = verify_code(db, code, now=moment, keys=KEYS)
        db.commit()
    finally:
        db.close()
    assert verified.kind == "phone"
    return verified.pass_number


def offline_kit(live_server: LiveServer) -> Validator:
    """A validator as on a bus: the trust root pinned, the bundle fetched once, then no network."""
    db = live_server.session()
    try:
        kit = Validator(public_key_from_jwk(trust_root(db, now=START)))
        kit.apply(build_bundle(db, since=None, now=START, keys=KEYS), now=START, online=True)
    finally:
        db.close()
    return kit


@pytest.mark.usefixtures("frozen_clock")
def test_the_holder_logs_in_with_an_e_mailed_code_and_shows_a_rotating_pass_also_offline(
    new_page: Callable[..., Page], live_server: LiveServer, smtp_server: SmtpServer
) -> None:
    arrange(live_server, smtp_server)
    page = new_page()
    page.clock.install(time=START)

    log_in(page, smtp_server, live_server)
    page.get_by_role("link", name="Laat de pas van Fatima zien").click()
    first = shown_code(page)
    _credential, step, _sig, _input = holder_signing_input(first)
    assert step == int(START.timestamp()) // STEP
    assert decoded_from_screen(page) == (first, "M")
    assert int(page.locator("canvas#qr").get_attribute("data-version") or 99) <= 15

    assert verified_online(live_server, first, page_moment(page)) == PASS_NUMBER
    kit = offline_kit(live_server)

    page.clock.fast_forward(STEP * 1000)
    second = shown_code(page, previous=first)
    assert holder_signing_input(second)[1] == step + 1
    assert holder_signing_input(second)[0] == holder_signing_input(first)[0]  # same credential
    assert kit.scan(second, now=page_moment(page)).verified.step == step + 1

    # The network goes; the service worker keeps the page, IndexedDB the key and credential.
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.wait_for_function(
        "caches.open('almerepas-holder-v1')"
        ".then(c => c.match(location.pathname, {ignoreVary: true})).then(Boolean)"
    )
    page.context.set_offline(True)
    page.reload()
    expect(page.get_by_text("U bent offline. De pas werkt gewoon.")).to_be_visible()
    offline = shown_code(page)
    page.clock.fast_forward(STEP * 1000)
    later = shown_code(page, previous=offline)
    assert holder_signing_input(later)[1] > holder_signing_input(second)[1]
    assert decoded_from_screen(page)[0] == later
    scanned = kit.scan(later, now=page_moment(page))  # the bus validator, offline too
    assert (scanned.verified.step, scanned.warnings) == (holder_signing_input(later)[1], ())
    assert verified_online(live_server, offline, page_moment(page)) == PASS_NUMBER


def fits(page: Page, width: int = 360) -> None:
    """Nothing sticks out sideways: no horizontal scrolling on a 360-pixel-wide phone."""
    scroll = page.evaluate("document.documentElement.scrollWidth")
    widest = page.evaluate(
        """w => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > w)
        .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))
        .slice(0, 5)""",
        width,
    )
    assert scroll <= width, f"{page.url} is {scroll} px wide: {widest}"


@pytest.mark.usefixtures("frozen_clock")
def test_every_holder_page_passes_axe_and_fits_a_360_pixel_phone(
    new_page: Callable[..., Page], live_server: LiveServer, smtp_server: SmtpServer
) -> None:
    arrange(live_server, smtp_server)
    page = new_page(bypass_csp=True, viewport={"width": 360, "height": 740})
    page.clock.install(time=START)  # the server's clock is frozen there too
    checked = []

    def check() -> None:
        violations = axe_check(page)
        assert violations == [], describe_violations(violations)
        fits(page)
        checked.append(page.url.split("/", 3)[-1])

    page.goto("/mijn/inloggen")
    check()
    page.get_by_role("button", name="Stuur mij een code").click()  # empty: the error summary
    expect(page.locator(".error-summary")).to_be_visible()
    check()
    log_in(page, smtp_server, live_server)
    check()
    for name in ("Geschiedenis", "Waar kan ik de pas gebruiken?"):
        page.get_by_role("link", name=name).click()
        check()
    page.goto("/mijn")
    page.get_by_role(
        "link", name="Kijk of wat wij van u weten nog klopt, en verleng uw pas"
    ).click()
    check()
    page.goto(f"/mijn/passen/{PASS_NUMBER}")
    shown_code(page)
    check()
    width = page.locator("canvas#qr").bounding_box()
    assert width is not None and width["width"] >= 280  # large: most of a small screen
    page.goto("/mijn")
    page.get_by_role("button", name="kwijt of gestolen?").first.click()
    check()
    page.get_by_role("button", name="Pas blokkeren en een nieuwe maken").click()  # no reason
    expect(page.locator(".error-summary")).to_be_visible()
    check()
    assert checked == [
        "mijn/inloggen",
        "mijn/inloggen",
        "mijn",
        "mijn/geschiedenis",
        "mijn/waar",
        "mijn/verlengen",
        f"mijn/passen/{PASS_NUMBER}",
        f"mijn/passen/{PASS_NUMBER}/kwijt",
        f"mijn/passen/{PASS_NUMBER}/kwijt",
    ]


@pytest.mark.usefixtures("frozen_clock")
def test_the_pass_page_speaks_english(
    new_page: Callable[..., Page], live_server: LiveServer, smtp_server: SmtpServer
) -> None:
    arrange(live_server, smtp_server)
    page = new_page(locale="en-GB")
    page.clock.install(time=START)
    page.goto("/mijn/inloggen")
    expect(page.get_by_role("heading", name="Log in to My Almerepas")).to_be_visible()
    page.get_by_label("Your e-mail address or mobile number").fill(EMAIL)
    page.get_by_role("button", name="Send me a code").click()
    [mail] = smtp_server.wait_for(1)
    assert mail["Subject"] == "Your code for My Almerepas"
    code = re.search(r"\b([0-9]{6})\b", mail.get_content())
    assert code
    page.get_by_label("Code (6 digits)").fill(code.group(1))
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Show Fatima's pass").click()
    shown_code(page)
    expect(page.get_by_text("Let this QR code be scanned.")).to_be_visible()


@pytest.mark.usefixtures("frozen_clock")
def test_the_live_bar_stands_still_for_who_asks_for_less_motion(
    new_page: Callable[..., Page], live_server: LiveServer, smtp_server: SmtpServer
) -> None:
    arrange(live_server, smtp_server)
    page = new_page(reduced_motion="reduce")
    page.clock.install(time=START)
    log_in(page, smtp_server, live_server)
    page.goto(f"/mijn/passen/{PASS_NUMBER}")
    shown_code(page)
    bar = page.locator(".qr-live-bar")
    assert bar.evaluate("el => getComputedStyle(el).animationName") == "none"
    page.emulate_media(reduced_motion="no-preference")
    assert bar.evaluate("el => getComputedStyle(el).animationName") == "qr-live"


def test_the_code_is_sent_also_when_the_browser_resets_the_connection(
    live_server: LiveServer, smtp_server: SmtpServer, frozen_clock: FrozenClock
) -> None:
    """A browser may reset the connection once it has the redirect; werkzeug then skips the
    response's close callbacks, which used to be what sent the code (about one time in ten)."""
    arrange(live_server, smtp_server)
    form = urllib.request.urlopen(f"{live_server.url}/mijn/inloggen", timeout=10)  # noqa: S310
    cookie = form.headers["Set-Cookie"].split(";", 1)[0]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form.read().decode())
    assert token, "the login form has no CSRF token"
    body = urllib.parse.urlencode({"csrf_token": token.group(1), "contact": EMAIL}).encode()
    port = int(live_server.url.rsplit(":", 1)[1])
    for asked in range(1, 31):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            conn.sendall(
                b"POST /mijn/inloggen HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n"
                + f"Cookie: {cookie}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            assert conn.recv(65536).startswith(b"HTTP/1.1 303")
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        assert [mail["To"] for mail in smtp_server.wait_for(asked, timeout=10)] == [EMAIL] * asked
        frozen_clock.advance(minutes=16)  # past the limit of 3 codes per 15 minutes
