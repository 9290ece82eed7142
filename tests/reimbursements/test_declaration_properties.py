"""Any mix of declarations handed in, approved and rejected, and redemptions at a partner, on
one child's budget: the budget never goes below zero, it always equals what was granted minus
what was approved and redeemed, a declaration is taken at most once, a receipt is open at most
once, and whatever waits always fits in what is left when it was handed in."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almerepas.contracts.models import Location, Partner
from almerepas.core.errors import DomainError
from almerepas.grants.models import Grant
from almerepas.ledger import posting as ledger
from almerepas.redemptions.models import Redemption
from almerepas.reimbursements import deciding, declaring
from almerepas.reimbursements.models import Reimbursement, ReimbursementStatus
from tests.factories import TEST_ACTOR
from tests.redemptions.support import JUNE, child_budget
from tests.reimbursements.support import declare, receipt
from tests.settlements.support import contracted, redeem_at

BUDGET = 120_00


class DeclarationMachine(RuleBasedStateMachine):
    session: Session

    def __init__(self) -> None:
        super().__init__()
        self.savepoint = self.session.begin_nested()
        self.ids: list[int] = []
        self.refusals: Counter[str] = Counter()

    @initialize()
    def budget(self) -> None:
        self.grant: Grant = child_budget(self.session, BUDGET)
        self.partner: Partner
        self.place: Location
        self.partner, self.place = contracted(self.session, "stadsfonds")

    @rule(amount=st.integers(1, 80_00), photo=st.integers(0, 5), day=st.integers(1, 14))
    def hand_in(self, amount: int, photo: int, day: int) -> None:
        """Receipts repeat (the same photo, or the same amount and day): some are refused."""
        found = receipt(photo, amount=amount, paid_on=dt.date(2026, 6, day))
        room = declaring.room(self.session, self.grant)
        try:
            self.ids.append(declare(self.session, self.grant, found).id)
        except DomainError as exc:
            self.refusals[exc.code] += 1
            return
        assert amount <= room

    @rule(data=st.data())
    def decide(self, data: st.DataObject) -> None:
        if not self.ids:
            return
        chosen = data.draw(st.sampled_from(self.ids))
        try:
            if data.draw(st.booleans()):
                deciding.approve(self.session, chosen, actor=TEST_ACTOR, now=JUNE)
            else:
                deciding.reject(self.session, chosen, reason="other", note="", actor=TEST_ACTOR,
                                now=JUNE)  # fmt: skip
        except DomainError as exc:
            self.refusals[exc.code] += 1

    @rule(amount=st.integers(1, 60_00))
    def redeem_at_a_partner(self, amount: int) -> None:
        try:
            redeem_at(self.session, self.grant, self.partner, self.place, amount)
        except DomainError as exc:
            self.refusals[exc.code] += 1

    def _sum(self, status: ReimbursementStatus) -> int:
        total = self.session.scalar(
            select(func.coalesce(func.sum(Reimbursement.amount), 0)).where(
                Reimbursement.status == status
            )
        )
        return int(total or 0)

    @invariant()
    def the_budget_adds_up(self) -> None:
        if not hasattr(self, "grant"):
            return
        account = self.grant.account
        assert account is not None
        approved = self._sum(ReimbursementStatus.approved)
        redeemed = self.session.scalar(select(func.coalesce(func.sum(Redemption.amount), 0)))
        assert account.balance >= 0
        assert account.balance == BUDGET - approved - redeemed
        assert ledger.computed_balances(self.session)[account.id] == account.balance
        taken = self.session.scalar(
            select(func.count())
            .select_from(Reimbursement)
            .where(Reimbursement.entry_id.is_not(None))
        )
        approved_count = self.session.scalar(
            select(func.count())
            .select_from(Reimbursement)
            .where(Reimbursement.status == ReimbursementStatus.approved)
        )
        assert taken == approved_count
        open_hashes = self.session.scalars(
            select(Reimbursement.sha256).where(Reimbursement.status != ReimbursementStatus.rejected)
        ).all()
        assert len(open_hashes) == len(set(open_hashes))

    def teardown(self) -> None:
        self.savepoint.rollback()
        # SQLite hands out rolled-back ids again; forget the objects that had them.
        self.session.expunge_all()


def test_any_mix_of_declarations_and_redemptions_keeps_the_budget_right(
    reference: Session,
) -> None:
    DeclarationMachine.session = reference
    case = DeclarationMachine.TestCase
    case.settings = settings(
        max_examples=25,
        database=None,
        stateful_step_count=20,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    case().runTest()
