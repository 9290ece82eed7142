"""Two app servers (gunicorn, ``wsgi:app``, production settings) behind nginx on loopback, sharing
one PostgreSQL and one Redis (docs/scaling.md): a phone code used on one is refused on the
other, a rate limit counts on both together, a page session made on one holds on the other, and
one server killed in the middle of a burst of redemptions loses none and books none twice.

One set of servers for the module (seeding and starting them is most of its time); the killing
test is the last one, and nothing after it needs the killed server."""

from __future__ import annotations

import http.client
import re
import secrets
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from http.cookies import SimpleCookie

import pyotp
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.audit.log import Actor
from almerepas.core.db import make_engine
from almerepas.ledger import posting as ledger
from almerepas.models import Redemption
from almerepas.staff.accounts import create_staff_user
from bench._holders import KEYS, Seeded, fresh_codes, seed_ours
from tests.app_servers import Gunicorn, Sale, redeem, request, start_gunicorn
from tests.conftest import Backend
from tests.fixtures import NginxServer, RedisServer, free_port, nginx_binary

pytestmark = pytest.mark.postgres_only
CASHIERS = 4
#: passes with a phone credential: the burst's codes and the replay test's, in one time step
PASSES = 80
BURST = 60
#: the login limit of both servers, low enough to reach in a test
LOGINS = 4
WRONG_LOGIN = {"username": "niemand", "password": "fout wachtwoord", "totp_code": "000000"}
STAFF = {"username": "bea.balie", "password": "twee servers een sessie"}


@dataclass
class TwoServers:
    url: str
    made: Seeded
    a: Gunicorn
    b: Gunicorn
    nginx: NginxServer
    totp_secret: str


@pytest.fixture(scope="module")
def servers(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoServers]:
    """Seeded PostgreSQL, one Redis, two gunicorns (one worker of two threads each) and nginx."""
    nginx_binary()  # skip (or fail under CI=true) before seeding anything
    work = tmp_path_factory.mktemp("two-servers")
    url = backend.fresh_database()
    owner = make_engine(backend.owner_url(url))
    made = seed_ours(owner, passes=PASSES, devices_wanted=CASHIERS)
    with Session(owner) as session:
        _, secret = create_staff_user(
            session, **STAFF, display_name="Bea Balie", role="caseworker", keys=KEYS,
            actor=Actor("test"),
        )  # fmt: skip
        session.commit()
    owner.dispose()
    with ExitStack() as stack:
        redis = RedisServer(free_port())
        redis.start()
        stack.callback(redis.stop)
        env = {
            "ALMEREPAS_REDIS_URL": redis.url,
            # nginx is the one proxy in front: the client is the address it forwards.
            "ALMEREPAS_TRUSTED_PROXIES": "1",
            "ALMEREPAS_RATE_LIMIT_LOGIN": f"{LOGINS} per minute",
            "WEB_CONCURRENCY": "1",
            "ALMEREPAS_THREADS": "2",
        }
        a = start_gunicorn(url, work, env)
        stack.callback(a.kill)
        b = start_gunicorn(url, work, env)
        stack.callback(b.kill)
        nginx = NginxServer(free_port(), work, [a.port, b.port])
        nginx.start()
        stack.callback(nginx.stop)
        yield TwoServers(url, made, a, b, nginx, secret)


def test_a_phone_code_scanned_on_one_server_is_refused_on_the_other(
    servers: TwoServers,
) -> None:
    (code,) = fresh_codes(servers.made, 1, 1)
    kassa = {"Authorization": f"Bearer {servers.made.device_keys[0]}"}
    first = request(servers.a.port, "POST", "/api/v1/partner/scans", {"code": code}, kassa)
    assert first[0] == 201, first
    again = request(servers.b.port, "POST", "/api/v1/partner/scans", {"code": code}, kassa)
    assert again[0] == 422, again
    assert again[1]["code"] == "credential_replayed"


def test_the_login_limit_counts_on_both_servers_together(servers: TwoServers) -> None:
    # Straight to A and B in turn, as nginx forwards one client's requests.
    client = {"X-Forwarded-For": "192.0.2.10"}
    sent = [
        request(port, "POST", "/api/v1/tokens", WRONG_LOGIN, client)[0]
        for port in [servers.a.port, servers.b.port] * (LOGINS // 2 + 1)
    ]
    assert sent == [401] * LOGINS + [429] * (len(sent) - LOGINS)
    other = {"X-Forwarded-For": "192.0.2.11"}
    assert request(servers.a.port, "POST", "/api/v1/tokens", WRONG_LOGIN, other)[0] == 401

    # Through nginx: the client's own address counts, not the X-Forwarded-For it made up.
    def through_nginx(source: str, n: int) -> int:
        made_up = {"X-Forwarded-For": f"198.51.100.{n}"}
        return request(
            servers.nginx.port, "POST", "/api/v1/tokens", WRONG_LOGIN, made_up, source=source
        )[0]

    assert [through_nginx("127.0.0.7", n) for n in range(LOGINS + 1)] == [401] * LOGINS + [429]
    assert through_nginx("127.0.0.8", 0) == 401


def test_a_page_session_made_on_one_server_holds_on_the_other(servers: TwoServers) -> None:
    status, cookies, html = page(servers.a.port, "GET", "/inloggen", {})
    assert status == 200
    form = {**STAFF, "code": pyotp.TOTP(servers.totp_secret).now(), "csrf_token": csrf(html)}
    status, cookies, _ = page(servers.a.port, "POST", "/inloggen", cookies, form)
    assert status == 303

    status, on_b, html = page(servers.b.port, "GET", "/medewerkers", cookies)
    assert status == 200
    assert "Bea Balie" in html
    assert page(servers.b.port, "GET", "/medewerkers", {})[0] == 303  # not logged in

    # Logged out on B, the same cookie no longer opens A: the session's token is in PostgreSQL.
    status, _, _ = page(servers.b.port, "POST", "/uitloggen", on_b, {"csrf_token": csrf(html)})
    assert status == 303
    assert page(servers.a.port, "GET", "/medewerkers", cookies)[0] == 303


def test_a_server_killed_mid_load_loses_no_redemption_and_books_none_twice(
    servers: TwoServers,
) -> None:
    """Last in the module: A stays dead. The cashiers go through nginx; what got no answer or a
    502/503 they send again with its Idempotency-Key, as a counter device does."""
    codes = fresh_codes(servers.made, BURST, BURST)
    port = servers.nginx.port
    sales: list[Sale] = []
    lock = threading.Lock()

    def cashier(n: int) -> None:
        device = servers.made.device_keys[n]
        auth = {"Authorization": f"Bearer {device}"}
        for code in codes[n::CASHIERS]:
            try:
                status, scanned = request(
                    port, "POST", "/api/v1/partner/scans", {"code": code}, auth
                )
            except (OSError, http.client.HTTPException):
                continue  # no answer: the holder shows the next code
            if status != 201:
                continue  # a 502 of a scan: nothing to redeem
            sale = Sale(secrets.token_hex(12), scanned["scan_reference"], device)
            with lock:
                sales.append(sale)
            try:
                sale.status, body = redeem(port, sale)
            except (OSError, http.client.HTTPException):
                continue  # no answer: sent again below
            if sale.status == 201:
                sale.redemption_id = body["id"]

    threads = [threading.Thread(target=cashier, args=(n,)) for n in range(CASHIERS)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while len(sales) < 12:  # mid-burst
        assert time.monotonic() < deadline, f"only {len(sales)} sales in 60 s"
        time.sleep(0.01)
    servers.a.kill()
    at_kill = len(sales)
    for thread in threads:
        thread.join(timeout=120)
    assert len(sales) > at_kill, "B took over after A was killed"
    assert {sale.status for sale in sales} <= {201, 502, 503, None}

    for sale in sales:
        if sale.status != 201:
            sale.status, body = redeem(port, sale)
            assert sale.status == 201, body
            sale.redemption_id = body["id"]

    told = sorted(sale.redemption_id for sale in sales if sale.redemption_id is not None)
    assert len(told) == len(sales)
    engine = make_engine(servers.url)
    with Session(engine) as session:
        booked = sorted(session.scalars(select(Redemption.id)))
        assert booked == sorted(set(told))  # each sale once, nothing else, none twice
        assert len(set(told)) == len(told)
        amounts = session.scalars(select(Redemption.amount))
        assert sum(amounts) == len(sales)  # 1 cent each
        assert ledger.find_drift(session) == []
        assert all(total == 0 for total in ledger.unit_totals(session).values())
    engine.dispose()


# -- pages over plain HTTP ----------------------------------------------------------------------


def page(
    port: int, method: str, path: str, cookies: dict[str, str], form: dict[str, str] | None = None
) -> tuple[int, dict[str, str], str]:
    """One request for a page with ``cookies``: (status, the cookies after it, the HTML)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        conn.request(method, path, body, headers)
        response = conn.getresponse()
        html = response.read().decode()
        jar = dict(cookies)
        for header in response.headers.get_all("Set-Cookie") or []:
            jar.update({name: morsel.value for name, morsel in SimpleCookie(header).items()})
        return response.status, jar, html
    finally:
        conn.close()


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)
