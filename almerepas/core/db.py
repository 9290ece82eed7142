"""The database as the domain sees it: declarative base, type map, engines for both databases."""

from __future__ import annotations

import datetime as dt
import enum
import time
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    Engine,
    Enum,
    Integer,
    MetaData,
    create_engine,
    event,
    exc,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

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
            raise ValueError("naive datetime: pass an aware datetime (almerepas.core.clock.now())")
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


def make_engine(
    url: str, *, sqlite_busy_timeout_ms: int = 5000, connect_timeout_s: int = 5, **kwargs: Any
) -> Engine:
    """Create an engine with the settings our concurrency rules depend on.

    SQLite: WAL, foreign keys on, a busy timeout, and every transaction opened with
    ``BEGIN IMMEDIATE`` (a deferred transaction that reads and then writes can fail with
    SQLITE_BUSY at once, whatever the timeout). Read-only work may opt out with the execution
    option ``sqlite_begin="DEFERRED"``.
    """
    # An error's text (logged with its traceback) then never holds a bound value: no name, no
    # e-mail address, no BSN hash.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine, sqlite_busy_timeout_ms)
        return engine
    # A host that takes the connection and never answers must not hang a request.
    kwargs.setdefault("connect_args", {}).setdefault("connect_timeout", connect_timeout_s)
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _ping_after_idle(engine)
    return engine


#: A pooled connection unused for longer than this is pinged before it is handed out.
PING_AFTER_IDLE_S = 2.0


def _ping_after_idle(engine: Engine) -> None:
    """``pool_pre_ping``, but only for a connection that sat idle: a server that restarted or
    a connection a firewall dropped is found before a request uses it, while a busy pool (its
    connections back within milliseconds) saves a round trip on every request."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since <= PING_AFTER_IDLE_S:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # any failure: the pool retries with a new connection
            raise exc.DisconnectionError() from error
        if not alive:
            raise exc.DisconnectionError()


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


def str_enum(cls: type[enum.StrEnum], name: str, *, length: int = 20) -> Enum:
    """Store an enum by value as a string with a CHECK constraint, the same on both databases."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )
