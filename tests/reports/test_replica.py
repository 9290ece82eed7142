"""Reports read from a PostgreSQL streaming replica (ALMEREPAS_REPLICA_DATABASE_URL), writes go
to the primary, and the pages say how fresh the replica is (docs/operations.md, "Read replica").

One hot standby of the test session's cluster for the module (tests/pg_cluster.py), stopped by
its PID. To prove a report reads the replica, its replay is paused: a change written through the
app is on the primary at once, and the report does not show it until replay resumes.
"""

from __future__ import annotations

import csv
import io
import logging
import time
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from almerepas.core import clock
from almerepas.core.db import make_engine
from almerepas.http.guard import SESSION_TOKEN_KEY
from almerepas.models import AuditEvent, Role, Scheme
from almerepas.reference.loaders import load_norms, load_postcodes, load_schemes
from almerepas.staff.tokens import issue_token
from tests.conftest import IN_CI, Backend
from tests.factories import make_staff, token_headers
from tests.fixtures import FrozenClock
from tests.pg_cluster import Cluster, ClusterUnavailable, _free_port, start_replica
from tests.reports.support import make_year
from tests.web.conftest import BROWSER_ACCEPT, main_of, page

pytestmark = pytest.mark.postgres_only

#: make_year's Stadsfonds budget, and what the administrator changes it to.
BUDGET, NEW_BUDGET = 2000_00, 3000_00


@pytest.fixture(scope="module")
def replica(backend: Backend) -> Iterator[Cluster]:
    """A streaming replica of the session's cluster, for this module only."""
    primary = make_url(str(backend.admin_url))
    try:
        standby = start_replica(primary.host or "127.0.0.1", primary.port or 5432)
    except ClusterUnavailable as exc:
        if IN_CI:
            pytest.fail(f"CI=true needs a replica: {exc}")
        pytest.skip(f"no replica here: {exc}")
    yield standby
    standby.stop()


@pytest.fixture(scope="module")
def year_url(backend: Backend) -> str:
    """A database of the module's own with make_year's figures, committed (the app role's URL)."""
    url = backend.fresh_database()
    engine = make_engine(url)
    with Session(engine) as session:
        load_postcodes(session)
        load_norms(session)
        load_schemes(session)
        make_year(session)
        session.commit()
    engine.dispose()
    return url


def _on(url: str, port: int) -> str:
    """The same database, as the same role, on another server (the replica)."""
    return make_url(url).set(port=port).render_as_string(hide_password=False)


@pytest.fixture
def admin(backend: Backend, replica: Cluster) -> Iterator[tuple[Engine, Engine]]:
    """Superuser engines on the primary and on the replica: replay, WAL positions."""
    primary = make_engine(str(backend.admin_url), isolation_level="AUTOCOMMIT")
    standby = make_engine(_on(str(backend.admin_url), replica.port), isolation_level="AUTOCOMMIT")
    yield primary, standby
    with standby.connect() as conn:  # never leave replay paused for the next test
        conn.execute(text("SELECT pg_wal_replay_resume()"))
    primary.dispose()
    standby.dispose()


@pytest.fixture
def replica_app(
    make_app: Callable[..., Flask], year_url: str, replica: Cluster, frozen_clock: FrozenClock
) -> Flask:
    return make_app(year_url, REPLICA_DATABASE_URL=_on(year_url, replica.port), REPLICA_MAX_LAG=0)


@pytest.fixture
def staff(replica_app: Flask, year_url: str) -> Iterator[Callable[[Role], dict[str, str]]]:
    """Bearer headers of a new staff member with the role, committed on the primary."""
    engine = make_engine(year_url)

    def headers(role: Role) -> dict[str, str]:
        with Session(engine) as session:
            user, _password, _secret = make_staff(session, role, app=replica_app)
            made = token_headers(session, user)
            session.commit()
        return made

    yield headers
    engine.dispose()


