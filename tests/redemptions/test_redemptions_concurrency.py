"""Many cashiers at once against one child's € 300 budget: never a cent beyond it.

Real threads, each with its own connection: 50 on PostgreSQL, 8 on SQLite (one writer at a time).
"""

from __future__ import annotations

import random
import threading
import uuid
from collections import Counter

from flask import Flask
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from almerepas.core.errors import DomainError
from almerepas.ledger import posting as ledger
from almerepas.models import Account, Grant, Redemption
from almerepas.redemptions import ledger as redemptions
from almerepas.reference.loaders import load_norms, load_postcodes, load_schemes
from tests.conftest import Backend
from tests.factories import TEST_ACTOR
from tests.redemptions.support import JUNE, child_budget

BUDGET = 300_00
PER_THREAD = 4


def test_concurrent_redemptions_never_exceed_the_budget(
    app: Flask, backend: Backend, fresh_engine: Engine
) -> None:
    threads = 50 if backend.name == "postgresql" else 8
    with app.test_request_context(), Session(fresh_engine) as session:
        load_postcodes(session)
        load_norms(session)
        load_schemes(session)
        grant_id = child_budget(session, BUDGET).id
        redemptions.payee_account(session, "sportclub")
        session.commit()

    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def cashier(seed: int) -> None:
        rng = random.Random(seed)  # noqa: S311 - test data, not secrets
        start.wait(timeout=60)
        for _ in range(PER_THREAD):
            amount = rng.randint(1_00, 40_00)  # 50 x 4 x € 20 on average: far beyond € 300
            with Session(fresh_engine) as session:
                try:
                    redemptions.redeem(
                        session, session.get_one(Grant, grant_id), amount,
                        payee_account=redemptions.payee_account(session, "sportclub"),
                        actor=TEST_ACTOR, now=JUNE, reference=uuid.uuid4().hex,
                    )  # fmt: skip
                    session.commit()
                    result = "redeemed"
                except DomainError as exc:
                    session.rollback()
                    result = exc.code
            with lock:
                outcomes[result] += 1

    pool = [threading.Thread(target=cashier, args=(seed,)) for seed in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=300)

    assert set(outcomes) <= {"redeemed", "insufficient_budget"}, outcomes
    assert outcomes["redeemed"] > 0 and outcomes["insufficient_budget"] > 0
    with Session(fresh_engine) as session:
        grant = session.get_one(Grant, grant_id)
        assert grant.account is not None
        redeemed = session.scalar(select(func.sum(Redemption.amount))) or 0
        count = session.scalar(select(func.count()).select_from(Redemption))
        assert count == outcomes["redeemed"]
        assert redeemed <= BUDGET
        assert grant.account.balance == BUDGET - redeemed
        assert ledger.computed_balances(session)[grant.account.id] == grant.account.balance
        payee = ledger.account_by_code(session, "payable:sportclub:eur")
        assert ledger.balance_of(session, payee) == redeemed
        assert session.scalar(select(Account.balance).where(Account.id == payee.id)) == 0
        assert ledger.find_drift(session) == []
        assert set(ledger.unit_totals(session).values()) == {0}
