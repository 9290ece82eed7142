"""Fixtures: every database test runs on SQLite and on PostgreSQL, in a rolled-back transaction.

PostgreSQL comes from ALMEREPAS_TEST_POSTGRES_URL, or from a throwaway cluster this session
starts (tests/pg_cluster.py) and stops by PID at the end, also when tests fail. Under CI=true a
missing PostgreSQL is an error, never a skip.
"""

from __future__ import annotations

import os
import shutil
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

pytest_plugins = ["tests.fixtures"]

PG_ENV = "ALMEREPAS_TEST_POSTGRES_URL"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
_pg_problem: str | None = None


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
    cluster = config.stash.get(_cluster_key, None)
    if cluster is not None:
        cluster.stop()
        os.environ.pop(PG_ENV, None)


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
    """One database product, with a pristine migrated template to copy fresh databases from."""

    name: str
    workdir: Path
    admin_url: str | None = None
    _template: str | None = None

    def _pg_admin(self, sql: str) -> None:
        engine = make_engine(str(self.admin_url), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(sql))
        engine.dispose()

    def empty_database(self) -> str:
        """The URL of a new, empty database."""
        name = f"almerepas_{_worker()}_{uuid.uuid4().hex[:10]}"
        if self.name == "sqlite":
            return f"sqlite:///{self.workdir / (name + '.sqlite3')}"
        self._pg_admin(f'CREATE DATABASE "{name}"')
        return (
            make_url(str(self.admin_url)).set(database=name).render_as_string(hide_password=False)
        )

    def template_url(self) -> str:
        if self._template is None:
            url = self.empty_database()
            engine = make_engine(url)
            migrate.upgrade(engine)
            engine.dispose()
            self._template = url
        return self._template

    def fresh_database(self) -> str:
        """A new database at the migration head, copied from the template (fast)."""
        template = self.template_url()
        if self.name == "sqlite":
            target = self.workdir / f"fresh_{uuid.uuid4().hex[:10]}.sqlite3"
            shutil.copyfile(make_url(template).database or "", target)
            return f"sqlite:///{target}"
        name = f"almerepas_{_worker()}_{uuid.uuid4().hex[:10]}"
        self._pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{make_url(template).database}"')
        return (
            make_url(str(self.admin_url)).set(database=name).render_as_string(hide_password=False)
        )


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
def make_app() -> Iterator[Callable[..., Flask]]:
    """Build apps on any database URL; their engines are disposed after the test."""
    apps: list[Flask] = []

    def build(database_url: str, **config: Any) -> Flask:
        app = create_app(
            {"ENV": "test", "DATABASE_URL": database_url, "TESTING": True, **TEST_KEYS, **config}
        )
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.extensions["almerepas.engine"].dispose()


@pytest.fixture
def app(
    make_app: Callable[..., Flask], database_url: str, session_factory: Callable[[], Session]
) -> Flask:
    app = make_app(database_url)
    app.extensions["almerepas.sessionmaker"] = session_factory
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
