"""Exactly once under failure: a real ``almerepas settle`` process killed with SIGKILL at each
step (docs/settlement.md, Failure recovery), then the step run again, pays every redemption
once: one line each, one SEPA file, one Stripe transfer per payment, and books that balance.

PostgreSQL only: the tests stop the process inside its transaction by holding a table lock it
needs next (EXCLUSIVE: its reads pass, its next write waits), see in pg_stat_activity that it
waits, and kill it there. SQLite has one writer and no table lock to stop a step at a
chosen write, so the tests are not collected for it (the postgres_only marker).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from almerepas.core.errors import DomainError
from almerepas.settlements import runs, windows
from almerepas.settlements.errors import PayoutUnavailable, RunWrongState
from almerepas.settlements.models import (
    PaymentStatus,
    PayoutFile,
    RunStatus,
    SettlementHold,
    SettlementLine,
    SettlementPayment,
    SettlementRun,
)
from tests.conftest import Backend
from tests.settlements.crash_support import (
    PERIOD,
    PREPARER,
    World,
    approve,
    assert_paid_once,
    assert_settled_once,
    audited,
    balance,
    confirm,
    entries,
    export,
    finish,
    kill,
    make_world,
    pay,
    prepare,
    wait_for,
)
from tests.settlements.stripe_fake import StripeFake
from tests.settlements.support import JULY

TRANSFERS = "/v1/transfers"
#: SQLite has no row locks to hold a step inside its transaction with; see the module docstring
pytestmark = pytest.mark.postgres_only


@pytest.fixture
def world(
    request: pytest.FixtureRequest,
    app: Flask,
    backend: Backend,
    stripe_fake: StripeFake,
    tmp_path: Path,
) -> Iterator[World]:
    fresh_engine: Engine = request.getfixturevalue("fresh_engine")
    made = make_world(app, backend, fresh_engine, stripe_fake, tmp_path)
    try:
        yield made
    finally:
        made.stop_leftovers()
        stripe_fake.release()


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def requests(fake: StripeFake, method: str) -> int:
    return sum(1 for m, path in fake.requests if m == method and path.startswith(TRANSFERS))


def test_killed_while_preparing_nothing_is_kept_and_prepare_again_settles_each_once(
    world: World,
) -> None:
    with world.locked("settlement_line"):
        process = world.start("prepare", "--period", PERIOD, "--as", "fien")
        world.wait_until_blocked(process)
        assert {"settlement_run", "settlement_payment"} <= world.written()
        kill(process)
    world.wait_until_gone()

    with world.session() as session:
        for model in (SettlementRun, SettlementPayment, SettlementHold, SettlementLine):
            assert count(session, model) == 0
        assert audited(session, "settlements.prepare") == 0

    world.settle("prepare", "--period", PERIOD, "--as", "fien")
    run_id = world.only_run()
    assert_settled_once(world, run_id)
    finish(world, run_id)
    assert_paid_once(world, run_id)


def test_killed_between_prepare_and_approve_and_while_approving(world: World) -> None:
    run_id = prepare(world)  # and the process ends: the draft waits, nothing is owed yet
    with world.session() as session:
        assert session.get_one(SettlementRun, run_id).status == RunStatus.draft
        assert all(balance(session, f"owed:partner:{p}") == 0 for p in world.partners.values())

    with world.locked("journal_entry"):
        process = world.start("approve", str(run_id), "--as", "ahmed")
        world.wait_until_blocked(process)
        assert "settlement_run" in world.written()  # its status was set to approved
        kill(process)
    world.wait_until_gone()

    with world.session() as session:
        run = session.get_one(SettlementRun, run_id)
        assert (run.status, run.approved_by, run.approval_entry_id) == (RunStatus.draft, None, None)
        assert entries(session, f"settlement:approve:{run_id}") == 0
        assert audited(session, "settlements.approve") == 0
        assert all(balance(session, f"owed:partner:{p}") == 0 for p in world.partners.values())

    world.settle("approve", str(run_id), "--as", "ahmed")
    with world.session() as session:
        run = session.get_one(SettlementRun, run_id)
        assert (run.status, run.approved_by) == (RunStatus.approved, "staff:ahmed")
        assert entries(session, f"settlement:approve:{run_id}") == 1
        for payment in run.payments:
            assert balance(session, f"owed:partner:{payment.partner_id}") == payment.amount
    assert_settled_once(world, run_id)
    finish(world, run_id)
    assert_paid_once(world, run_id)


def test_killed_while_the_sepa_file_is_made_no_file_and_nothing_sent(world: World) -> None:
    run_id = prepare(world)
    approve(world, run_id)
    out = world.workdir / "juni.xml"

    with world.locked("settlement_payment"):
        process = world.start("export", str(run_id), "--out", str(out), "--as", "ahmed")
        world.wait_until_blocked(process)
        assert "payout_file" in world.written()  # the file was stored, not yet committed
        kill(process)
    world.wait_until_gone()

    assert not out.exists()
    with world.session() as session:
        assert count(session, PayoutFile) == 0
        payments = session.scalars(select(SettlementPayment)).all()
        assert {p.status for p in payments} == {PaymentStatus.pending}
        assert entries(session, f"payout:sepa:{run_id}") == 0

    world.settle("export", str(run_id), "--out", str(out), "--as", "ahmed")
    with world.session() as session:
        [stored] = session.scalars(select(PayoutFile)).all()
        assert out.read_bytes() == stored.content
    pay(world, run_id)
    confirm(world, run_id)
    assert_paid_once(world, run_id)


def test_killed_between_two_stripe_transfers_the_rest_is_paid_once(world: World) -> None:
    run_id = prepare(world)
    approve(world, run_id)
    export(world, run_id)
    # the lookup before the second transfer hangs: the first is made and booked, the second not
    world.fake.arm("delay", "GET", TRANSFERS, skip=1, seconds=60)

    process = world.start("pay", str(run_id), "--as", "ahmed")
    wait_for(lambda: requests(world.fake, "GET") == 2, process)
    with world.session() as session:
        first, second = session.scalars(
            select(SettlementPayment)
            .where(SettlementPayment.stripe_account.is_not(None))
            .order_by(SettlementPayment.id)
        )
        assert first.status == PaymentStatus.sent
        assert (second.status, second.stripe_transfer_id) == (PaymentStatus.pending, None)
    kill(process)
    world.fake.release()
    world.fake.wait_idle()
    assert [t["metadata"]["payment_id"] for t in world.fake.transfers] == [str(first.id)]

    world.settle("pay", str(run_id), "--as", "ahmed")
    assert requests(world.fake, "POST") == 2
    confirm(world, run_id)
    assert_paid_once(world, run_id)


def test_killed_while_stripe_still_makes_a_transfer_it_is_paid_once(world: World) -> None:
    run_id = prepare(world)
    approve(world, run_id)
    export(world, run_id)
    # Stripe takes its time over the second transfer; it makes it after the process is gone
    world.fake.arm("delay", "POST", TRANSFERS, skip=1, seconds=60)

    process = world.start("pay", str(run_id), "--as", "ahmed")
    wait_for(lambda: requests(world.fake, "POST") == 2, process)
    kill(process)
    # paying again while Stripe still works on it: its key is busy, nothing is paid or booked
    with pytest.raises(PayoutUnavailable):
        pay(world, run_id)
    assert len(world.fake.transfers) == 1
    world.fake.release()
    world.fake.wait_idle()
    assert len(world.fake.transfers) == 2

    world.settle("pay", str(run_id), "--as", "ahmed")
    assert requests(world.fake, "POST") == 3  # the two, and the refused retry; nothing new
    confirm(world, run_id)
    assert_paid_once(world, run_id)


def test_killed_after_stripe_made_a_transfer_before_it_was_booked_it_is_found(
    world: World,
) -> None:
    run_id = prepare(world)
    approve(world, run_id)
    export(world, run_id)
    # Stripe makes the second transfer, and the answer never reaches the process
    world.fake.arm("stall_after_commit", "POST", TRANSFERS, skip=1, seconds=60)

    process = world.start("pay", str(run_id), "--as", "ahmed")
    wait_for(lambda: len(world.fake.transfers) == 2, process)
    kill(process)
    world.fake.release()
    world.fake.wait_idle()
    with world.session() as session:
        second = session.scalars(
            select(SettlementPayment)
            .where(SettlementPayment.stripe_account.is_not(None))
            .order_by(SettlementPayment.id.desc())
        ).first()
        assert second is not None
        assert (second.status, second.stripe_transfer_id) == (PaymentStatus.pending, None)
    assert len(world.fake.transfers_for(second.id)) == 1
    # days later: Stripe forgot the idempotency key, only the lookup can find the transfer
    world.fake.prune_keys()

    world.settle("pay", str(run_id), "--as", "ahmed")
    assert requests(world.fake, "POST") == 2  # booked what it found, made nothing new
    confirm(world, run_id)
    assert_paid_once(world, run_id)


def test_killed_while_confirming_it_is_confirmed_once(world: World) -> None:
    run_id = prepare(world)
    approve(world, run_id)
    export(world, run_id)
    pay(world, run_id)

    with world.locked("audit_event"):
        process = world.start("confirm", str(run_id), "--as", "ahmed")
        world.wait_until_blocked(process)
        assert {"settlement_run", "journal_entry", "settlement_payment"} <= world.written()
        kill(process)
    world.wait_until_gone()

    assert_paid_once(world, run_id, confirmed=False)
    world.settle("confirm", str(run_id), "--as", "ahmed")
    assert_paid_once(world, run_id)
    with pytest.raises(RunWrongState):
        confirm(world, run_id)
    assert_paid_once(world, run_id)


def _two_prepares_at_once(world: World) -> Counter[str]:
    outcomes: Counter[str] = Counter()
    start = threading.Barrier(2)

    def prepare_in_thread() -> None:
        start.wait(timeout=30)
        with Session(world.engine) as session:
            try:
                runs.prepare(session, period=PERIOD, actor=PREPARER, now=JULY)
                session.commit()
                outcomes["prepared"] += 1
            except DomainError as exc:
                session.rollback()
                outcomes[exc.code] += 1

    # the first waits for the lines' table, the second for the first
    with world.locked("settlement_line"):
        pool = [threading.Thread(target=prepare_in_thread) for _ in range(2)]
        for thread in pool:
            thread.start()
        world.wait_until_waiting(2)
    for thread in pool:
        thread.join(timeout=30)
    return outcomes


def test_two_prepares_at_once_settle_each_source_in_one_line(world: World) -> None:
    # The second waits until the first has committed its windows, and then finds nothing new.
    assert _two_prepares_at_once(world) == Counter({"prepared": 1, "settlement_nothing_new": 1})
    run_id = world.only_run()
    assert_settled_once(world, run_id)
    finish(world, run_id)
    assert_paid_once(world, run_id)


def test_two_prepares_that_read_the_same_gaps_cannot_both_be_kept(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without the lock both read the same gaps; their windows start at the same moment.
    monkeypatch.setattr(windows, "one_at_a_time", lambda session: None)
    assert _two_prepares_at_once(world) == Counter({"prepared": 1, "settlement_busy": 1})
    run_id = world.only_run()
    assert_settled_once(world, run_id)
