"""Grant runs and assessments at the same moment: nothing is granted twice, no budget is
overspent, one decision per household per day. Real threads and connections, both databases."""

from __future__ import annotations

import datetime as dt
import threading
import time

from flask import Flask
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from almerepas.audit.log import Actor
from almerepas.grants import runs as grants
from almerepas.income import assessments
from almerepas.income.errors import AssessmentOutOfOrder
from almerepas.ledger import posting as ledger
from almerepas.ledger.errors import EntryExists
from almerepas.models import Grant, Household, IncomeAssessment, MemberRole, Scheme
from almerepas.reference.loaders import load_norms, load_postcodes, load_schemes
from almerepas.schemes import catalogue as schemes
from tests.factories import TEST_ACTOR, assess, born, make_household

TODAY = dt.date(2026, 11, 23)
RUNS = 4


def test_concurrent_runs_grant_once_and_keep_the_budget(app: Flask, fresh_engine: Engine) -> None:
    with app.test_request_context(), Session(fresh_engine) as session:
        load_postcodes(session)
        load_norms(session)
        load_schemes(session)
        fund = schemes.get_scheme(session, "volwassenenfonds")
        schemes.update_scheme(
            session, fund, {"annual_budget": 5 * 700_00}, actor=TEST_ACTOR
        )  # room for 5 of 12
        for _ in range(12):
            household = make_household(session, [(MemberRole.applicant, born(30))])
            assess(session, household, (100, 100), on=dt.date(2026, 3, 1))
        session.commit()

    outcomes: list[str] = []
    barrier = threading.Barrier(RUNS)

    def run() -> None:
        with app.test_request_context(), Session(fresh_engine) as session:
            barrier.wait(timeout=30)
            try:
                result = grants.issue(session, period="2026-12", actor=Actor("race"), today=TODAY)
                session.commit()
                outcomes.append(f"granted {sum(r.granted for r in result)}")
            except (EntryExists, IntegrityError):
                session.rollback()
                outcomes.append("lost the race")

    threads = [threading.Thread(target=run) for _ in range(RUNS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    with Session(fresh_engine) as session:
        duplicates = session.execute(
            select(Grant.scheme_id, Grant.beneficiary_key, Grant.period)
            .group_by(Grant.scheme_id, Grant.beneficiary_key, Grant.period)
            .having(func.count() > 1)
        ).all()
        assert duplicates == []
        adults = session.scalar(
            select(func.count()).select_from(Grant).where(Grant.period == "2026")
        )
        assert adults == 5  # the adult fund's budget, first come first served; nobody twice
        funding = ledger.account_by_code(session, "funding:volwassenenfonds:2026")
        assert funding.balance == 0
        assert ledger.find_drift(session) == []
        assert set(ledger.unit_totals(session).values()) == {0}
    assert len(outcomes) == RUNS and any(
        o.startswith("granted") and o != "granted 0" for o in outcomes
    )


def test_two_assessments_at_once_leave_one_decision(app: Flask, fresh_engine: Engine) -> None:
    with app.test_request_context(), Session(fresh_engine) as session:
        load_postcodes(session)
        load_norms(session)
        household_id = make_household(session, [(MemberRole.applicant, born(30))]).id
        session.commit()

    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def record(income: int) -> None:
        barrier.wait(timeout=30)
        with app.test_request_context(), Session(fresh_engine) as session:
            household = session.get_one(Household, household_id)
            try:
                assessments.record_assessment(
                    session, household, net_income=income, assessed_on=dt.date(2026, 3, 1),
                    assessed_by="race",
                )  # fmt: skip
                session.commit()
                outcomes.append("recorded")
            except (AssessmentOutOfOrder, IntegrityError):
                session.rollback()
                outcomes.append("refused")

    threads = [threading.Thread(target=record, args=(income,)) for income in (100_00, 5000_00)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["recorded", "refused"]
    with Session(fresh_engine) as session:
        count = session.scalar(select(func.count()).select_from(IncomeAssessment))
        assert count == 1


def test_a_run_that_waited_for_the_scheme_sees_the_budget_cut_meanwhile(
    app: Flask, fresh_engine: Engine
) -> None:
    """Issue 8.2: a run queued behind the scheme's lock decides on the budget as it is when it
    gets the lock, not as it read it before. On SQLite a writer cannot even read while another
    holds the lock, so there the cut simply comes first; the outcome must be the same."""
    with Session(fresh_engine) as session:
        load_postcodes(session)
        load_norms(session)
        load_schemes(session)
        fund = schemes.get_scheme(session, "volwassenenfonds")
        schemes.update_scheme(session, fund, {"annual_budget": 5 * 700_00}, actor=TEST_ACTOR)
        for _ in range(3):
            household = make_household(session, [(MemberRole.applicant, born(30))])
            assess(session, household, (100, 100), on=dt.date(2026, 3, 1))
        session.commit()

    outcome: list[grants.SchemeRun] = []

    def run() -> None:
        with Session(fresh_engine) as session:
            outcome.extend(
                grants.issue(
                    session,
                    period="2026",
                    actor=Actor("queued"),
                    today=TODAY,
                    schemes=["volwassenenfonds"],
                )
            )
            session.commit()

    cutter = Session(fresh_engine)
    fund = cutter.scalars(
        select(Scheme).where(Scheme.code == "volwassenenfonds").with_for_update()
    ).one()  # as a run or an administrator holding the scheme
    queued = threading.Thread(target=run)
    if fresh_engine.dialect.name == "postgresql":
        queued.start()
        _wait_until_waiting_for_a_lock(fresh_engine)
    schemes.update_scheme(cutter, fund, {"annual_budget": 0}, actor=Actor("staff:beheerder"))
    cutter.commit()
    cutter.close()
    if not queued.is_alive():
        queued.start()
    queued.join(timeout=60)

    (result,) = outcome
    assert (result.granted, result.budget_exhausted) == (0, 3)
    with Session(fresh_engine) as session:
        assert session.scalar(select(func.count()).select_from(Grant)) == 0
        funding = ledger.get_account(session, "funding:volwassenenfonds:2026")
        assert funding is None or funding.balance == 0
        assert ledger.find_drift(session) == []


def _wait_until_waiting_for_a_lock(engine: Engine) -> None:
    """Until another connection of this database waits for a row lock (PostgreSQL)."""
    with engine.connect() as conn:
        for _ in range(200):
            waiting = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
            conn.rollback()
            if waiting:
                return
            time.sleep(0.05)
    raise AssertionError("the queued run never waited for the scheme's lock")
