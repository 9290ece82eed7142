"""The one unit of work: every request, command and batch commits here, once, with retry.

Domain operations take a session, flush and never commit. Whoever serves a request or runs a
command wraps its work in :func:`run_unit_of_work` (through ``@transactional`` for views and
commands, :func:`in_own_transaction` for what must be kept even when the caller fails): it
commits once on success, rolls back when the work raises, and runs the whole work again after a
PostgreSQL serialization failure or deadlock. A page that catches a refusal to show it as a form
error answers 400 and commits what it did do (the audit row of the household it showed): so an
operation that can be refused halfway is atomic itself (a savepoint), never the caller's care.

Reports may read a replica (``REPLICA_DATABASE_URL``): :func:`get_read_session` is a read-only
session on it, or the request's own session when there is none or it cannot be reached. Only
read-only report and export paths use it; every write goes through :func:`get_session`.

The only module in ``core`` that knows Flask: the request's session lives on ``flask.g``.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import random
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import Flask, current_app, g
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from almerepas.core.crypto import Keyring
from almerepas.core.db import make_engine
from almerepas.core.errors import DatabaseBusy, DatabaseUnavailable
from almerepas.core.replica import Freshness, freshness

P = ParamSpec("P")
R = TypeVar("R")

#: A step of a batch command returns what it did, e.g. "created" or "unchanged".
Step = tuple[str, Callable[[Session], str]]

#: PostgreSQL SQLSTATEs after which the whole unit of work may safely run again.
RETRYABLE_SQLSTATES = {"40001", "40P01"}
MAX_ATTEMPTS = 5
#: PostgreSQL SQLSTATEs that mean the server cannot be reached or is starting or stopping.
UNAVAILABLE_SQLSTATES = {"08000", "08001", "08003", "08006", "57P01", "57P02", "57P03"}
#: After the replica could not be reached, reports read the primary this long before trying it
#: again, so that a replica that is down costs one connect timeout, not one per request.
REPLICA_RETRY_S = 30.0

log = logging.getLogger(__name__)


def init_app_database(app: Flask) -> None:
    """Create the engine and session factory for an app; close the request session at teardown."""
    engine = make_engine(
        app.config["DATABASE_URL"],
        sqlite_busy_timeout_ms=app.config["SQLITE_BUSY_TIMEOUT_MS"],
        connect_timeout_s=app.config["DATABASE_CONNECT_TIMEOUT"],
    )
    app.extensions["almerepas.engine"] = engine
    app.extensions["almerepas.sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)
    app.extensions["almerepas.keys"] = Keyring.from_config(
        secret_key=app.config["SECRET_KEY"],
        encryption_keys=app.config.get("ENCRYPTION_KEYS") or [],
        hash_key=app.config.get("HASH_KEY"),
        argon2_profile=app.config.get("ARGON2_PROFILE", "rfc_9106_low_memory"),
    )

    if app.config.get("REPLICA_DATABASE_URL"):
        replica = make_engine(
            app.config["REPLICA_DATABASE_URL"],
            connect_timeout_s=app.config["DATABASE_CONNECT_TIMEOUT"],
        )
        app.extensions["almerepas.replica_engine"] = replica
        # Every transaction on it is READ ONLY, also when the URL names a primary by mistake.
        app.extensions["almerepas.replica_sessionmaker"] = sessionmaker(
            bind=replica.execution_options(postgresql_readonly=True), expire_on_commit=False
        )
        app.extensions["almerepas.replica_retry_at"] = 0.0

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        _close_read_session()
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


def get_session() -> Session:
    """The session of the current request or command; its unit of work commits it."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["almerepas.sessionmaker"]()
    session: Session = g.db_session
    return session


def get_read_session() -> Session:
    """The session reports and exports read through: the replica's, else the request's own.

    Read-only: never write through it (a replica refuses, so such a write fails loudly). When
    the replica cannot be reached the request reads the primary and the log says so.
    """
    if "db_read_session" not in g:
        g.db_read_session, g.db_freshness = _open_read_session()
    session: Session = g.db_read_session
    return session


def get_read_freshness() -> Freshness | None:
    """How fresh :func:`get_read_session` is; None when it is the primary's (current)."""
    get_read_session()
    fresh: Freshness | None = g.db_freshness
    return fresh


