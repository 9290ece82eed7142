"""gunicorn killed with SIGKILL (master and workers) in the middle of a burst of scans and
redemptions; restarted, the cashiers send again what got no answer, with the same
Idempotency-Key. Every redemption that got a 201 is in the ledger exactly once, none twice,
and the ledger balances."""

from __future__ import annotations

import http.client
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almerepas.core.db import make_engine
from almerepas.ledger import posting as ledger
from almerepas.models import Redemption
from bench.redeem import SCHEME, SETTINGS, Seeded, fresh_codes, seed_ours
from tests.conftest import Backend
from tests.fixtures import free_port

pytestmark = pytest.mark.postgres_only
ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
CASHIERS = 4


@dataclass
class Gunicorn:
    process: subprocess.Popen[bytes]
    port: int
    log: IO[bytes]

    def kill(self) -> None:
        """SIGKILL to the whole process group: the master and every worker, mid-request."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.log.close()


def start(url: str, work: Path) -> Gunicorn:
    port = free_port()
    env = {**os.environ, **SETTINGS, "ALMEREPAS_DATABASE_URL": url,
           "ALMEREPAS_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2"}  # fmt: skip
    log = (work / f"gunicorn-{port}.log").open("wb")
    process = subprocess.Popen(
        [str(GUNICORN), "-c", str(ROOT / "gunicorn.conf.py"), "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    server = Gunicorn(process, port, log)
    deadline = time.monotonic() + 60
    while True:
        try:
            if request(port, "GET", "/api/v1/health", None, {})[0] == 200:
                return server
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise RuntimeError((work / f"gunicorn-{port}.log").read_text()[-3000:])
        time.sleep(0.2)


def request(
    port: int, method: str, path: str, body: dict[str, Any] | None, headers: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        payload = json.dumps(body) if body is not None else None
        conn.request(method, path, payload, {"Content-Type": "application/json", **headers})
        response = conn.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else {}
    finally:
        conn.close()


@dataclass
class Sale:
    """One redemption a cashier tried: its key, and the answer if one came."""

    key: str
    reference: str
    device: str
    status: int | None = None


@pytest.fixture
def seeded(backend: Backend) -> Iterator[tuple[str, Seeded]]:
    url = backend.fresh_database()
    owner = make_engine(backend.owner_url(url))
    made = seed_ours(owner, passes=60, devices_wanted=CASHIERS)
    owner.dispose()
    yield url, made


def test_a_killed_server_loses_no_redemption_and_books_none_twice(
    seeded: tuple[str, Seeded], tmp_path: Path
) -> None:
    url, made = seeded
    codes = fresh_codes(made, 60, 60)
    server = start(url, tmp_path)
    sales: list[Sale] = []
    lock = threading.Lock()

    def cashier(n: int) -> None:
        device = made.device_keys[n]
        auth = {"Authorization": f"Bearer {device}"}
        for code in codes[n::CASHIERS]:
            try:
                status, scanned = request(
                    server.port, "POST", "/api/v1/partner/scans", {"code": code}, auth
                )
            except (OSError, http.client.HTTPException):
                return  # the server is gone: nothing scanned, nothing to send again
            if status != 201:
                continue
            sale = Sale(secrets.token_hex(12), scanned["scan_reference"], device)
            with lock:
                sales.append(sale)
            try:
                sale.status = redeem(server.port, sale)[0]
            except (OSError, http.client.HTTPException):
                return  # no answer: sent again after the restart

    threads = [threading.Thread(target=cashier, args=(n,)) for n in range(CASHIERS)]
    for thread in threads:
        thread.start()
    while len(sales) < 12:  # mid-burst
        time.sleep(0.01)
    server.kill()
    for thread in threads:
        thread.join(timeout=60)
    unanswered = [sale for sale in sales if sale.status is None]
    assert any(sale.status == 201 for sale in sales)

    again = start(url, tmp_path)
    try:
        for sale in unanswered:
            sale.status, body = redeem(again.port, sale)
            assert sale.status == 201, body
        # Sending an answered sale again repeats its answer and books nothing.
        answered = next(sale for sale in sales if sale not in unanswered)
        assert redeem(again.port, answered)[0] == 201
    finally:
        again.kill()

    engine = make_engine(url)
    with Session(engine) as session:
        booked = session.scalar(select(func.count()).select_from(Redemption))
        assert booked == sum(1 for sale in sales if sale.status == 201)
        assert session.scalar(select(func.sum(Redemption.amount))) == booked  # 1 cent each
        assert ledger.find_drift(session) == []
        assert all(total == 0 for total in ledger.unit_totals(session).values())
    engine.dispose()


def redeem(port: int, sale: Sale) -> tuple[int, dict[str, Any]]:
    return request(
        port, "POST", "/api/v1/partner/redemptions",
        {"scan_reference": sale.reference, "scheme": SCHEME, "amount": 1},
        {"Authorization": f"Bearer {sale.device}", "Idempotency-Key": sale.key},
    )  # fmt: skip
