"""Try to overspend one budget from many threads at once, each with its own connection."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from almerepas.core import migrate
from almerepas.core.db import make_engine
from almerepas.ledger import posting as ledger
from almerepas.ledger.errors import InsufficientBalance
from almerepas.ledger.posting import Leg
from almerepas.models import Account, AccountKind, EntryKind
from tests.conftest import Backend
from tests.factories import funded_account, make_account

ATTEMPTS = 200
BALANCE = 100


def _debit_concurrently(engine: Engine, threads: int) -> tuple[Counter[str], int, int]:
    with Session(engine) as session:
        _, budget = funded_account(session, BALANCE)
        partner = make_account(session, AccountKind.payable)
        session.commit()
        budget_id, partner_id = budget.id, partner.id

    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(threads)
    per_thread = [
        ATTEMPTS // threads + (1 if i < ATTEMPTS % threads else 0) for i in range(threads)
    ]

    def worker(n: int) -> None:
        start.wait()
        for _ in range(n):
            with Session(engine) as session:
                try:
                    source = session.get_one(Account, budget_id)
                    target = session.get_one(Account, partner_id)
                    ledger.post_entry(
                        session,
                        kind=EntryKind.redemption,
                        natural_key=f"race:{uuid.uuid4().hex}",
                        legs=[Leg(source, target, 1)],
                        actor="test",
                    )
                    session.commit()
                    result = "ok"
                except InsufficientBalance:
                    session.rollback()
                    result = "refused"
                except OperationalError as exc:  # pragma: no cover - would be a failure
                    session.rollback()
                    result = f"error: {exc.orig}"
            with lock:
                outcomes[result] += 1

    pool = [threading.Thread(target=worker, args=(n,)) for n in per_thread]
    for t in pool:
        t.start()
    for t in pool:
        t.join()

    with Session(engine) as session:
        balance = session.scalar(select(Account.balance).where(Account.id == budget_id))
        computed = ledger.computed_balances(session).get(budget_id, 0)
        assert ledger.find_drift(session) == []
        assert set(ledger.unit_totals(session).values()) == {0}
    return outcomes, int(balance or 0), computed


def test_concurrent_debits_never_overspend(backend: Backend, fresh_engine: Engine) -> None:
    threads = 32 if backend.name == "postgresql" else 8
    engine = fresh_engine
    if backend.name == "sqlite":
        # SQLite's writers take turns: on a loaded CI machine one may wait for the others for
        # longer than the app's 5 s. The waiting is this test's subject, not its limit.
        engine = make_engine(
            fresh_engine.url.render_as_string(hide_password=False), sqlite_busy_timeout_ms=60_000
        )
    try:
        outcomes, balance, computed = _debit_concurrently(engine, threads)
    finally:
        if engine is not fresh_engine:
            engine.dispose()

    assert outcomes == Counter({"ok": BALANCE, "refused": ATTEMPTS - BALANCE})
    assert balance == 0
    assert computed == 0


def test_sqlite_deferred_transactions_would_fail_under_contention(tmp_path: Path) -> None:
    """Why every write starts with BEGIN IMMEDIATE (SQLite only).

    A deferred transaction that reads, and then writes after another writer committed, fails
    at once with SQLITE_BUSY: its snapshot is stale and no timeout helps. An immediate
    transaction takes the write lock first, so the other writer waits instead.
    """
    engine = make_engine(f"sqlite:///{tmp_path / 'deferred.sqlite3'}")
    migrate.upgrade(engine)
    with Session(engine) as session:
        _, budget = funded_account(session, 1000)
        session.commit()
        budget_id = budget.id
    debit = "UPDATE account SET balance = balance - 1 WHERE id = ?"
    try:
        with engine.execution_options(sqlite_begin="DEFERRED").connect() as stale:
            stale.exec_driver_sql("SELECT balance FROM account WHERE id = ?", (budget_id,)).all()
            with engine.connect() as other:
                other.exec_driver_sql(debit, (budget_id,))
                other.commit()
            with pytest.raises(OperationalError, match="locked"):
                stale.exec_driver_sql(debit, (budget_id,))

        with engine.connect() as first:  # BEGIN IMMEDIATE: holds the write lock from the start
            first.exec_driver_sql("SELECT balance FROM account WHERE id = ?", (budget_id,)).all()
            impatient = make_engine(str(engine.url), sqlite_busy_timeout_ms=50)
            with impatient.connect() as second, pytest.raises(OperationalError, match="locked"):
                second.exec_driver_sql(debit, (budget_id,))
            impatient.dispose()
            first.exec_driver_sql(debit, (budget_id,))
            first.commit()
    finally:
        engine.dispose()


def test_an_account_opened_by_many_at_once_is_one_account(
    backend: Backend, fresh_engine: Engine
) -> None:
    """A partner's first redemptions arrive together: each opens its payee account if missing.
    Every caller gets the same account, and none fails on the unique code."""
    threads = 16 if backend.name == "postgresql" else 4
    code = f"payable:new-partner-{uuid.uuid4().hex[:8]}:eur"
    start = threading.Barrier(threads)
    found: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        start.wait()
        with Session(fresh_engine) as session:
            try:
                account = ledger.ensure_account(
                    session, code=code, name="Nieuwe partner", kind=AccountKind.payable,
                    cached=False,
                )  # fmt: skip
                session.commit()
                with lock:
                    found.append(account.id)
            except BaseException as exc:
                with lock:
                    errors.append(exc)

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert errors == []
    assert len(found) == threads and len(set(found)) == 1
    with Session(fresh_engine) as session:
        assert len(session.scalars(select(Account).where(Account.code == code)).all()) == 1
