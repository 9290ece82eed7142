"""Grant runs and assessments at the same moment: nothing is granted twice, no budget is
overspent, one decision per household per day. Real threads and connections, both databases."""

from __future__ import annotations

import datetime as dt
import threading

from flask import Flask
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from almerepas.audit.log import Actor
from almerepas.grants import runs as grants
from almerepas.income import assessments
from almerepas.income.errors import AssessmentOutOfOrder
from almerepas.ledger import posting as ledger
from almerepas.ledger.errors import EntryExists
from almerepas.models import Grant, Household, IncomeAssessment, MemberRole
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
