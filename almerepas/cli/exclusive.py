"""One run of a periodic job at a time, across hosts: a second start does nothing and says so.

Both app servers may run the systemd timers (docs/scaling.md). A job holds a lock named after
itself while it runs; a start that finds it taken, on this host or another, prints one line and
exits 0, so its timer is not marked failed (docs/operations.md, Nightly and periodic jobs).

- **PostgreSQL**: a session-level advisory lock, ``pg_try_advisory_lock(key)``, on a connection
  of its own in autocommit (no transaction stays open for the job's length). The key is the
  first 8 bytes of the SHA-256 of ``almerepas job: <name>`` as a signed 64-bit integer: the same
  on every host and in every release. ``pg_advisory_unlock`` at the end, also when the job
  fails; should that fail too, the connection is thrown away and the server drops the lock with
  the session (as it does when the job's process dies).
- **SQLite** (one host by nature): ``flock`` on ``<database file>-job-<name>.lock``, beside the
  ``-wal`` and ``-shm`` files SQLite keeps there. systemd never starts a timer's job while it
  still runs, but a run by hand can meet the timer's; on SQLite the second writer would wait for
  the first one's transaction and fail with "database is locked". The kernel drops the lock when
  the process ends, however it ends. A database in memory has no second process: no lock.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ParamSpec

import click
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from almerepas.core.session import get_engine

P = ParamSpec("P")

TRY_LOCK = text("SELECT pg_try_advisory_lock(:key)")
UNLOCK = text("SELECT pg_advisory_unlock(:key)")


def job_key(name: str) -> int:
    """The job's advisory lock key: stable across hosts and releases, unlike ``hash()``."""
    digest = hashlib.sha256(f"almerepas job: {name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def lock_file(database: str, name: str) -> Path:
    """The job's lock file on SQLite, beside the database file."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return Path(f"{database}-job-{slug}.lock")


@contextmanager
def job_lock(engine: Engine, name: str) -> Iterator[bool]:
    """Hold the job's lock for the block; False, holding nothing, when another run has it."""
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine, job_key(name)) as taken:
            yield taken
        return
    database = engine.url.database
    if not database or database == ":memory:":
        yield True
        return
    with _file_lock(lock_file(database, name)) as taken:
        yield taken


@contextmanager
def _advisory_lock(engine: Engine, key: int) -> Iterator[bool]:
    conn = engine.connect()
    try:
        conn.execution_options(isolation_level="AUTOCOMMIT")
        if not conn.scalar(TRY_LOCK, {"key": key}):
            yield False
            return
        try:
            yield True
        finally:
            _unlock(conn, key)
    finally:
        conn.close()


def _unlock(conn: Connection, key: int) -> None:
    """Release the lock; if that fails, end the session, so the lock never stays in the pool."""
    try:
        released = bool(conn.scalar(UNLOCK, {"key": key}))
    except DBAPIError:
        released = False
    if not released:
        conn.invalidate()


@contextmanager
def _file_lock(path: Path) -> Iterator[bool]:
    with path.open("a") as handle:  # closing it, also on an exception, releases the lock
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True


def one_at_a_time(name: str) -> Callable[[Callable[P, None]], Callable[P, None]]:
    """Run the command only while it holds the job's lock; put it under ``@with_appcontext``."""

    def decorate(command: Callable[P, None]) -> Callable[P, None]:
        @functools.wraps(command)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> None:
            with job_lock(get_engine(), name) as taken:
                if not taken:
                    click.echo(
                        f"Deze taak (almerepas {name}) loopt al, op deze of een andere server; "
                        "niets gedaan."
                    )
                    return
                command(*args, **kwargs)

        return guarded

    return decorate
