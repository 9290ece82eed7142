"""Browser tests: the real app over HTTP, driven by Debian's headless Chromium through Playwright.

- ``live_server``: create_app() on a database of its own (SQLite; a test opts in to PostgreSQL
  too with BOTH_BACKENDS, see docs/testing.md), served by werkzeug in a background thread;
  ``.url``, ``.app``, ``.session()``.
- ``browser``: one Chromium for the whole session, /usr/bin/chromium (never ``playwright install``).
- ``new_page(**context_options)`` / ``page``: a fresh browser context per page (Dutch by default,
  ``base_url`` is the live server), closed after the test. When a test fails, a screenshot of
  every open page is saved under ``<pytest tmp dir>/browser-screenshots/`` and its path printed.
- ``axe_check(page)``: runs axe-core (node_modules, from ``npm ci``) with the WCAG 2.2 AA tags.
- ``login_as(page, live_server, username, password, totp_secret)``: logs in on /inloggen.

Without Playwright, Chromium or axe-core the tests are skipped with the reason; under CI=true
that is a failure instead.
"""

from __future__ import annotations

import importlib
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, NoReturn

import pyotp
import pytest
from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.serving import BaseWSGIServer, make_server

from almerepas import create_app
from tests.conftest import IN_CI, TEST_KEYS, Backend

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
#: WCAG 2.0, 2.1 and 2.2 at levels A and AA: what the gemeente must meet (EN 301 549).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
DEFAULT_LOCALE = "nl-NL"


def missing(reason: str) -> NoReturn:
    """A part the browser tests need is not here: skip with the reason, or fail under CI=true."""
    if IN_CI:
        pytest.fail(f"CI=true needs it: {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def require_playwright() -> ModuleType:
    """playwright.sync_api, for test modules (call it at module level, after the imports)."""
    try:
        return importlib.import_module("playwright.sync_api")
    except ImportError as exc:
        missing(f"the Python package playwright is not installed ({exc}); run scripts/setup test")


# -- the app, served for real ------------------------------------------------------------------

#: Browser tests run on SQLite only (docs/testing.md says why). A test that needs PostgreSQL as
#: well says so itself: @pytest.mark.parametrize("backend", BOTH_BACKENDS, indirect=True).
BROWSER_BACKENDS = ["sqlite"]
BOTH_BACKENDS = ["sqlite", "postgresql"]


def _argnames(mark: pytest.Mark) -> list[str]:
    names = mark.args[0] if mark.args else mark.kwargs.get("argnames", ())
    if isinstance(names, str):
        return [name.strip() for name in names.split(",")]
    return list(names)


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Narrow the ``backend`` fixture to BROWSER_BACKENDS unless the test chose its own."""
    if "backend" not in metafunc.fixturenames:
        return
    chosen = any(
        "backend" in _argnames(mark) for mark in metafunc.definition.iter_markers("parametrize")
    )
    if not chosen:
        # As a mark, so that pytest gives it precedence over the fixture's own params.
        metafunc.definition.add_marker(
            pytest.mark.parametrize("backend", BROWSER_BACKENDS, indirect=True, scope="session")
        )


@dataclass
class LiveServer:
    """The app served on a free loopback port."""

    url: str
    app: Flask
    backend: str

    def session(self) -> Session:
        """A session on the server's database, for arranging data; commit it yourself."""
        factory: Callable[[], Session] = self.app.extensions["almerepas.sessionmaker"]
        return factory()


@pytest.fixture
def live_server(backend: Backend) -> Iterator[LiveServer]:
    """create_app() on a fresh migrated database, served by werkzeug in a background thread."""
    # Rate limits off, as for every test app (a test logs in more often than a person would).
    app = create_app(
        {
            "ENV": "test",
            "DATABASE_URL": backend.fresh_database(),
            "RATELIMIT_ENABLED": False,
            **TEST_KEYS,
        }
    )
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, args=(0.05,), name="live-server", daemon=True
    )
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", app, backend.name)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        app.extensions["almerepas.engine"].dispose()


# -- the browser -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    sync_api = require_playwright()
    if not CHROMIUM.exists():
        missing(f"no Chromium at {CHROMIUM}: apt-get install chromium chromium-driver")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@dataclass
class _OpenPages:
    screenshots: Path
    contexts: list[BrowserContext] = field(default_factory=list)


_open_pages_key = pytest.StashKey[_OpenPages]()


