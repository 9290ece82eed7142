"""Database layer: declarative base, engine setup for SQLite and PostgreSQL, request sessions."""

from __future__ import annotations

import datetime as dt
import enum
import functools
import random
import time
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from flask import Flask, current_app, g
from sqlalchemy import BigInteger, DateTime, Engine, Enum, Integer, MetaData, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from almerepas.errors import DatabaseBusy, DatabaseUnavailable

#: One naming convention so that Alembic produces the same constraint names on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Store timestamps in UTC and hand back aware datetimes, also on SQLite."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware datetime (almerepas.clock.now())")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


#: 64-bit integers everywhere; on SQLite plain INTEGER, because only an INTEGER PRIMARY KEY is
#: an alias for the rowid and gets ids assigned (INTEGER is 64-bit there anyway).
BigInt = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {int: BigInt, dt.datetime: UTCDateTime}


def make_engine(url: str, *, sqlite_busy_timeout_ms: int = 5000, **kwargs: Any) -> Engine:
    """Create an engine with the settings our concurrency rules depend on.

    SQLite: WAL, foreign keys on, a busy timeout, and every transaction opened with
    ``BEGIN IMMEDIATE`` (a deferred transaction that reads and then writes can fail with
    SQLITE_BUSY at once, whatever the timeout). Read-only work may opt out with the execution
    option ``sqlite_begin="DEFERRED"``.
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine, sqlite_busy_timeout_ms)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when a transaction begins.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        if mode not in ("IMMEDIATE", "DEFERRED", "EXCLUSIVE"):
            raise ValueError(f"unknown sqlite_begin mode {mode!r}")
        conn.exec_driver_sql(f"BEGIN {mode}")


def str_enum(cls: type[enum.StrEnum], name: str) -> Enum:
    """Store an enum by value as a string with a CHECK constraint, the same on both databases."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


# -- sessions ---------------------------------------------------------------------------------


def init_app_database(app: Flask) -> None:
    """Create the engine and session factory for an app; close the request session at teardown."""
    engine = make_engine(
        app.config["DATABASE_URL"], sqlite_busy_timeout_ms=app.config["SQLITE_BUSY_TIMEOUT_MS"]
    )
    app.extensions["almerepas.engine"] = engine
    app.extensions["almerepas.sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


def get_session() -> Session:
    """The session of the current request or command; the caller that made it commits it."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["almerepas.sessionmaker"]()
    session: Session = g.db_session
    return session


def get_engine() -> Engine:
    engine: Engine = current_app.extensions["almerepas.engine"]
    return engine


# -- the commit point -------------------------------------------------------------------------

P = ParamSpec("P")
R = TypeVar("R")

#: PostgreSQL SQLSTATEs after which the whole unit of work may safely run again.
RETRYABLE_SQLSTATES = {"40001", "40P01"}
MAX_ATTEMPTS = 5
#: PostgreSQL SQLSTATEs that mean the server cannot be reached or is starting or stopping.
UNAVAILABLE_SQLSTATES = {"08000", "08001", "08003", "08006", "57P01", "57P02", "57P03"}


def _sqlstate(exc: DBAPIError) -> str | None:
    return getattr(exc.orig, "sqlstate", None)


def is_sqlite_busy(exc: BaseException) -> bool:
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)


def translate_db_error(exc: DBAPIError) -> Exception:
    """Turn a driver error that says 'try again later' into a 503 problem."""
    if is_sqlite_busy(exc):
        return DatabaseBusy()
    if isinstance(exc, OperationalError) and (
        exc.connection_invalidated
        or _sqlstate(exc) in UNAVAILABLE_SQLSTATES
        or "unable to open database" in str(exc.orig)
    ):
        return DatabaseUnavailable()
    return exc


def transactional(func: Callable[P, R]) -> Callable[P, R]:
    """Run a view or command as one unit of work: commit once on success, roll back on error.

    PostgreSQL serialization failures and deadlocks are retried with jittered backoff; this is
    safe because no unit of work talks to the outside world before it commits.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        session = get_session()
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                result = func(*args, **kwargs)
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

    return wrapper
