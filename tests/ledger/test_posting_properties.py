"""Random sequences of entries, with the ledger's invariants checked after every step."""

from __future__ import annotations

import uuid

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almerepas.ledger import posting as ledger
from almerepas.ledger.errors import InsufficientBalance
from almerepas.ledger.posting import Leg
from almerepas.models import Account, AccountKind, EntryKind, Transfer

KINDS = [AccountKind.source, AccountKind.funding, AccountKind.entitlement, AccountKind.payable]
UNITS = ["EUR", "PACK"]


class LedgerMachine(RuleBasedStateMachine):
    """Opens accounts and posts random entries; a refusal must leave the ledger as it was."""

    session: Session

    def __init__(self) -> None:
        super().__init__()
        self.savepoint = self.session.begin_nested()
        self.accounts: list[Account] = []
        self.expected: dict[int, int] = {}

    @initialize()
    def open_sources(self) -> None:
        for unit in UNITS:
            self._open(AccountKind.source, unit)

    def _open(self, kind: AccountKind, unit: str) -> None:
        account = ledger.open_account(
            self.session, code=f"p:{uuid.uuid4().hex}", name="p", kind=kind, unit=unit
        )
        self.accounts.append(account)
        self.expected[account.id] = 0

    @rule(kind=st.sampled_from(KINDS), unit=st.sampled_from(UNITS))
    def open_account(self, kind: AccountKind, unit: str) -> None:
        self._open(kind, unit)

    @rule(data=st.data(), n=st.integers(min_value=1, max_value=3))
    def post(self, data: st.DataObject, n: int) -> None:
        legs = []
        for _ in range(n):
            unit = data.draw(st.sampled_from(UNITS))
            same_unit = [a for a in self.accounts if a.unit == unit]
            if len(same_unit) < 2:
                return
            debit, credit = data.draw(
                st.lists(
                    st.sampled_from(same_unit), min_size=2, max_size=2, unique_by=lambda a: a.id
                )
            )
            legs.append(Leg(debit, credit, data.draw(st.integers(min_value=1, max_value=10_000))))
        before = self._snapshot()
        try:
            ledger.post_entry(
                self.session,
                kind=EntryKind.adjustment,
                natural_key=f"p:{uuid.uuid4().hex}",
                legs=legs,
                actor="hypothesis",
            )
        except InsufficientBalance:
            assert self._snapshot() == before
            return
        for leg in legs:
            self.expected[leg.debit.id] -= leg.amount
            self.expected[leg.credit.id] += leg.amount

    def _snapshot(self) -> dict[int, int]:
        rows = self.session.execute(select(Account.id, Account.balance))
        return {account_id: balance for account_id, balance in rows}

    @invariant()
    def debits_equal_credits_per_unit(self) -> None:
        totals = ledger.unit_totals(self.session)
        assert all(total == 0 for total in totals.values()), totals
        # Every transfer moves a positive amount (None: nothing posted yet).
        smallest = self.session.scalar(select(func.min(Transfer.amount)))
        assert smallest is None or smallest > 0

    @invariant()
    def cached_balances_equal_their_transfers(self) -> None:
        assert ledger.find_drift(self.session) == []
        snapshot = self._snapshot()
        for account_id, balance in self.expected.items():
            assert snapshot[account_id] == balance

    @invariant()
    def bounded_accounts_never_go_below_zero(self) -> None:
        for account in self.accounts:
            if account.min_balance is not None:
                self.session.refresh(account, ["balance"])
                assert account.balance >= account.min_balance

    def teardown(self) -> None:
        self.savepoint.rollback()
        # SQLite hands out rolled-back ids again; forget the objects that had them.
        self.session.expunge_all()


def test_ledger_invariants_hold_for_random_sequences(db: Session) -> None:
    LedgerMachine.session = db
    runner = LedgerMachine.TestCase
    runner.settings = settings(
        max_examples=40,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    runner().runTest()
