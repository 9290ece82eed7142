"""Fixtures: every database test runs on SQLite and on PostgreSQL, in a rolled-back transaction.

PostgreSQL comes from ALMEREPAS_TEST_POSTGRES_URL, or from a throwaway cluster this session
starts (tests/pg_cluster.py) and stops by PID at the end, also when tests fail. Under CI=true a
missing PostgreSQL is an error, never a skip.

On PostgreSQL the suite runs as production should (README, Configuration): the migrations run
as the role that owns the schema (``PG_OWNER``), and every app, session and engine of the tests
connects as the application role (``PG_APP``), which has row rights only and may only read and
add audit events. So the whole suite shows that the app needs no more.
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from almerepas import create_app
from almerepas.core import migrate
from almerepas.core.db import make_engine
from tests.factories import TEST_SECRET_KEY
from tests.pg_cluster import ClusterUnavailable, start_cluster

pytest_plugins = ["tests.fixtures", "tests.log_watch"]

PG_ENV = "ALMEREPAS_TEST_POSTGRES_URL"
#: The roles of the test databases on PostgreSQL: the schema's owner and the application.
PG_OWNER = "almerepas_test_owner"
PG_APP = "almerepas_test_app"
#: Ignored by the throwaway cluster (trust); lets the roles log in to a server that checks.
PG_ROLE_PASSWORD = "almerepas-test"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
_pg_problem: str | None = None


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        choices=("sqlite", "postgresql"),
        help="run the database tests on this database only (tests without one run as always)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test marked postgres_only is not collected for SQLite at all (never a skip); with
    --backend, a database test of the other database is not collected either."""
    only = config.getoption("--backend")
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("backend") if callspec is not None else None
        other = only is not None and backend is not None and backend != only
        postgres_only = backend == "sqlite" and item.get_closest_marker("postgres_only")
        (dropped if other or postgres_only else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_configure(config: pytest.Config) -> None:
    global _pg_problem
    if hasattr(config, "workerinput") or os.environ.get(PG_ENV):
        return
    try:
        cluster = start_cluster()
    except ClusterUnavailable as exc:
        if IN_CI:
            raise pytest.UsageError(f"CI=true needs PostgreSQL: {exc}") from exc
        _pg_problem = str(exc)
        return
    config.stash[_cluster_key] = cluster
    os.environ[PG_ENV] = cluster.url


def pytest_unconfigure(config: pytest.Config) -> None:
    _cancel_timers()
    cluster = config.stash.get(_cluster_key, None)
    if cluster is not None:
        cluster.stop()
        os.environ.pop(PG_ENV, None)


def _cancel_timers() -> None:
    """The rate limiter's in-memory storage starts a threading.Timer in every app; under
    libfaketime (the shifted-clock passes) such a timer's wait may never end, and the interpreter
    would wait for it at exit. Cancelling ends the wait at once."""
    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer):
            thread.cancel()


_cluster_key = pytest.StashKey[Any]()
#: Test apps use the keys of tests.factories.KEYS, whatever the developer's environment says.
TEST_KEYS: dict[str, object] = {
    "SECRET_KEY": TEST_SECRET_KEY,
    "ENCRYPTION_KEYS": [],
    "HASH_KEY": None,
}


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@dataclass
class Backend:
    """One database product, with a pristine migrated template to copy fresh databases from.

    On PostgreSQL a database is owned by ``PG_OWNER``; :meth:`fresh_database` hands out the URL
    of the application role ``PG_APP``, :meth:`owner_url` the owner's URL of the same database.
    SQLite has no roles: every URL is the file's.
    """

    name: str
    workdir: Path
    admin_url: str | None = None
    _template: str | None = None
    _roles_made: bool = False

    def _pg_admin(self, sql: str) -> None:
        engine = make_engine(str(self.admin_url), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(sql))
        engine.dispose()

    def _make_roles(self) -> None:
        """The two login roles, once per cluster (other sessions may have made them already)."""
        if self._roles_made:
            return
        for role in (PG_OWNER, PG_APP):
            self._pg_admin(
                f"DO $$ BEGIN CREATE ROLE {role} LOGIN PASSWORD '{PG_ROLE_PASSWORD}'; "
                "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
            )
        self._roles_made = True

    def _url(self, database: str, role: str) -> str:
        url = make_url(str(self.admin_url)).set(
            database=database, username=role, password=PG_ROLE_PASSWORD
        )
        return url.render_as_string(hide_password=False)

    def owner_url(self, url: str) -> str:
        """The same database, as the role that owns its schema and runs the migrations."""
        if self.name == "sqlite":
            return url
        return self._url(make_url(url).database or "", PG_OWNER)

    def app_url(self, url: str) -> str:
        """The same database, as the application role (row rights only)."""
        if self.name == "sqlite":
            return url
        return self._url(make_url(url).database or "", PG_APP)

    def empty_database(self) -> str:
        """The URL of a new, empty database, as its owner."""
        name = f"almerepas_{_worker()}_{uuid.uuid4().hex[:10]}"
        if self.name == "sqlite":
            return f"sqlite:///{self.workdir / (name + '.sqlite3')}"
        self._make_roles()
        self._pg_admin(f'CREATE DATABASE "{name}" OWNER {PG_OWNER}')
        return self._url(name, PG_OWNER)

    def template_url(self) -> str:
        """A database at the migration head (as its owner) that fresh databases are copied from."""
        if self._template is None:
            url = self.empty_database()
            engine = make_engine(url)
            migrate.upgrade(engine, app_role=PG_APP if self.name == "postgresql" else None)
            engine.dispose()
            self._template = url
        return self._template

    def fresh_database(self) -> str:
        """A new database at the migration head, copied from the template (fast), as the app."""
        template = self.template_url()
        if self.name == "sqlite":
            target = self.workdir / f"fresh_{uuid.uuid4().hex[:10]}.sqlite3"
            shutil.copyfile(make_url(template).database or "", target)
            return f"sqlite:///{target}"
        name = f"almerepas_{_worker()}_{uuid.uuid4().hex[:10]}"
        self._pg_admin(
            f'CREATE DATABASE "{name}" TEMPLATE "{make_url(template).database}" OWNER {PG_OWNER}'
        )
        return self._url(name, PG_APP)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Backend:
    workdir = tmp_path_factory.mktemp(request.param)
    if request.param == "sqlite":
        return Backend("sqlite", workdir)
    url = os.environ.get(PG_ENV)
    if not url:
        if IN_CI:
            pytest.fail(f"CI=true needs PostgreSQL: {_pg_problem}")
        pytest.skip(f"PostgreSQL not available here: {_pg_problem}")
    return Backend("postgresql", workdir, admin_url=url)