def _page_client(app: Flask, year_url: str, role: Role) -> FlaskClient:
    engine = make_engine(year_url)
    with Session(engine) as session:
        user, _password, _secret = make_staff(session, role, app=app)
        token = issue_token(session, user)
        session.commit()
    engine.dispose()
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT"] = BROWSER_ACCEPT
    with client.session_transaction() as cookie:
        cookie[SESSION_TOKEN_KEY] = token
    return client


def _wait(engine: Engine, sql: str, lsn: str) -> None:
    """Wait (at most 30 s) until the replica's WAL position in ``sql`` reaches ``lsn``."""
    for _ in range(600):
        with engine.connect() as conn:
            if conn.execute(text(f"SELECT {sql} >= CAST(:lsn AS pg_lsn)"), {"lsn": lsn}).scalar():
                return
        time.sleep(0.05)
    raise AssertionError(f"the replica did not reach {lsn} ({sql})")


def _primary_lsn(primary: Engine) -> str:
    """Where the primary's WAL ends: the insert position, since the test cluster commits
    asynchronously (synchronous_commit=off) and a commit may not be written out yet."""
    with primary.connect() as conn:
        return str(conn.execute(text("SELECT pg_current_wal_insert_lsn()")).scalar())


def _caught_up(primary: Engine, standby: Engine) -> None:
    _wait(standby, "pg_last_wal_replay_lsn()", _primary_lsn(primary))


def _pause(standby: Engine) -> None:
    with standby.connect() as conn:
        conn.execute(text("SELECT pg_wal_replay_pause()"))
        for _ in range(600):
            if conn.execute(text("SELECT pg_get_wal_replay_pause_state()")).scalar() == "paused":
                return
            time.sleep(0.05)
    raise AssertionError("replay did not pause")


def _budget(url: str) -> int | None:
    engine = make_engine(url)
    with Session(engine) as session:
        budget = session.scalar(select(Scheme.annual_budget).where(Scheme.code == "stadsfonds"))
    engine.dispose()
    return budget


def _report_budget(client: FlaskClient, headers: dict[str, str]) -> tuple[int, dict[str, object]]:
    body = client.get("/api/v1/reports/schemes?year=2026", headers=headers).get_json()
    fund = next(row for row in body["rows"] if row["scheme"] == "stadsfonds")
    return fund["annual_budget"], body


def _csv_budget(pages: FlaskClient) -> str:
    """The Stadsfonds's yearly budget in the schemes table's CSV file."""
    response = pages.get("/medewerkers/cijfers/regelingen.csv?jaar=2026")
    header, *rows = csv.reader(io.StringIO(response.text))
    fund = next(row for row in rows if row[0] == "stadsfonds")
    return fund[header.index("Jaarbudget")]


