"""Periodic jobs run one at a time across hosts (almerepas/cli/exclusive.py): a start that finds
its job running does nothing, says so and exits 0; the lock goes when the job ends, also when it
fails.

The lock is held here as another host would hold it, by the recipe docs/operations.md gives: on
PostgreSQL an advisory lock on another connection, keyed by the first 8 bytes of the SHA-256 of
``almerepas job: <name>``; on SQLite ``flock`` on ``<database file>-job-<name>.lock``.
"""

from __future__ import annotations

import fcntl
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
import pytest
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from almerepas.cli.exclusive import one_at_a_time
from almerepas.core import clock
from almerepas.outbox.models import Channel, MessageStatus
from almerepas.outbox.queue import queue
from tests.factories import KEYS
from tests.fixtures import FrozenClock


def documented_key(name: str) -> int:
    digest = hashlib.sha256(f"almerepas job: {name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def busy_line(name: str) -> str:
    return f"Deze taak (almerepas {name}) loopt al, op deze of een andere server; niets gedaan."


@contextmanager
def held_elsewhere(engine: Engine, name: str) -> Iterator[bool]:
    """Take the job's lock as another host (or process) would; yields whether it was free."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT")
            key = {"key": documented_key(name)}
            taken = bool(conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), key))
            try:
                yield taken
            finally:
                if taken:
                    conn.scalar(text("SELECT pg_advisory_unlock(:key)"), key)
        return
    path = Path(f"{engine.url.database}-job-{name.replace(' ', '-')}.lock")
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True


class JobBroke(Exception):
    """What a job that fails midway raises here."""


def free_elsewhere(engine: Engine, name: str) -> bool:
    with held_elsewhere(engine, name) as taken:
        return taken


def test_outbox_send_waits_its_turn_and_then_sends(
    app: Flask, db: Session, engine: Engine, frozen_clock: FrozenClock
) -> None:
    message = queue(db, channel=Channel.email, recipient="jan@example.nl", purpose="test",
                    subject="Test", body="Hallo", keys=KEYS, now=clock.now())  # fmt: skip
    db.commit()
    runner = app.test_cli_runner()

    with held_elsewhere(engine, "outbox send") as taken:
        assert taken
        busy = runner.invoke(args=["outbox", "send"])
    assert busy.exit_code == 0, busy.output
    assert busy.output.strip() == busy_line("outbox send")
    db.refresh(message)
    assert (message.status, message.attempts) == (MessageStatus.pending, 0)

    done = runner.invoke(args=["outbox", "send"])
    assert done.exit_code == 0, done.output
    assert done.output.strip() == "1 verstuurd, 0 later opnieuw, 0 mislukt"
    db.refresh(message)
    assert message.status == MessageStatus.sent
    assert free_elsewhere(engine, "outbox send")


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("outbox send", ["outbox", "send"]),
        ("reports refresh", ["reports", "refresh"]),
        ("passes expire", ["passes", "expire"]),
        ("applications prune", ["applications", "prune"]),
        ("renewals send", ["renewals", "send"]),
        ("outreach send", ["outreach", "send"]),
        # An unknown user is refused with exit 2 once it runs; waiting its turn comes first.
        (
            "settle prepare",
            ["settle", "prepare", "--period", "previous", "--as", "nobody", "--if-due"],
        ),
        ("backup", ["backup", "--out", "{tmp}/nightly.dump"]),
    ],
)
def test_every_timer_job_does_nothing_while_it_runs_elsewhere(
    app: Flask, engine: Engine, tmp_path: Path, name: str, args: list[str]
) -> None:
    args = [arg.format(tmp=tmp_path) for arg in args]
    with held_elsewhere(engine, name) as taken:
        assert taken
        result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == busy_line(name)  # no progress bar, no summary: nothing ran
    assert list(tmp_path.iterdir()) == []


def test_the_lock_is_held_while_the_job_runs_and_released_when_it_fails(
    app: Flask, engine: Engine
) -> None:
    seen: list[bool] = []

    @click.command("breaks")
    @with_appcontext
    @one_at_a_time("breaks")
    def breaks() -> None:
        seen.append(free_elsewhere(engine, "breaks"))
        raise JobBroke

    app.cli.add_command(breaks)
    runner = app.test_cli_runner()
    for _ in range(2):  # the second run finds the lock free again
        result = runner.invoke(args=["breaks"])
        assert isinstance(result.exception, JobBroke)
        assert result.exit_code == 1
    assert seen == [False, False]
    assert free_elsewhere(engine, "breaks")


@pytest.mark.postgres_only
def test_a_job_whose_lock_connection_is_cut_ends_cleanly_and_leaves_no_lock(
    app: Flask, engine: Engine
) -> None:
    """A restart or a firewall may end the lock's session while the job runs: the server drops
    the lock with it, and the job still ends as it would have, not with the failed unlock."""
    key = documented_key("cut")
    unsigned = key & 0xFFFF_FFFF_FFFF_FFFF

    @click.command("cut")
    @with_appcontext
    @one_at_a_time("cut")
    def cut() -> None:
        with engine.connect() as conn:
            ended = conn.scalar(
                text(
                    "SELECT bool_and(pg_terminate_backend(pid)) FROM pg_locks "
                    "WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database "
                    "WHERE datname = current_database()) AND classid = :high AND objid = :low "
                    "AND objsubid = 1"
                ),
                {"high": unsigned >> 32, "low": unsigned & 0xFFFF_FFFF},
            )
            conn.rollback()
        assert ended

    app.cli.add_command(cut)
    result = app.test_cli_runner().invoke(args=["cut"])
    assert result.exit_code == 0, result.exception
    assert free_elsewhere(engine, "cut")
    with app.extensions["almerepas.engine"].connect() as conn:  # the pool hands out live ones
        assert conn.scalar(text("SELECT 1")) == 1
