"""A PostgreSQL database for a bench: ALMEREPAS_BENCH_POSTGRES_URL's server, or the test suite's
throwaway cluster (tests/pg_cluster.py: fsync off, stopped by its PID), with a fresh database."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import make_url

from almerepas.core.db import make_engine


@contextmanager
def postgres_server() -> Iterator[str]:
    """The admin URL of a server to bench on; a throwaway cluster is stopped on the way out."""
    admin = os.environ.get("ALMEREPAS_BENCH_POSTGRES_URL")
    if admin:
        yield admin
        return
    from tests.pg_cluster import start_cluster

    cluster = start_cluster()
    try:
        yield cluster.url
    finally:
        cluster.stop()


def fresh_database(admin: str, name: str) -> str:
    """The URL of database ``name`` on the server, dropped first if a run left it behind."""
    engine = make_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(admin).set(database=name).render_as_string(hide_password=False)