@pytest.fixture(scope="session")
def database_url(backend: Backend) -> str:
    """The shared test database of this backend, at the migration head."""
    return backend.fresh_database()


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Any]:
    """A connection in an outer transaction that is rolled back after the test."""
    conn = engine.connect()
    outer = conn.begin()
    yield conn
    outer.rollback()
    conn.close()


@pytest.fixture
def session_factory(connection: Any) -> Callable[[], Session]:
    """Sessions whose commits release a savepoint inside the test's outer transaction."""
    return sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture
def db(session_factory: Callable[[], Session]) -> Iterator[Session]:
    session = session_factory()
    yield session
    session.close()


@pytest.fixture
def owner_db(backend: Backend, database_url: str) -> Iterator[Session]:
    """A session as the schema's owner on the shared test database, rolled back after the test.

    For what the owner may do and the application role may not, such as proving that the audit
    log's triggers hold even for the owner. It does not see the rows of ``db`` (another
    connection); on SQLite it is just another connection to the same file.
    """
    engine = make_engine(backend.owner_url(database_url))
    conn = engine.connect()
    outer = conn.begin()
    session = Session(bind=conn, join_transaction_mode="create_savepoint")
    yield session
    session.close()
    outer.rollback()
    conn.close()
    engine.dispose()


@pytest.fixture
def make_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Flask]]:
    """Build apps on any database URL; their engines are disposed after the test.

    ``MIGRATION_DATABASE_URL`` is none unless given (the `db` commands then use the app's URL).
    """
    apps: list[Flask] = []

    def build(database_url: str, **config: Any) -> Flask:
        app = create_app(
            {
                "ENV": "test",
                "DATABASE_URL": database_url,
                "MIGRATION_DATABASE_URL": None,
                "TESTING": True,
                # Off unless a test turns them on (tests/http/test_limits.py): one test may log
                # in or scan more often than a person would in a minute.
                "RATELIMIT_ENABLED": False,
                # Messages without a mail server go to files here, not into the repository.
                "MAIL_DROP": str(tmp_path_factory.getbasetemp() / "mail"),
                **TEST_KEYS,
                **config,
            }
        )
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.extensions["almerepas.engine"].dispose()
        if "almerepas.replica_engine" in app.extensions:
            app.extensions["almerepas.replica_engine"].dispose()


@pytest.fixture
def app(
    make_app: Callable[..., Flask],
    backend: Backend,
    database_url: str,
    session_factory: Callable[[], Session],
) -> Flask:
    """The app on the shared test database; on PostgreSQL its `db` commands run as the owner."""
    owner_url = backend.owner_url(database_url)
    app = make_app(
        database_url, MIGRATION_DATABASE_URL=None if owner_url == database_url else owner_url
    )
    app.extensions["almerepas.sessionmaker"] = session_factory
    # Every session here shares the test's one connection: no sending thread may use it too.
    app.config["OUTBOX_HAND_OVER"] = "close"
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def fresh_engine(backend: Backend) -> Iterator[Engine]:
    """An engine on a database of its own, for tests that commit from several connections."""
    engine = (
        make_engine(backend.fresh_database(), pool_size=40, max_overflow=10)
        if (backend.name == "postgresql")
        else make_engine(backend.fresh_database())
    )
    yield engine
    engine.dispose()