@pytest.fixture
def new_page(
    browser: Browser,
    live_server: LiveServer,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., Page]]:
    """Open a page in a new context: ``new_page(locale="en-GB", java_script_enabled=False)``.

    Every context starts empty (no cookies), speaks Dutch unless told otherwise and resolves
    relative URLs against the live server. It depends on ``live_server`` so that the browser is
    closed before the server stops.
    """
    opened = _OpenPages(tmp_path_factory.getbasetemp() / "browser-screenshots")
    request.node.stash[_open_pages_key] = opened

    def open_page(**options: Any) -> Page:
        options.setdefault("locale", DEFAULT_LOCALE)
        options.setdefault("base_url", live_server.url)
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        opened.contexts.append(context)
        return context.new_page()

    yield open_page
    for context in opened.contexts:
        context.close()


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    """A Dutch page with the app's own Content-Security-Policy in force."""
    return new_page()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """When a browser test fails, save a screenshot of each page it has open and say where."""
    report = yield
    opened = item.stash.get(_open_pages_key, None)
    if report.when == "call" and report.failed and opened is not None:
        folder = opened.screenshots
        folder.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid.split("::", 1)[-1])
        saved = []
        for c, context in enumerate(opened.contexts):
            for p, open_page in enumerate(context.pages):
                path = folder / f"{name}-{c}-{p}.png"
                try:
                    open_page.screenshot(path=str(path), full_page=True)
                except Exception as exc:  # a crashed page must not hide the real failure
                    saved.append(f"{path}: no screenshot ({exc})")
                else:
                    saved.append(f"{path}  ({open_page.url})")
        if saved:
            text = "\n".join(saved)
            print(f"\nscreenshots of {item.nodeid}:\n{text}")
            report.sections.append(("browser screenshots", text))
    return report


# -- helpers -----------------------------------------------------------------------------------


def axe_check(page: Page, tags: list[str] | None = None) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is now; return its WCAG violations (empty is good).

    The page's context needs ``bypass_csp=True``: the app's Content-Security-Policy rightly
    refuses the script that this injects.
    """
    if not AXE_JS.exists():
        missing(f"axe-core is not installed ({AXE_JS} missing): run npm ci")
    if page.evaluate("typeof window.axe") == "undefined":
        page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", tags or AXE_TAGS
    )
    violations: list[dict[str, Any]] = result["violations"]
    return violations


def describe_violations(violations: list[dict[str, Any]]) -> str:
    """One readable line per rule and element, for assertion messages."""
    lines = []
    for rule in violations:
        lines.append(f"{rule['id']} ({rule['impact']}): {rule['help']} - {rule['helpUrl']}")
        lines.extend(f"    {node['target']}: {node['html'][:160]}" for node in rule["nodes"])
    return "\n".join(lines)


def passes_axe(page: Page) -> None:
    """Assert axe finds no WCAG violation on the page as it is now, naming the page if it does."""
    violations = axe_check(page)
    assert violations == [], f"{page.url}\n{describe_violations(violations)}"


def keep_screenshot(page: Page, tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """Save the whole page under ``<pytest tmp dir>/browser-screenshots/NAME.png`` and say where:
    an artifact of the run for people to look at."""
    folder: Path = tmp_path_factory.getbasetemp() / "browser-screenshots"
    folder.mkdir(exist_ok=True)
    shot = folder / f"{name}.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"\nscreenshot: {shot}")
    return shot


def login_as(
    page: Page, live_server: LiveServer, username: str, password: str, totp_secret: str
) -> None:
    """Log in as staff through the real login page: username, password and a fresh TOTP code.

    The code is computed at the moment of filling in. A code works once per account, so log one
    account in at most once per 30-second step (tests.factories.make_staff makes a new one).
    Raises AssertionError with the page's error summary when the login page refuses.
    """
    page.goto(f"{live_server.url}/inloggen")
    form = page.locator("form:has([name=password])")
    form.locator("[name=username]").fill(username)
    form.locator("[name=password]").fill(password)
    form.locator("[name=totp_code], [name=code]").fill(pyotp.TOTP(totp_secret).now())
    with page.expect_navigation():
        form.locator("[type=submit]").click()
    if page.locator("form [name=password]").count():
        problem = page.locator(".error-summary, [role=alert]").all_inner_texts()
        raise AssertionError(f"logging in as {username!r} failed on {page.url}: {problem}")