def _open_read_session() -> tuple[Session, Freshness | None]:
    maker = current_app.extensions.get("almerepas.replica_sessionmaker")
    if maker is None or time.monotonic() < current_app.extensions["almerepas.replica_retry_at"]:
        return get_session(), None
    session: Session = maker()
    max_lag = dt.timedelta(seconds=current_app.config["REPLICA_MAX_LAG"])
    try:
        return session, freshness(session, max_lag)
    except DBAPIError as exc:
        session.close()
        current_app.extensions["almerepas.replica_retry_at"] = time.monotonic() + REPLICA_RETRY_S
        # The driver's class only: its message may hold the host and the role.
        log.warning(
            "read replica unavailable (%s): reports read the primary for %d s",
            type(exc.orig).__name__,
            REPLICA_RETRY_S,
        )
        return get_session(), None


def _close_read_session() -> None:
    """End the replica's read-only transaction (a rollback: nothing was written)."""
    session = g.pop("db_read_session", None)
    g.pop("db_freshness", None)
    if session is not None and session is not g.get("db_session"):
        session.close()


def get_keys() -> Keyring:
    """The app's keys for personal data at rest, made from its configuration at start-up."""
    keys: Keyring = current_app.extensions["almerepas.keys"]
    return keys


def get_engine() -> Engine:
    engine: Engine = current_app.extensions["almerepas.engine"]
    return engine


def _sqlstate(exc: DBAPIError) -> str | None:
    return getattr(exc.orig, "sqlstate", None)


def _client_side_postgres_failure(exc: DBAPIError) -> bool:
    """psycopg's own failures to reach the server (refused, timed out, cut off) carry no
    SQLSTATE; everything the server itself says does."""
    return type(exc.orig).__module__.startswith("psycopg") and _sqlstate(exc) is None


def is_sqlite_busy(exc: BaseException) -> bool:
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)


def translate_db_error(exc: DBAPIError) -> Exception:
    """Turn a driver error that says 'try again later' into a 503 problem."""
    if is_sqlite_busy(exc):
        return DatabaseBusy()
    if isinstance(exc, OperationalError) and (
        exc.connection_invalidated
        or _sqlstate(exc) in UNAVAILABLE_SQLSTATES
        or _client_side_postgres_failure(exc)
        or "unable to open database" in str(exc.orig)
    ):
        return DatabaseUnavailable()
    return exc


def run_unit_of_work(
    session: Session,
    work: Callable[[], R],
    *,
    dry_run: bool = False,
    keep_on: tuple[type[BaseException], ...] = (),
) -> R:
    """Run ``work`` and commit once; roll back when it raises, or for a dry run.

    :param keep_on: refusals that are themselves a change of state (a failed login counts
        towards the lock-out): commit what the work flushed, then raise them.

    PostgreSQL serialization failures and deadlocks run the whole work again with jittered
    backoff; this is safe because no unit of work talks to the outside world before it commits.
    """
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            try:
                result = work()
            except keep_on:
                session.commit()
                raise
            if dry_run:
                session.rollback()
            else:
                session.commit()
            return result
        except DBAPIError as exc:
            session.rollback()
            if _sqlstate(exc) in RETRYABLE_SQLSTATES and attempt < MAX_ATTEMPTS:
                time.sleep(random.uniform(0.01, 0.2) * attempt)  # noqa: S311 - jitter only
                continue
            raise translate_db_error(exc) from exc
        except BaseException:
            session.rollback()
            raise
    raise AssertionError("unreachable")  # pragma: no cover


def transactional(func: Callable[P, R]) -> Callable[P, R]:
    """Run a view or command as one unit of work on the request's session."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        def work() -> R:
            # A retry (a replica cancels a query that conflicts with replay: 40001) reads afresh.
            _close_read_session()
            return func(*args, **kwargs)

        return run_unit_of_work(get_session(), work)

    return wrapper


def in_own_transaction(
    work: Callable[[Session], R], *, keep_on: tuple[type[BaseException], ...] = ()
) -> R:
    """Run ``work`` in a session of its own, committed whatever happens to the request after.

    For what must be kept although the request itself is refused: a login attempt. The request's
    own session must hold no row locks the work needs.
    """
    session: Session = current_app.extensions["almerepas.sessionmaker"]()
    try:
        return run_unit_of_work(session, lambda: work(session), keep_on=keep_on)
    finally:
        session.close()
