"""An expiry run and redemptions of the same grants at the same moment (issue 11 item 5).

Real threads, each with its own connection, on both databases. The expiry must not fail when a
redemption got to a grant first, and every cent must end up exactly once: spent, or expired.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
import uuid
from collections import Counter

from flask import Flask
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from almerepas.audit.log import Actor
from almerepas.core import clock
from almerepas.core.errors import DomainError
from almerepas.grants import expiry
from almerepas.grants import runs as grants
from almerepas.ledger import posting as ledger
from almerepas.models import Account, Grant, JournalEntry, MemberRole, Redemption, Transfer
from almerepas.redemptions import ledger as redemptions
from almerepas.reference.loaders import load_norms, load_postcodes, load_schemes
from tests.conftest import Backend
from tests.factories import TEST_ACTOR, assess, born, make_household

PERIOD = "2026-10"
#: The expiry run of October starts on the first of November, while cashiers are still busy
#: with the last redemptions of 31 October.
EXPIRY_DAY = dt.date(2026, 11, 1)
LAST_MINUTE = clock.local_moment(dt.date(2026, 10, 31), dt.time(23, 59))
HOUSEHOLDS = 12
MONTHLY = 50_00  # the supermarket discount cap


def _setup(app: Flask, engine: Engine) -> tuple[list[int], int]:
    """October's supermarket grants for a dozen households; returns grant ids and a payee."""
    with app.test_request_context(), Session(engine) as session:
        load_postcodes(session)
        load_norms(session)
        load_schemes(session)
        for _ in range(HOUSEHOLDS):
            household = make_household(session, [(MemberRole.applicant, born(30))])
            assess(session, household, (100, 100), on=dt.date(2026, 3, 1))
        grants.issue(
            session, period=PERIOD, actor=Actor("test"), today=dt.date(2026, 10, 1),
            schemes=["supermarkt"],
        )  # fmt: skip
        payee = redemptions.payee_account(session, "supermarkt-almere")
        session.commit()
        ids = list(session.scalars(select(Grant.id).where(Grant.period == PERIOD)))
        assert len(ids) == HOUSEHOLDS
        return ids, payee.id


def _spend(session: Session, grant_id: int, payee_id: int, amount: int) -> None:
    """A cashier's redemption of ``amount`` from the grant, at the last minute of October."""
    redemptions.redeem(
        session, session.get_one(Grant, grant_id), amount,
        payee_account=session.get_one(Account, payee_id), actor=TEST_ACTOR, now=LAST_MINUTE,
        reference=uuid.uuid4().hex,
    )  # fmt: skip


def _wait_until_blocked(backend: Backend, engine: Engine) -> None:
    """Until the expiry waits for the open redemption's lock (PostgreSQL), or a moment."""
    if backend.name != "postgresql":
        time.sleep(0.3)  # SQLite: the expiry waits for the write lock before it reads
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
    raise AssertionError("the expiry run never waited for the redemption")


def test_an_expiry_run_and_redemptions_of_the_same_grants_lose_no_cent(
    app: Flask, backend: Backend, fresh_engine: Engine
) -> None:
    grant_ids, payee_id = _setup(app, fresh_engine)
    outcomes: Counter[str] = Counter()
    expiry_errors: list[BaseException] = []
    lock = threading.Lock()
    expiry_done = threading.Event()

    # A cashier's redemption is halfway (its balance change made, not yet committed) when the
    # expiry run starts: the run must wait for it and expire what is left after it.
    first = Session(fresh_engine)
    _spend(first, grant_ids[0], payee_id, 12_34)

    def expire() -> None:
        with Session(fresh_engine) as session:
            try:
                expiry.expire(session, period=PERIOD, actor=Actor("race"), today=EXPIRY_DAY)
                session.commit()
            except BaseException as exc:  # reported by the main thread
                session.rollback()
                expiry_errors.append(exc)
            finally:
                expiry_done.set()

    def cashier(seed: int) -> None:
        rng = random.Random(seed)  # noqa: S311 - test data, not secrets
        while not expiry_done.is_set():
            with Session(fresh_engine) as session:
                try:
                    _spend(session, rng.choice(grant_ids), payee_id, rng.randint(1, 9_99))
                    session.commit()
                    result = "redeemed"
                except DomainError as exc:
                    session.rollback()
                    result = exc.code
            with lock:
                outcomes[result] += 1

    runner = threading.Thread(target=expire)
    runner.start()
    _wait_until_blocked(backend, fresh_engine)
    cashiers = [threading.Thread(target=cashier, args=(seed,)) for seed in range(4)]
    for thread in cashiers:
        thread.start()
    first.commit()
    first.close()
    runner.join(timeout=120)
    for thread in cashiers:
        thread.join(timeout=120)

    assert expiry_errors == []  # the batch did not fail on the grant a cashier got to first
    # A cashier after the run hears that the grant expired, never a failure of the database.
    assert set(outcomes) <= {"redeemed", "grant_expired", "insufficient_budget"}, outcomes
    with Session(fresh_engine) as session:
        for grant in session.scalars(select(Grant).where(Grant.id.in_(grant_ids))):
            assert grant.expired_at is not None
            assert grant.account is not None and grant.account.balance == 0
            spent = session.scalar(
                select(func.coalesce(func.sum(Transfer.amount), 0)).where(
                    Transfer.debit_account_id == grant.account_id,
                    Transfer.credit_account_id == payee_id,
                )
            )
            expired = 0
            if grant.expiry_entry_id is not None:
                expired = (
                    session.scalar(
                        select(Transfer.amount).where(Transfer.entry_id == grant.expiry_entry_id)
                    )
                    or 0
                )
            assert spent + expired == MONTHLY, grant.id  # every cent: spent or expired, once
        first_spent = session.scalar(
            select(func.sum(Transfer.amount))
            .join(Grant, Grant.account_id == Transfer.debit_account_id)
            .where(Grant.id == grant_ids[0], Transfer.credit_account_id == payee_id)
        )
        assert first_spent is not None and first_spent >= 12_34
        assert ledger.find_drift(session) == []
        assert set(ledger.unit_totals(session).values()) == {0}


def test_reversals_during_an_expiry_run_never_credit_an_expired_grant(
    app: Flask, fresh_engine: Engine
) -> None:
    """A reversal that meets the run goes to the grant if it comes first (and the run expires
    it), or to the scheme's funding if the run comes first: never to an expired entitlement."""
    grant_ids, payee_id = _setup(app, fresh_engine)
    redemption_ids: list[int] = []
    with Session(fresh_engine) as session:
        for grant_id in grant_ids:
            _spend(session, grant_id, payee_id, 40_00)
        session.commit()
        redemption_ids = list(session.scalars(select(Redemption.id).order_by(Redemption.id)))
    errors: list[BaseException] = []
    start = threading.Barrier(5)

    def expire() -> None:
        with Session(fresh_engine) as session:
            start.wait(timeout=30)
            try:
                expiry.expire(session, period=PERIOD, actor=Actor("race"), today=EXPIRY_DAY)
                session.commit()
            except BaseException as exc:  # reported by the main thread
                session.rollback()
                errors.append(exc)

    def clerk(mine: list[int]) -> None:
        start.wait(timeout=30)
        for redemption_id in mine * 4:  # four reversals of 10 each: all of the 40
            with Session(fresh_engine) as session:
                try:
                    redemptions.reverse(
                        session, session.get_one(Redemption, redemption_id), 10_00,
                        actor=TEST_ACTOR, now=dt.datetime.combine(EXPIRY_DAY, dt.time(8), dt.UTC),
                    )  # fmt: skip
                    session.commit()
                except BaseException as exc:  # reported by the main thread
                    session.rollback()
                    errors.append(exc)

    pool = [threading.Thread(target=expire)] + [
        threading.Thread(target=clerk, args=(redemption_ids[i::4],)) for i in range(4)
    ]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=120)

    assert errors == []
    with Session(fresh_engine) as session:
        funding = ledger.account_by_code(session, "funding:supermarkt:2026")
        for grant in session.scalars(select(Grant).where(Grant.id.in_(grant_ids))):
            assert grant.expired_at is not None and grant.account is not None
            assert grant.account.balance == 0  # nothing stays in an expired grant
            expired = 0
            if grant.expiry_entry_id is not None:
                expired = (
                    session.scalar(
                        select(Transfer.amount).where(Transfer.entry_id == grant.expiry_entry_id)
                    )
                    or 0
                )
            redemption = session.scalars(
                select(Redemption).where(Redemption.grant_id == grant.id)
            ).one()
            assert redemption.reversed == 40_00
            back_to_funding = session.scalar(
                select(func.coalesce(func.sum(Transfer.amount), 0))
                .join(JournalEntry, JournalEntry.id == Transfer.entry_id)
                .where(
                    JournalEntry.natural_key.like(f"reversal:{redemption.id}:%"),
                    Transfer.credit_account_id == funding.id,
                )
            )
            # The 10 never spent expired; the 40 came back, to the grant before the run (and
            # then expired with it) or to funding after it.
            assert expired + back_to_funding == MONTHLY, grant.id
        assert ledger.balance_of(session, session.get_one(Account, payee_id)) == 0
        assert ledger.find_drift(session) == []
        assert set(ledger.unit_totals(session).values()) == {0}