def test_a_report_reads_the_replica_and_says_when_it_is_behind(
    replica_app: Flask,
    year_url: str,
    replica: Cluster,
    admin: tuple[Engine, Engine],
    staff: Callable[[Role], dict[str, str]],
) -> None:
    primary, standby = admin
    client = replica_app.test_client()
    administrator, policy = staff(Role.administrator), staff(Role.policy)
    pages = _page_client(replica_app, year_url, Role.policy)
    _caught_up(primary, standby)
    budget, caught_up = _report_budget(client, policy)
    assert budget == BUDGET and caught_up["data_behind"] is False
    assert caught_up["data_as_of"] is not None

    _pause(standby)
    changed = client.patch(
        "/api/v1/schemes/stadsfonds", json={"annual_budget": NEW_BUDGET}, headers=administrator
    )
    assert changed.status_code == 200, changed.get_json()
    assert _budget(year_url) == NEW_BUDGET  # on the primary at once
    assert _budget(_on(year_url, replica.port)) == BUDGET  # not replayed yet
    # The replica received the change but has not replayed it: its figures are behind.
    _wait(standby, "pg_last_wal_receive_lsn()", _primary_lsn(primary))

    budget, behind = _report_budget(client, policy)
    with standby.connect() as conn:
        replayed = conn.execute(text("SELECT pg_last_xact_replay_timestamp()")).scalar_one()
    assert behind["data_as_of"] == replayed.isoformat()
    html = main_of(page(pages.get("/medewerkers/cijfers?jaar=2026")))
    moment = f"{replayed.astimezone(clock.LOCAL):%H:%M:%S}"  # the replica's clock, not ours
    # (With the day in front, should replay have paused just before midnight.)
    assert "Deze cijfers lopen mogelijk achter: bijgewerkt tot " in html
    assert f"{moment}. Wat daarna is gebeurd, staat er nog niet in." in html
    assert "€ 330,00 van € 2.000,00 (17%)" in html
    rows = list(
        csv.reader(io.StringIO(pages.get("/medewerkers/cijfers/regelingen.csv?jaar=2026").text))
    )
    assert "200000" in next(row for row in rows if row[0] == "stadsfonds")
    assert "Deze cijfers zijn op dit moment geteld." not in html

    with standby.connect() as conn:
        conn.execute(text("SELECT pg_wal_replay_resume()"))
    _caught_up(primary, standby)
    budget, fresh = _report_budget(client, policy)
    assert budget == NEW_BUDGET and fresh["data_behind"] is False
    html = main_of(page(pages.get("/medewerkers/cijfers?jaar=2026")))
    assert "€ 330,00 van € 3.000,00 (11%)" in html
    rows = list(
        csv.reader(io.StringIO(pages.get("/medewerkers/cijfers/regelingen.csv?jaar=2026").text))
    )
    assert "300000" in next(row for row in rows if row[0] == "stadsfonds")
    assert "lopen mogelijk achter" not in html and "Cijfers van " in html


def test_a_write_goes_to_the_primary_and_reaches_the_replica(
    replica_app: Flask,
    year_url: str,
    replica: Cluster,
    admin: tuple[Engine, Engine],
    staff: Callable[[Role], dict[str, str]],
) -> None:
    primary, standby = admin
    client = replica_app.test_client()
    administrator = staff(Role.administrator)
    # A replica refuses every write: had the app sent this one there, it would have failed.
    changed = client.patch(
        "/api/v1/schemes/stadsfonds", json={"annual_budget": 2500_00}, headers=administrator
    )
    assert changed.status_code == 200, changed.get_json()
    assert _budget(year_url) == 2500_00
    _caught_up(primary, standby)
    assert _budget(_on(year_url, replica.port)) == 2500_00

    # A look at the signals reads the replica and writes its audit row on the primary.
    looked = client.get(
        "/api/v1/signals?from=2026-06-01&to=2026-06-30", headers=staff(Role.finance)
    )
    assert looked.status_code == 200, looked.get_json()
    assert looked.get_json()["data_as_of"] is not None
    assert _signal_views(year_url) == 1
    signals_page = _page_client(replica_app, year_url, Role.finance).get(
        "/medewerkers/signalen?van=01-06-2026&tot=30-06-2026"
    )
    assert "Cijfers van " in main_of(page(signals_page))
    assert _signal_views(year_url) == 2
    _caught_up(primary, standby)
    assert _signal_views(_on(year_url, replica.port)) == 2


def _signal_views(url: str) -> int:
    engine = make_engine(url)
    with Session(engine) as session:
        views = session.scalar(select(func.count()).where(AuditEvent.action == "signals.view"))
    engine.dispose()
    return int(views or 0)


def test_a_replica_that_is_down_leaves_the_reports_on_the_primary(
    make_app: Callable[..., Flask],
    year_url: str,
    replica: Cluster,
    staff: Callable[[Role], dict[str, str]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    nowhere = _on(year_url, _free_port())
    app = make_app(year_url, REPLICA_DATABASE_URL=nowhere, DATABASE_CONNECT_TIMEOUT=2)
    client = app.test_client()
    policy = staff(Role.policy)
    with caplog.at_level(logging.WARNING, logger="almerepas"):
        response = client.get("/api/v1/reports/schemes?year=2026", headers=policy)
    assert response.status_code == 200
    body = response.get_json()
    assert body["data_as_of"] is None and body["data_behind"] is False
    assert any("read replica unavailable" in r.getMessage() for r in caplog.records)
