"""Any sequence of redemptions, reversals and settlement runs over three months: every source is
in at most one run, in exactly one once every month is settled (or its partner is held back with
a total that is not positive), the lines add up to what was redeemed minus what was given back at
each contract's tariff, nothing is paid out at zero or below, and the ledger balances.

The test keeps its own account of which run settled which source (a run settles what its
partner had open before the cutoff; a cancelled run gives it back) and holds every run's lines
and payments to it: a source the database paid twice would make a run pay more than that."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almerepas.contracts.models import Contract, Location, Partner
from almerepas.grants.models import Grant
from almerepas.ledger import posting as ledger
from almerepas.redemptions import ledger as booking
from almerepas.redemptions.models import Redemption, Reversal
from almerepas.settlements import paying, runs
from almerepas.settlements.accounts import IN_TRANSIT
from almerepas.settlements.collect import price
from almerepas.settlements.errors import NothingToSettle, OwnRunApproval
from almerepas.settlements.models import (
    HoldReason,
    PaymentStatus,
    RunStatus,
    SettlementLine,
    SettlementPayment,
    SettlementRun,
)
from almerepas.settlements.payouts import Debtor
from tests.factories import TEST_ACTOR
from tests.redemptions.support import child_budget, monthly_grant
from tests.settlements.support import APPROVER, PREPARER, contracted, redeem_at

DEBTOR = Debtor("Gemeente Almere", "NL12BNGH0285010000", "BNGHNL2G")
PERIODS = ["2026-06", "2026-07", "2026-08", "2026-09"]
MONTHLY = ("menstruatie", "supermarkt")  # a new grant each month; stadsfonds is yearly


def second_of(month: int) -> dt.datetime:
    """The 2nd of PERIODS[month], 09:00 UTC: the month before it has closed."""
    return dt.datetime(2026, 6 + month, 2, 9, 0, tzinfo=dt.UTC)


@dataclass
class Counter:
    """A partner under contract, and the grants its holders redeem from, per month."""

    partner: Partner
    place: Location
    contract: Contract
    unit: str
    grants: list[Grant]

    def __repr__(self) -> str:
        return f"Counter({self.contract.tariff_kind})"


@dataclass
class Source:
    """A redemption or a reversal as the test made it: its partner, month and price."""

    key: str
    partner_id: int
    month: int
    amount: int


class SettlementMachine(RuleBasedStateMachine):
    session: Session

    def __init__(self) -> None:
        super().__init__()
        self.savepoint = self.session.begin_nested()
        self.counters: list[Counter] = []
        self.redemptions: list[tuple[Redemption, Counter]] = []
        self.sources: dict[str, Source] = {}
        #: source key -> the run that settled it, as the test works it out
        self.settled: dict[str, int] = {}
        self.month = 0
        self.now = dt.datetime(2026, 6, 3, 10, 0, tzinfo=dt.UTC)

    @initialize()
    def partners(self) -> None:
        s = self.session
        budget = child_budget(s, 300_00)
        monthly = {
            code: [
                monthly_grant(s, code, p, today=dt.date(2026, 6 + m, 1))
                for m, p in enumerate(PERIODS[:3])
            ]
            for code in MONTHLY
        }
        for code, kind, tariff, name, grants in (
            ("stadsfonds", "amount_redeemed", None, "Sportclub", [budget] * 3),
            ("menstruatie", "per_unit", 4_99, "Drogist", monthly["menstruatie"]),
            ("supermarkt", "discount_reimbursed", 7_500, "Buurtsuper", monthly["supermarkt"]),
        ):
            partner, place = contracted(s, code, kind, tariff, name=name)
            [contract] = s.scalars(select(Contract).where(Contract.partner_id == partner.id))
            self.counters.append(Counter(partner, place, contract, grants[0].scheme.unit, grants))

    def tick(self) -> dt.datetime:
        self.now += dt.timedelta(hours=1)
        return self.now

    def price(self, counter: Counter, quantity: int) -> int:
        priced = price(counter.contract, counter.unit, quantity)
        assert priced is not None
        return priced

    @rule(data=st.data())
    def redeem(self, data: st.DataObject) -> None:
        if self.month > 2:
            return
        counter = data.draw(st.sampled_from(self.counters))
        grant = counter.grants[self.month]
        left = ledger.balance_of(self.session, grant.account) if grant.account else 0
        if left <= 0:
            return
        amount = data.draw(st.integers(1, min(left, 9)) | st.integers(1, left))
        redemption = redeem_at(
            self.session, grant, counter.partner, counter.place, amount, self.tick()
        )
        self.redemptions.append((redemption, counter))
        key = f"redemption:{redemption.id}"
        pid = counter.partner.id
        self.sources[key] = Source(key, pid, self.month, self.price(counter, amount))

    @rule(data=st.data())
    def reverse(self, data: st.DataObject) -> None:
        open_ = [(r, c) for r, c in self.redemptions if r.reversed < r.amount]
        if not open_:
            return
        redemption, counter = data.draw(st.sampled_from(open_))
        room = redemption.amount - redemption.reversed
        amount = data.draw(st.integers(1, room))
        # What the partner keeps is priced as a whole: a reversal takes back the difference.
        before = self.price(counter, room)
        booking.reverse(self.session, redemption, amount, actor=TEST_ACTOR, now=self.tick())
        self.session.refresh(redemption)
        newest = self.session.scalar(
            select(func.max(Reversal.id)).where(Reversal.redemption_id == redemption.id)
        )
        key = f"reversal:{newest}"
        kept = self.price(counter, room - amount)
        self.sources[key] = Source(key, counter.partner.id, self.month, kept - before)

    @rule()
    def next_month(self) -> None:
        if self.month < 3:
            self.month += 1
            self.now = second_of(self.month)

    def unsettled(self, before_month: int) -> dict[int, list[Source]]:
        """The test's own idea of what a run for the month before ``before_month`` collects."""
        by_partner: dict[int, list[Source]] = defaultdict(list)
        for source in self.sources.values():
            if source.month < before_month and source.key not in self.settled:
                by_partner[source.partner_id].append(source)
        return by_partner

    def prepare(self, month: int) -> SettlementRun | None:
        """A run for ``PERIODS[month]``; checked against what the test expects it to hold."""
        expected = self.unsettled(month + 1)
        totals = {pid: sum(s.amount for s in ss) for pid, ss in expected.items()}
        try:
            run, held = runs.prepare(
                self.session, period=PERIODS[month], actor=PREPARER, now=self.tick()
            )
        except NothingToSettle:
            assert all(total <= 0 for total in totals.values()), totals
            return None
        assert {p.partner_id: p.amount for p in run.payments} == {
            pid: total for pid, total in totals.items() if total > 0
        }
        assert {(h.partner_id, h.reason, h.amount) for h in held} == {
            (pid, HoldReason.total_not_positive, total)
            for pid, total in totals.items()
            if total <= 0
        }
        for pid, sources in expected.items():
            if totals[pid] > 0:
                self.settled.update((source.key, run.id) for source in sources)
        return run

    def runs_in(self, *states: RunStatus) -> list[int]:
        return list(
            self.session.scalars(
                select(SettlementRun.id)
                .where(SettlementRun.status.in_(states))
                .order_by(SettlementRun.id)
            )
        )

    @rule(data=st.data())
    def settle(self, data: st.DataObject) -> None:
        if self.month == 0:
            return
        self.prepare(data.draw(st.integers(0, self.month - 1)))

    @rule(data=st.data())
    def approve(self, data: st.DataObject) -> None:
        drafts = self.runs_in(RunStatus.draft)
        if not drafts:
            return
        run = runs.get_run(self.session, data.draw(st.sampled_from(drafts)))
        if data.draw(st.booleans()):
            try:
                runs.approve(self.session, run.id, actor=PREPARER, now=self.tick())
            except OwnRunApproval:
                pass
            else:
                raise AssertionError("the preparer approved their own run")
        runs.approve(
            self.session, run.id, actor=APPROVER, now=self.tick(), expected_hash=run.lines_hash
        )

    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        open_ = self.runs_in(RunStatus.draft, RunStatus.approved)
        if open_:
            run_id = data.draw(st.sampled_from(open_))
            runs.cancel(self.session, run_id, actor=APPROVER, now=self.tick())
            self.settled = {k: r for k, r in self.settled.items() if r != run_id}

    @rule(data=st.data())
    def pay(self, data: st.DataObject) -> None:
        approved = self.runs_in(RunStatus.approved)
        if not approved:
            return
        now = self.tick()
        made = paying.sepa_file(
            self.session, data.draw(st.sampled_from(approved)), debtor=DEBTOR,
            schema="pain.001.001.09", execution_date=now.date() + dt.timedelta(days=1),
            actor=APPROVER, now=now,
        )  # fmt: skip
        assert made is not None  # every partner here is paid by SEPA

    @rule(data=st.data())
    def confirm(self, data: st.DataObject) -> None:
        paid = self.runs_in(RunStatus.paid_out)
        if paid:
            paying.confirm(
                self.session, data.draw(st.sampled_from(paid)), actor=APPROVER, now=self.tick()
            )

    @invariant()
    def each_source_once_at_its_price_and_the_ledger_balances(self) -> None:
        if not self.counters:
            return
        s = self.session
        lines = s.execute(
            select(
                SettlementLine.run_id, SettlementLine.partner_id, SettlementLine.amount,
                SettlementLine.sources, SettlementLine.payment_id, SettlementRun.status,
            ).join(SettlementRun, SettlementRun.id == SettlementLine.run_id)
        ).all()  # fmt: skip
        assert RunStatus.cancelled not in {line.status for line in lines}
        # (1) each run's lines per partner are the sources it settled, at their prices: one
        # source in two runs would be counted (and paid) twice
        found: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
        for line in lines:
            found[(line.run_id, line.partner_id)][0] += line.sources
            found[(line.run_id, line.partner_id)][1] += line.amount
        wanted: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
        for key, run_id in self.settled.items():
            wanted[(run_id, self.sources[key].partner_id)][0] += 1
            wanted[(run_id, self.sources[key].partner_id)][1] += self.sources[key].amount
        assert found == wanted
        # (3) nothing paid at zero or below; a payment is its lines; a run is its payments
        by_payment: dict[int, int] = defaultdict(int)
        for line in lines:
            by_payment[line.payment_id] += line.amount
        payments = s.execute(
            select(SettlementPayment, SettlementRun.status).join(
                SettlementRun, SettlementRun.id == SettlementPayment.run_id
            )
        ).all()
        by_run: dict[int, int] = defaultdict(int)
        for payment, _ in payments:
            assert payment.amount > 0
            assert payment.amount == by_payment[payment.id]
            by_run[payment.run_id] += payment.amount
        for run in s.scalars(select(SettlementRun)):
            if run.status != RunStatus.cancelled:
                assert run.total == by_run[run.id]
        # (4) the ledger balances; owed is what is approved and not sent; in transit what is sent
        assert ledger.find_drift(s) == []
        assert set(ledger.unit_totals(s).values()) <= {0}
        owed: dict[int, int] = defaultdict(int)
        in_transit = 0
        for payment, status in payments:
            if status == RunStatus.approved and payment.status == PaymentStatus.pending:
                owed[payment.partner_id] += payment.amount
            if payment.status == PaymentStatus.sent:
                in_transit += payment.amount
        for counter in self.counters:
            pid = counter.partner.id
            account = ledger.get_account(s, f"owed:partner:{pid}")
            assert (0 if account is None else ledger.balance_of(s, account)) == owed[pid]
        transit = ledger.get_account(s, IN_TRANSIT)
        assert (0 if transit is None else ledger.balance_of(s, transit)) == in_transit

    def settle_everything(self) -> None:
        """Approve what is left in draft, then prepare and approve every month in turn."""
        self.now = dt.datetime(2026, 10, 2, 9, 0, tzinfo=dt.UTC)
        for run_id in self.runs_in(RunStatus.draft):
            runs.approve(self.session, run_id, actor=APPROVER, now=self.tick())
        for month in range(len(PERIODS)):
            run = self.prepare(month)
            if run is not None:
                runs.approve(self.session, run.id, actor=APPROVER, now=self.tick())
        self.each_source_once_at_its_price_and_the_ledger_balances()
        # Exactly once: every source is in a line, but those of a partner held back because
        # what it has open adds up to zero or less; those are still open, all of them.
        for pid, open_ in self.unsettled(len(PERIODS)).items():
            assert sum(s.amount for s in open_) <= 0, (pid, open_)
        open_keys = {s.key for ss in self.unsettled(len(PERIODS)).values() for s in ss}
        assert set(self.settled) | open_keys == set(self.sources)
        # Per partner: its lines and what it has open are what was redeemed minus given back.
        for counter in self.counters:
            pid = counter.partner.id
            settled = self.session.scalar(
                select(func.coalesce(func.sum(SettlementLine.amount), 0)).where(
                    SettlementLine.partner_id == pid
                )
            )
            still_open = sum(s.amount for s in self.unsettled(len(PERIODS)).get(pid, []))
            kept = sum(
                self.price(counter, r.amount - r.reversed)
                for r, c in self.redemptions
                if c is counter
            )
            assert settled + still_open == kept

    def teardown(self) -> None:
        try:
            if self.counters:
                self.settle_everything()
        finally:
            self.savepoint.rollback()
            # SQLite hands out rolled-back ids again; forget the objects that had them.
            self.session.expunge_all()


def test_any_sequence_of_redemptions_reversals_and_runs_settles_each_source_once(
    reference: Session,
) -> None:
    SettlementMachine.session = reference
    case = SettlementMachine.TestCase
    case.settings = settings(
        max_examples=30,
        database=None,
        stateful_step_count=20,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    case().runTest()
