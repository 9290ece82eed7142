"""Caseworkers approving at once, while cashiers redeem from the same budget: never a cent
beyond it, and never one declaration twice. Real threads, each with its own connection."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections import Counter
from collections.abc import Callable

from flask import Flask
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from almerepas.core.errors import DomainError
from almerepas.ledger import posting as ledger
from almerepas.models import Grant, Redemption
from almerepas.redemptions import ledger as redemptions
from almerepas.reference.loaders import load_norms, load_postcodes, load_schemes
from almerepas.reimbursements import deciding
from almerepas.reimbursements.models import Reimbursement, ReimbursementStatus
from tests.conftest import Backend
from tests.factories import TEST_ACTOR
from tests.redemptions.support import JUNE, child_budget
from tests.reimbursements.support import declare, receipt

BUDGET = 100_00


def _race(threads: int, work: Callable[[int], str]) -> Counter[str]:
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def run(n: int) -> None:
        start.wait(timeout=60)
        result = work(n)
        with lock:
            outcomes[result] += 1

    pool = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=300)
    return outcomes


def may(n: int) -> dt.date:
    """A day in May for receipt ``n``: one receipt per day, so none looks like another."""
    return dt.date(2026, 5, 1 + n)


def _setup(engine: Engine, declarations: int) -> tuple[int, list[int]]:
    with Session(engine) as session:
        load_postcodes(session)
        load_norms(session)
        load_schemes(session)
        grant = child_budget(session, BUDGET)
        redemptions.payee_account(session, "sportclub")
        deciding.holders_payable(session)
        share = BUDGET // declarations
        ids = [
            declare(session, grant, receipt(n, amount=share, paid_on=may(n))).id
            for n in range(declarations)
        ]
        session.commit()
        return grant.id, ids


def _attempt(engine: Engine, act: Callable[[Session], object]) -> str:
    with Session(engine) as session:
        try:
            act(session)
            session.commit()
            return "done"
        except DomainError as exc:
            session.rollback()
            return exc.code


def test_one_declaration_approved_by_many_at_once_is_taken_once(
    app: Flask, backend: Backend, fresh_engine: Engine
) -> None:
    threads = 20 if backend.name == "postgresql" else 8
    with app.test_request_context():
        grant_id, (declaration_id,) = _setup(fresh_engine, 1)

    outcomes = _race(
        threads,
        lambda _n: _attempt(
            fresh_engine,
            lambda s: deciding.approve(s, declaration_id, actor=TEST_ACTOR, now=JUNE),
        ),
    )

    assert outcomes == Counter({"done": 1, "reimbursement_decided": threads - 1})
    with Session(fresh_engine) as session:
        grant = session.get_one(Grant, grant_id)
        assert grant.account is not None and grant.account.balance == 0
        assert ledger.find_drift(session) == []


def test_approvals_and_redemptions_together_never_exceed_the_budget(
    app: Flask, backend: Backend, fresh_engine: Engine
) -> None:
    threads = 20 if backend.name == "postgresql" else 8
    declarations = threads // 2
    with app.test_request_context():
        grant_id, ids = _setup(fresh_engine, declarations)
    share = BUDGET // declarations  # the declarations alone take all of it; so do the cashiers

    def act(n: int) -> str:
        if n < declarations:
            return _attempt(
                fresh_engine,
                lambda s: deciding.approve(s, ids[n], actor=TEST_ACTOR, now=JUNE),
            )
        return _attempt(
            fresh_engine,
            lambda s: redemptions.redeem(
                s,
                s.get_one(Grant, grant_id),
                share,
                payee_account=redemptions.payee_account(s, "sportclub"),
                actor=TEST_ACTOR,
                now=JUNE,
                reference=uuid.uuid4().hex,
            ),
        )

    outcomes = _race(threads, act)

    assert set(outcomes) <= {"done", "reimbursement_over_budget", "insufficient_budget"}
    # Twice the budget was asked for in equal shares: exactly half of the asks fit.
    assert outcomes["done"] == declarations and sum(outcomes.values()) == threads
    with Session(fresh_engine) as session:
        grant = session.get_one(Grant, grant_id)
        approved = session.scalar(
            select(func.coalesce(func.sum(Reimbursement.amount), 0)).where(
                Reimbursement.status == ReimbursementStatus.approved
            )
        )
        redeemed = session.scalar(select(func.coalesce(func.sum(Redemption.amount), 0)))
        assert outcomes["done"] * share == approved + redeemed
        assert approved + redeemed <= BUDGET
        assert grant.account is not None and grant.account.balance == BUDGET - approved - redeemed
        entries = session.scalar(
            select(func.count())
            .select_from(Reimbursement)
            .where(Reimbursement.entry_id.is_not(None))
        )
        assert entries * share == approved
        assert ledger.find_drift(session) == []
        assert set(ledger.unit_totals(session).values()) == {0}
