"""The crash tests' world: committed partners, redemptions and finance users on a database of
their own, the real ``almerepas settle`` CLI as a subprocess, table locks to stop it inside its
transaction, and the checks that every redemption was settled and paid exactly once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask
from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from almerepas.audit.log import Actor
from almerepas.audit.models import AuditEvent
from almerepas.contracts.models import PayoutMethod
from almerepas.core.db import make_engine
from almerepas.ledger import posting as ledger
from almerepas.ledger.models import JournalEntry
from almerepas.redemptions.models import Redemption
from almerepas.reference.loaders import load_norms, load_postcodes, load_schemes
from almerepas.settlements import paying, runs, windows
from almerepas.settlements.calendar import next_execution_date
from almerepas.settlements.models import (
    PaymentStatus,
    PayoutFile,
    RunStatus,
    SettlementLine,
    SettlementPayment,
    SettlementRun,
)
from almerepas.settlements.payouts import Debtor
from almerepas.settlements.stripe_connect import StripeConnect
from tests.conftest import Backend
from tests.factories import TEST_SECRET_KEY, make_staff
from tests.redemptions.support import child_budget
from tests.settlements.stripe_fake import API_KEY, StripeFake
from tests.settlements.support import JULY, contracted, redeem_at

ROOT = Path(__file__).resolve().parents[2]
CLI = Path(sys.executable).with_name("almerepas")
#: how the subprocess's database sessions show in pg_stat_activity
APP_NAME = "almerepas-crash-test"
PERIOD = "2026-06"
PREPARER = Actor("staff:fien", role="finance")
APPROVER = Actor("staff:ahmed", role="finance")
DEBTOR = Debtor("Gemeente Almere", "NL12BNGH0285010000", "BNGHNL2G")
#: (name, payout method, Stripe account, redemptions in cents)
PARTNERS = (
    ("Zwemclub De Hoven", "sepa", None, (12_50, 7_25)),
    ("Muziekschool Poort", "sepa", None, (30_00,)),
    ("Judo Haven", "stripe", "acct_1CrashJudo", (15_00, 4_75, 9_99)),
    ("Dansstudio Buiten", "stripe", "acct_1CrashDans", (22_00,)),
)
WAIT = 20.0


@dataclass
class World:
    """One test's committed database, its Stripe fake, and what was put in it."""

    backend: Backend
    engine: Engine
    url: str
    fake: StripeFake
    workdir: Path
    partners: dict[str, int] = field(default_factory=dict)
    redemptions: dict[int, int] = field(default_factory=dict)  # redemption id -> partner id
    started: list[subprocess.Popen[str]] = field(default_factory=list)

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def env(self) -> dict[str, str]:
        """The subprocess's environment: this worktree's code, this database, this fake."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("ALMEREPAS_")}
        subprocess_url = make_url(self.url).update_query_dict({"application_name": APP_NAME})
        return {
            **env,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
            "ALMEREPAS_ENV": "test",
            "ALMEREPAS_DATABASE_URL": subprocess_url.render_as_string(hide_password=False),
            "ALMEREPAS_SECRET_KEY": TEST_SECRET_KEY,
            "ALMEREPAS_STRIPE_API_KEY": API_KEY,
            "ALMEREPAS_STRIPE_API_BASE": self.fake.url,
            # A command needs no rate limits; their in-memory store's timer thread keeps the
            # process from ending under libfaketime (the shifted-clock passes).
            "ALMEREPAS_RATE_LIMITS": "off",
            "COLUMNS": "160",
        }

    def settle(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``almerepas settle ...`` to its end; ``ok``: it must succeed."""
        return self.cli("settle", *args, ok=ok)

    def start(self, *args: str) -> subprocess.Popen[str]:
        """Start ``almerepas settle ...`` without waiting for it."""
        return self.start_cli("settle", *args)

    def cli(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``almerepas ...`` to its end; ``ok``: it must succeed."""
        done = subprocess.run(
            [str(CLI), *args], cwd=self.workdir, env=self.env(),
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        if ok:
            assert done.returncode == 0, done.stdout + done.stderr
        return done

    def start_cli(self, *args: str) -> subprocess.Popen[str]:
        """Start ``almerepas ...`` without waiting for it."""
        process = subprocess.Popen(
            [str(CLI), *args], cwd=self.workdir, env=self.env(),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        self.started.append(process)
        return process

    def stop_leftovers(self) -> None:
        """Kill what a failed test left running (only the processes this world started)."""
        for process in self.started:
            if process.poll() is None:
                process.kill()
                process.communicate(timeout=WAIT)

    def only_run(self) -> int:
        with self.session() as session:
            [run_id] = session.scalars(select(SettlementRun.id))
            return run_id

    # -- holding the subprocess inside its transaction ----------------------------------------

    @contextmanager
    def locked(self, table: str) -> Iterator[None]:
        """Hold ``table`` in EXCLUSIVE mode (reads pass, writes wait) as the schema's owner."""
        engine = make_engine(self.backend.owner_url(self.url))
        try:
            with engine.connect() as conn:
                conn.execute(text(f"LOCK TABLE {table} IN EXCLUSIVE MODE"))
                yield
                conn.rollback()
        finally:
            engine.dispose()

    def wait_until_blocked(self, process: subprocess.Popen[str]) -> None:
        """Until the subprocess's transaction waits for a lock (it wrote what came before)."""
        self._wait(
            process,
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = :name"
            " AND wait_event_type = 'Lock'",
        )

    def wait_until_waiting(self, sessions: int) -> None:
        """Until this many sessions on the database (of any process) wait for a lock."""
        deadline = time.monotonic() + WAIT
        sql = (
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND datname = current_database()"
        )
        while self._count(sql) < sessions:
            assert time.monotonic() < deadline, "they never both waited"
            time.sleep(0.05)

    def written(self) -> set[str]:
        """The tables the subprocess's open transaction has written to (holds a write lock on)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT DISTINCT c.relname FROM pg_locks l"
                    " JOIN pg_stat_activity a ON a.pid = l.pid"
                    " JOIN pg_class c ON c.oid = l.relation"
                    " WHERE a.application_name = :name AND l.granted"
                    " AND l.mode = 'RowExclusiveLock' AND c.relkind = 'r'"
                ),
                {"name": APP_NAME},
            )
            return {name for (name,) in rows}

    def wait_until_gone(self) -> None:
        """Until PostgreSQL has ended the killed process's session (and rolled it back)."""
        deadline = time.monotonic() + WAIT
        while self._count("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name"):
            assert time.monotonic() < deadline, "the killed process's session is still there"
            time.sleep(0.05)

    def _wait(self, process: subprocess.Popen[str], sql: str) -> None:
        deadline = time.monotonic() + WAIT
        while not self._count(sql):
            if process.poll() is not None:
                raise AssertionError(f"it ended before it blocked:\n{process.communicate()[0]}")
            assert time.monotonic() < deadline, "the subprocess never blocked"
            time.sleep(0.05)

    def _count(self, sql: str) -> int:
        with self.engine.connect() as conn:
            return int(conn.scalar(text(sql), {"name": APP_NAME}) or 0)


def wait_for(what: Callable[[], bool], process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + WAIT
    while not what():
        if process.poll() is not None:
            raise AssertionError(f"it ended too soon:\n{process.communicate()[0]}")
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.05)


def kill(process: subprocess.Popen[str]) -> None:
    """SIGKILL: no handler, no rollback, no goodbye to the database or to Stripe."""
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=WAIT)
    assert process.returncode == -signal.SIGKILL


