"""After any sequence of assessments, grant runs and expiries the ledger still balances."""

from __future__ import annotations

import contextlib
import datetime as dt

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almerepas.audit.log import Actor
from almerepas.grants import expiry
from almerepas.grants import runs as grants
from almerepas.income.errors import AssessmentOutOfOrder
from almerepas.ledger import posting as ledger
from almerepas.models import Grant, Household, MemberRole
from almerepas.schemes import catalogue as schemes
from tests.factories import TEST_ACTOR, assess, born, make_household

TODAY = dt.date(2026, 11, 23)
A, C = MemberRole.applicant, MemberRole.child


class GrantMachine(RuleBasedStateMachine):
    session: Session

    def __init__(self) -> None:
        super().__init__()
        self.savepoint = self.session.begin_nested()
        self.households: list[Household] = []

    @initialize()
    def city(self) -> None:
        schemes.update_scheme(
            self.session, schemes.get_scheme(self.session, "volwassenenfonds"),
            {"annual_budget": 3_000_00},
            actor=TEST_ACTOR,
        )  # fmt: skip
        for ages in ([35, 12], [70], [19, 5], [45, 16, 11]):
            household = make_household(
                self.session, [(A, born(ages[0]))] + [(C, born(a)) for a in ages[1:]]
            )
            self.households.append(household)

    @rule(index=st.integers(0, 3), percent=st.integers(80, 140), month=st.integers(1, 11))
    def assess(self, index: int, percent: int, month: int) -> None:
        household = self.households[index]
        with contextlib.suppress(AssessmentOutOfOrder):  # a later one exists: refused, no write
            assess(self.session, household, (percent, 100), on=dt.date(2026, month, 1))

    @rule(month=st.integers(1, 12))
    def grant_month(self, month: int) -> None:
        grants.issue(self.session, period=f"2026-{month:02d}", actor=Actor("p"), today=TODAY)

    @rule()
    def grant_year(self) -> None:
        grants.issue(self.session, period="2026", actor=Actor("p"), today=TODAY)

    @rule(month=st.integers(1, 10))
    def expire_month(self, month: int) -> None:
        expiry.expire(self.session, period=f"2026-{month:02d}", actor=Actor("p"), today=TODAY)

    @invariant()
    def ledger_balances(self) -> None:
        assert ledger.find_drift(self.session) == []
        assert all(total == 0 for total in ledger.unit_totals(self.session).values())

    @invariant()
    def nothing_granted_twice(self) -> None:
        rows = self.session.execute(
            select(Grant.scheme_id, Grant.beneficiary_key, Grant.period, func.count())
            .group_by(Grant.scheme_id, Grant.beneficiary_key, Grant.period)
            .having(func.count() > 1)
        ).all()
        assert rows == []

    @invariant()
    def budgets_never_below_zero(self) -> None:
        funding = ledger.get_account(self.session, "funding:volwassenenfonds:2026")
        if funding is not None:
            self.session.refresh(funding)
            assert funding.balance >= 0

    def teardown(self) -> None:
        self.savepoint.rollback()
        # SQLite hands out rolled-back ids again; forget the objects that had them.
        self.session.expunge_all()


def test_ledger_balances_after_any_sequence_of_runs(reference: Session) -> None:
    GrantMachine.session = reference
    case = GrantMachine.TestCase
    case.settings = settings(
        max_examples=15,
        database=None,
        stateful_step_count=12,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    case().runTest()
