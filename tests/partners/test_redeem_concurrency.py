"""Cashiers racing through the partner API, each thread with its own client and connection:
one Idempotency-Key sent twenty times at once redeems once; many redemptions against one
child's budget never take more than it holds."""

from __future__ import annotations

import random
import threading
from collections import Counter as Tally
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from almerepas.ledger import posting as ledger
from almerepas.models import Grant, Redemption
from almerepas.passes import keys as signing
from almerepas.reference.loaders import load_norms, load_postcodes, load_schemes
from tests.conftest import Backend
from tests.factories import KEYS, TEST_ACTOR
from tests.fixtures import START, FrozenClock
from tests.partners.support import Counter, open_counter, serve_family

BUDGET = 300_00


@pytest.fixture
def served(
    make_app: Callable[..., Flask], fresh_engine: Engine, frozen_clock: FrozenClock
) -> tuple[Flask, Counter]:
    app = make_app(fresh_engine.url.render_as_string(hide_password=False))
    with app.test_request_context(), Session(fresh_engine, expire_on_commit=False) as session:
        load_postcodes(session)
        load_norms(session)
        load_schemes(session)
        signing.ensure_keys(session, keys=KEYS, actor=TEST_ACTOR, now=START)
        counter = serve_family(session, open_counter(session), stadsfonds=BUDGET)
        session.commit()
    return app, counter


def race(threads: int, work: Callable[[int], Any]) -> list[Any]:
    start = threading.Barrier(threads)
    results: list[Any] = [None] * threads

    def run(n: int) -> None:
        start.wait(timeout=60)
        results[n] = work(n)

    pool = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=300)
    return results


def scan_reference(app: Flask, counter: Counter) -> str:
    scanned = app.test_client().post(
        "/api/v1/partner/scans", json={"code": counter.cards["child"]}, headers=counter.headers
    )
    assert scanned.status_code == 201, scanned.get_json()
    return str(scanned.get_json()["scan_reference"])


def test_twenty_requests_with_one_key_redeem_once_and_all_get_the_same_answer(
    served: tuple[Flask, Counter], fresh_engine: Engine
) -> None:
    app, counter = served
    body = {"scan_reference": scan_reference(app, counter), "scheme": "stadsfonds", "amount": 7_50}
    headers = {**counter.headers, "Idempotency-Key": "one-sale"}

    def send(_: int) -> tuple[int, Any]:
        response = app.test_client().post("/api/v1/partner/redemptions", json=body, headers=headers)
        return response.status_code, response.get_json()

    answers = race(20, send)
    assert {status for status, _ in answers} == {201}, answers
    assert len({repr(body) for _, body in answers}) == 1
    with Session(fresh_engine) as session:
        assert session.scalar(select(func.count()).select_from(Redemption)) == 1
        assert session.scalar(select(func.sum(Redemption.amount))) == 7_50


def test_concurrent_redemptions_through_the_api_never_exceed_the_budget(
    served: tuple[Flask, Counter], fresh_engine: Engine, backend: Backend
) -> None:
    app, counter = served
    threads = 16 if backend.name == "postgresql" else 6
    references = [scan_reference(app, counter) for _ in range(threads * 3)]

    def cashier(n: int) -> list[tuple[int, str | None, int]]:
        rng = random.Random(n)  # noqa: S311 - test data
        client = app.test_client()
        done = []
        for reference in references[n * 3 : n * 3 + 3]:
            amount = rng.randint(1_00, 40_00)
            response = client.post(
                "/api/v1/partner/redemptions",
                json={"scan_reference": reference, "scheme": "stadsfonds", "amount": amount},
                headers={**counter.headers, "Idempotency-Key": reference},
            )
            done.append((response.status_code, response.get_json().get("code"), amount))
        return done

    outcomes = [o for per_thread in race(threads, cashier) for o in per_thread]
    tally = Tally(code or status for status, code, _ in outcomes)
    assert set(tally) == {201, "insufficient_budget"}, tally
    accepted = sum(amount for status, _, amount in outcomes if status == 201)
    with Session(fresh_engine) as session:
        redeemed = session.scalar(select(func.sum(Redemption.amount))) or 0
        grant = session.scalars(select(Grant).where(Grant.account_id.is_not(None))).all()
        budget = next(g for g in grant if g.scheme.code == "stadsfonds")
        assert budget.account is not None
        assert redeemed == accepted <= BUDGET
        assert ledger.balance_of(session, budget.account) == BUDGET - redeemed
        assert ledger.find_drift(session) == []