def make_world(
    app: Flask, backend: Backend, fresh_engine: Engine, fake: StripeFake, workdir: Path
) -> World:
    """Four partners (two paid by SEPA, two by Stripe) with June redemptions, two finance users."""
    world = World(
        backend=backend,
        engine=fresh_engine,
        url=fresh_engine.url.render_as_string(hide_password=False),
        fake=fake,
        workdir=workdir,
    )
    with app.test_request_context(), world.session() as session:
        load_postcodes(session)
        load_norms(session)
        load_schemes(session)
        grant = child_budget(session)
        for name, method, account, amounts in PARTNERS:
            partner, place = contracted(
                session, "stadsfonds", name=name, payout_method=method, stripe_account=account
            )
            world.partners[name] = partner.id
            if account:
                fake.add_account(account)
            for amount in amounts:
                world.redemptions[redeem_at(session, grant, partner, place, amount).id] = partner.id
        for actor in (PREPARER, APPROVER):
            make_staff(session, "finance", username=actor.name.removeprefix("staff:"))
        session.commit()
    return world


# -- the steps, in this process, for what a test does not kill --------------------------------


def prepare(world: World) -> int:
    with world.session() as session:
        run, _ = runs.prepare(session, period=PERIOD, actor=PREPARER, now=JULY)
        session.commit()
        return run.id


def approve(world: World, run_id: int) -> None:
    with world.session() as session:
        runs.approve(session, run_id, actor=APPROVER, now=JULY)
        session.commit()


def export(world: World, run_id: int) -> None:
    with world.session() as session:
        paying.sepa_file(
            session, run_id, debtor=DEBTOR, schema="pain.001.001.09",
            execution_date=next_execution_date(JULY.date()), actor=APPROVER, now=JULY,
        )  # fmt: skip
        session.commit()


def pay(world: World, run_id: int) -> None:
    """What ``settle pay`` does: one transfer at a time, each booked in its own transaction."""
    gateway = StripeConnect(API_KEY, api_base=world.fake.url)
    with world.session() as session:
        group, due = paying.stripe_due(session, run_id)
        session.rollback()
        for item in due:
            transfer = gateway.pay(item.line, transfer_group=group, attempt=item.attempt)
            paying.record_transfer(
                session, item.line.payment_id, transfer.id, actor=APPROVER, now=JULY
            )
            session.commit()


