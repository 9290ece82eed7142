"""Any sequence of redemptions, reversals and an expiry: never below zero, never more back than
taken, and every cent stays in the grant, the payee or the scheme's funding."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy.orm import Session

from almerepas.audit.log import Actor
from almerepas.grants import expiry
from almerepas.ledger import posting as ledger
from almerepas.models import Account, Redemption
from almerepas.redemptions import ledger as redemptions
from almerepas.redemptions.errors import GrantExpired, InsufficientBudget, ReversalTooLarge
from tests.factories import TEST_ACTOR
from tests.redemptions.support import JUNE, monthly_grant

JULY = dt.datetime(2026, 7, 1, 9, 0, tzinfo=dt.UTC)


class RedemptionMachine(RuleBasedStateMachine):
    session: Session

    def __init__(self) -> None:
        super().__init__()
        self.savepoint = self.session.begin_nested()
        self.redemptions: list[Redemption] = []
        self.expected_left = 0
        self.expired = False
        self.count = 0

    @initialize()
    def grant(self) -> None:
        self.grant_ = monthly_grant(self.session, "supermarkt")  # € 50 for June
        self.expected_left = self.grant_.amount
        self.payee = redemptions.payee_account(self.session, "supermarkt-almere")
        self.funding = ledger.account_by_code(self.session, "funding:supermarkt:2026")
        self.total = self.accounts_total()

    def accounts(self) -> list[Account]:
        assert self.grant_.account is not None
        return [self.grant_.account, self.payee, self.funding]

    def accounts_total(self) -> int:
        return sum(ledger.balance_of(self.session, a) for a in self.accounts())

    @rule(amount=st.integers(1, 60_00))
    def redeem(self, amount: int) -> None:
        self.count += 1
        try:
            redemption = redemptions.redeem(
                self.session, self.grant_, amount, payee_account=self.payee, actor=TEST_ACTOR,
                now=JULY if self.expired else JUNE, reference=f"p-{self.count}",
            )  # fmt: skip
        except (InsufficientBudget, GrantExpired) as refusal:
            assert isinstance(refusal, GrantExpired) == self.expired
            assert self.expired or amount > self.expected_left
            return
        assert not self.expired and amount <= self.expected_left
        self.expected_left -= amount
        self.redemptions.append(redemption)

    @rule(data=st.data(), amount=st.integers(1, 60_00))
    def reverse(self, data: st.DataObject, amount: int) -> None:
        if not self.redemptions:
            return
        redemption = data.draw(st.sampled_from(self.redemptions))
        room = redemption.amount - redemption.reversed
        try:
            redemptions.reverse(
                self.session, redemption, amount, actor=TEST_ACTOR,
                now=JULY if self.expired else JUNE,
            )  # fmt: skip
        except ReversalTooLarge:
            assert amount > room
            return
        assert amount <= room
        if not self.expired:
            self.expected_left += amount  # after expiry it goes to the funding account

    @rule()
    def expire(self) -> None:
        expiry.expire(self.session, period="2026-06", actor=Actor("p"), today=dt.date(2026, 7, 1))
        self.session.refresh(self.grant_)
        self.expired = True
        self.expected_left = 0

    @invariant()
    def balances_hold(self) -> None:
        if not hasattr(self, "grant_"):
            return
        grant_account = self.accounts()[0]
        assert ledger.balance_of(self.session, grant_account) == self.expected_left >= 0
        for redemption in self.redemptions:
            self.session.refresh(redemption, ["reversed"])
            assert 0 <= redemption.reversed <= redemption.amount
        outstanding = sum(r.amount - r.reversed for r in self.redemptions)
        assert ledger.balance_of(self.session, self.payee) == outstanding
        assert self.accounts_total() == self.total  # no cent made or lost
        assert ledger.find_drift(self.session) == []
        assert set(ledger.unit_totals(self.session).values()) == {0}

    def teardown(self) -> None:
        self.savepoint.rollback()
        # SQLite hands out rolled-back ids again; forget the objects that had them.
        self.session.expunge_all()


def test_any_sequence_of_redemptions_reversals_and_expiry_keeps_every_cent(
    reference: Session,
) -> None:
    RedemptionMachine.session = reference
    case = RedemptionMachine.TestCase
    case.settings = settings(
        max_examples=20,
        database=None,
        stateful_step_count=15,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    case().runTest()
