"""A discount redemption that meets an expiry run hears grant_expired, not insufficient_budget.

docs/redemption.md (Concurrency rules, redemption vs expiry): 'A redemption that comes during the
run waits for the run, then finds the balance at 0 and the grant expired: grant_expired.' For a
budget that holds (ledger.redeem reads expired_at again after the guarded UPDATE fails). For a
discount, _capped_discount locks the row, waits for the run, reads 0 and raises
insufficient_budget before ledger.redeem could say grant_expired (fixed: it re-reads expired_at
under the lock). PostgreSQL only in effect: on
SQLite the request waits for the write lock before it reads the grant, and sees it expired.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

from flask import Flask
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from almerepas.audit.log import Actor
from almerepas.grants import expiry
from almerepas.ledger import posting as ledger
from almerepas.models import Grant, Redemption
from almerepas.schemes.models import Scheme
from tests.conftest import Backend
from tests.partners.support import Counter
from tests.partners.test_redeem_concurrency import served

__all__ = ["served"]


def _wait_until_blocked(backend: Backend, engine: Engine) -> None:
    if backend.name != "postgresql":
        time.sleep(0.5)
        return
    deadline = time.monotonic() + 10
    with engine.connect() as probe:
        while time.monotonic() < deadline:
            waiting = probe.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    " AND datname = current_database()"
                )
            )
            probe.rollback()
            if waiting:
                return
            time.sleep(0.02)
    raise AssertionError("the redemption never waited for the run's lock")


def test_a_discount_that_waited_for_the_expiry_run_hears_grant_expired(
    served: tuple[Flask, Counter], fresh_engine: Engine, backend: Backend
) -> None:
    app, counter = served
    client = app.test_client()
    scanned = client.post(
        "/api/v1/partner/scans", json={"code": counter.cards["parent"]}, headers=counter.headers
    )
    assert scanned.status_code == 201, scanned.get_json()
    body = {"scan_reference": scanned.get_json()["scan_reference"], "scheme": "supermarkt",
            "basket_amount": 10_00}  # fmt: skip
    answer: dict[str, Any] = {}

    run = Session(fresh_engine)  # the expiry run of March, started on 1 April
    account_id = run.scalar(
        select(Grant.account_id)
        .join(Scheme, Scheme.id == Grant.scheme_id)
        .where(Scheme.code == "supermarkt", Grant.period == "2026-03")
    )
    assert account_id is not None
    ledger.lock_balances(run, [account_id])  # the run has locked its batch

    def cashier() -> None:
        response = app.test_client().post(
            "/api/v1/partner/redemptions", json=body,
            headers={**counter.headers, "Idempotency-Key": "last-sale"},
        )  # fmt: skip
        answer["status"], answer["body"] = response.status_code, response.get_json()

    thread = threading.Thread(target=cashier)
    thread.start()
    _wait_until_blocked(backend, fresh_engine)
    expiry.expire(run, period="2026-03", actor=Actor("run"), today=dt.date(2026, 4, 1))
    run.commit()
    run.close()
    thread.join(timeout=60)

    assert (answer["status"], answer["body"]["code"]) == (409, "grant_expired"), answer
    with Session(fresh_engine) as session:
        assert session.scalar(select(Redemption.id)) is None