def confirm(world: World, run_id: int) -> None:
    with world.session() as session:
        paying.confirm(session, run_id, actor=APPROVER, now=JULY)
        session.commit()


def finish(world: World, run_id: int) -> None:
    """Take the run from wherever it is to confirmed."""
    with world.session() as session:
        status = session.get_one(SettlementRun, run_id).status
    if status == RunStatus.draft:
        approve(world, run_id)
    if status in (RunStatus.draft, RunStatus.approved):
        export(world, run_id)
        pay(world, run_id)
    if status != RunStatus.confirmed:
        confirm(world, run_id)


# -- exactly once ------------------------------------------------------------------------------


def entries(session: Session, natural_key: str) -> int:
    query = select(func.count()).select_from(JournalEntry)
    return session.scalar(query.where(JournalEntry.natural_key == natural_key)) or 0


def audited(session: Session, action: str) -> int:
    query = select(func.count()).select_from(AuditEvent)
    return session.scalar(query.where(AuditEvent.action == action)) or 0


def balance(session: Session, code: str) -> int:
    account = ledger.get_account(session, code)
    return 0 if account is None else ledger.balance_of(session, account)


def assert_books_balance(session: Session) -> None:
    assert ledger.find_drift(session) == []
    assert set(ledger.unit_totals(session).values()) <= {0}


def assert_settled_once(world: World, run_id: int) -> None:
    """Every redemption counted in the run's lines once, in one window of its partner; each
    partner's payment their sum."""
    with world.session() as session:
        lines = session.scalars(select(SettlementLine)).all()
        assert {line.run_id for line in lines} == {run_id}
        counted: Counter[int] = Counter()
        for line in lines:
            counted[line.partner_id] += line.sources
        assert counted == Counter(world.redemptions.values())
        spans = windows.of_run(session, run_id)
        for redemption_id, partner_id in world.redemptions.items():
            at = session.get_one(Redemption, redemption_id).created_at
            mine = [s for s in spans if s.partner_id == partner_id]
            assert sum(s.starts_at <= at < s.ends_at for s in mine) == 1
        payments = session.scalars(select(SettlementPayment)).all()
        assert sorted(p.partner_id for p in payments) == sorted(world.partners.values())
        for payment in payments:
            mine = [line for line in lines if line.partner_id == payment.partner_id]
            assert payment.amount == sum(line.amount for line in mine)
            assert {line.payment_id for line in mine} == {payment.id}
        run = session.get_one(SettlementRun, run_id)
        assert run.total == sum(p.amount for p in payments)
        assert audited(session, "settlements.prepare") == 1
        assert_books_balance(session)


def assert_paid_once(world: World, run_id: int, *, confirmed: bool = True) -> None:
    """Each payment paid exactly once: one SEPA file, one Stripe transfer each, books at zero."""
    assert_settled_once(world, run_id)
    with world.session() as session:
        run = session.get_one(SettlementRun, run_id)
        assert run.status == (RunStatus.confirmed if confirmed else RunStatus.paid_out)
        done = PaymentStatus.confirmed if confirmed else PaymentStatus.sent
        payments = session.scalars(select(SettlementPayment)).all()
        assert {p.status for p in payments} == {done}
        [sepa_file] = session.scalars(select(PayoutFile)).all()
        sepa = [p for p in payments if p.method == PayoutMethod.sepa]
        stripe = [p for p in payments if p.method == PayoutMethod.stripe]
        assert len(sepa) == 2 and len(stripe) == 2
        for payment in sepa:
            assert payment.payout_file_id == sepa_file.id
            tag = f"<EndToEndId>{payment.end_to_end_id}</EndToEndId>".encode()
            assert sepa_file.content.count(tag) == 1
        assert sepa_file.content.count(b"<EndToEndId>") == len(sepa)
        assert len(world.fake.transfers) == len(stripe)
        for payment in stripe:
            [transfer] = world.fake.transfers_for(payment.id)
            assert transfer["amount"] == payment.amount
            assert transfer["destination"] == payment.stripe_account
            assert payment.stripe_transfer_id == transfer["id"]
            assert entries(session, f"payout:stripe:{payment.id}") == 1
        assert audited(session, "settlements.stripe_transfer") == len(stripe)
        assert entries(session, f"settlement:approve:{run_id}") == 1
        assert entries(session, f"payout:sepa:{run_id}") == 1
        assert audited(session, "settlements.approve") == 1
        assert audited(session, "settlements.sepa_file") == 1
        for partner_id in world.partners.values():
            assert balance(session, f"owed:partner:{partner_id}") == 0
        assert balance(session, "clearing:payouts") == (0 if confirmed else run.total)
        if confirmed:
            assert entries(session, f"payout:confirm:{run_id}") == 1
            assert audited(session, "settlements.confirm") == 1
        assert_books_balance(session)
