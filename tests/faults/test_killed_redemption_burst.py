"""gunicorn killed with SIGKILL (master and workers) in the middle of a burst of scans and
redemptions; restarted, the cashiers send again what got no answer, with the same
Idempotency-Key. Every redemption that got a 201 is in the ledger exactly once, none twice,
and the ledger balances."""

from __future__ import annotations

import http.client
import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almerepas.core.db import make_engine
from almerepas.ledger import posting as ledger
from almerepas.models import Redemption
from bench._holders import Seeded, fresh_codes, seed_ours
from tests.app_servers import Sale, redeem, request, start_gunicorn
from tests.conftest import Backend

pytestmark = pytest.mark.postgres_only
CASHIERS = 4


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
    server = start_gunicorn(url, tmp_path)
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

    again = start_gunicorn(url, tmp_path)
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
