"""When PostgreSQL goes away the service says so at once (503 with a problem body, never a hang),
and when it comes back the service serves again by itself, without a restart."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.engine import make_url

from almerepas.core import db, migrate
from almerepas.core.db import make_engine
from tests.pg_cluster import Cluster, start_cluster

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def own_cluster(backend: object) -> Iterator[Cluster]:
    """A PostgreSQL of this test's own, to stop and start (never the suite's shared one)."""
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()


def _database(cluster: Cluster) -> str:
    admin = make_engine(cluster.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('CREATE DATABASE "outage"'))
    admin.dispose()
    url = make_url(cluster.url).set(database="outage").render_as_string(hide_password=False)
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


def test_a_stopped_database_is_a_quick_503_and_its_return_is_served(
    own_cluster: Cluster, make_app: Callable[..., Flask]
) -> None:
    client = make_app(_database(own_cluster)).test_client()
    assert client.get("/api/v1/health").status_code == 200

    own_cluster.pause()
    started = time.monotonic()
    down = client.get("/api/v1/health")
    assert time.monotonic() - started < 10
    assert down.status_code == 503
    assert down.get_json(force=True)["code"] == "database_unavailable"
    assert down.headers["Retry-After"]
    page = client.get("/aanbod", headers={"Accept": "text/html"})  # as a browser asks
    assert page.status_code == 503
    assert "text/html" in page.content_type
    assert "Probeer het" in page.get_data(as_text=True)

    own_cluster.resume()
    assert client.get("/api/v1/health").status_code == 200
    assert client.get("/aanbod").status_code == 200


def test_a_database_that_never_answers_is_a_503_not_a_hang(
    backend: object, make_app: Callable[..., Flask]
) -> None:
    """A server that takes the connection and then says nothing, as a hung host would."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        url = f"postgresql+psycopg://almerepas@127.0.0.1:{port}/almerepas"
        client = make_app(url, DATABASE_CONNECT_TIMEOUT=2).test_client()
        started = time.monotonic()
        response = client.get("/api/v1/health")
        assert time.monotonic() - started < 8
    assert response.status_code == 503
    assert response.get_json(force=True)["code"] == "database_unavailable"


def test_a_restart_while_the_app_was_idle_costs_no_request(
    own_cluster: Cluster, make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pooled connection that sat idle is pinged before use: after a restart nobody sees the
    503 of the dead connection (the busy pool, whose connections come back within the ping's
    idle time, skips the ping, and the next test shows what that costs)."""
    client = make_app(_database(own_cluster)).test_client()
    assert client.get("/api/v1/health").status_code == 200  # a connection now in the pool
    own_cluster.pause()
    own_cluster.resume()
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 0.0)  # as if it had sat idle for long
    assert client.get("/api/v1/health").status_code == 200


def test_a_restart_within_the_idle_time_costs_one_request(
    own_cluster: Cluster, make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the ping, the dead connection answers one request with the 503 that a counter
    device sends again; the pool is renewed by it and the next request is served."""
    client = make_app(_database(own_cluster)).test_client()
    assert client.get("/api/v1/health").status_code == 200
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 3600.0)  # busy: never idle long enough
    own_cluster.pause()
    own_cluster.resume()
    first = client.get("/api/v1/health")
    assert first.status_code == 503
    assert first.get_json(force=True)["code"] == "database_unavailable"
    assert client.get("/api/v1/health").status_code == 200
