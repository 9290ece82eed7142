"""Shared fixtures beside tests/conftest.py: the frozen clock, an app context, reference data (with
signing keys: ``keyed``), a count of SQL statements and a real SMTP server on loopback
(``smtp_server``), and Redis and nginx of the Debian packages on loopback (``RedisServer``,
``NginxServer``) for the tests with more than one app server. Factories (plain functions that
make rows) are in tests/factories.py.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from email import policy as email_policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Connection, event
from sqlalchemy.orm import Session

from almerepas.core import clock
from almerepas.passes import keys as signing
from almerepas.reference.loaders import load_norms, load_postcodes, load_schemes
from tests.factories import KEYS, TEST_ACTOR

#: A Monday morning in March, far from any period boundary, unless a test sets its own moment.
START = dt.datetime(2026, 3, 2, 9, 0, 0, tzinfo=dt.UTC)


class FrozenClock:
    """almerepas.core.clock.now() returns ``moment`` until the test moves or sets it."""

    def __init__(self, moment: dt.datetime) -> None:
        self.moment = moment

    def now(self) -> dt.datetime:
        return self.moment

    def set(self, moment: dt.datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("freeze the clock at an aware moment")
        self.moment = moment

    def advance(self, **delta: float) -> None:
        self.moment += dt.timedelta(**delta)


@pytest.fixture
def frozen_clock() -> Iterator[FrozenClock]:
    """The one way tests freeze time: every caller of clock.now()/today() sees this moment."""
    frozen = FrozenClock(START)
    with clock.frozen(frozen.now):
        yield frozen


@pytest.fixture
def app_context(app: Flask) -> Iterator[Flask]:
    """Domain code that encrypts (TOTP secrets) needs the app's key, so an app context."""
    with app.app_context():
        yield app


@pytest.fixture
def reference(db: Session, app: Flask) -> Session:
    """Postcodes, norms and the seed schemes, inside the test's transaction."""
    with app.app_context():
        load_postcodes(db)
        load_norms(db)
        load_schemes(db)
    return db


@pytest.fixture
def keyed(reference: Session) -> Session:
    """``reference`` plus one signing key of every family (phone, card, bundle, bus), made at
    START: what issuing and checking pass codes needs."""
    signing.ensure_keys(reference, keys=KEYS, actor=TEST_ACTOR, now=START)
    return reference


# -- counting SQL statements --------------------------------------------------------------------

#: Transaction bookkeeping, counted apart: every commit of a view or of the test's session is a
#: SAVEPOINT and a RELEASE inside the test's outer transaction, which production does not send.
SAVEPOINT_PREFIXES = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


@dataclass
class QueryCount:
    """What ran on the test's connection inside one ``with count_queries()`` block."""

    #: the SQL statements sent, savepoint bookkeeping left out: what a hot path is held to
    sql: list[str] = field(default_factory=list)
    #: SAVEPOINT / RELEASE SAVEPOINT / ROLLBACK TO SAVEPOINT statements, counted apart
    savepoints: list[str] = field(default_factory=list)

    @property
    def statements(self) -> int:
        return len(self.sql)

    def __repr__(self) -> str:
        return f"QueryCount(statements={self.statements}, savepoints={len(self.savepoints)})"

    def report(self) -> str:
        """The statements, numbered and without their column lists, for an assertion message."""
        short = (
            re.sub(r"^SELECT .+? FROM ", "SELECT ... FROM ", " ".join(s.split())) for s in self.sql
        )
        return "\n".join(f"{n}. {statement}" for n, statement in enumerate(short, 1))


CountQueries = Callable[[], AbstractContextManager[QueryCount]]


@pytest.fixture
def count_queries(connection: Connection) -> CountQueries:
    """``with count_queries() as counted: ...`` counts the SQL statements sent on the test's
    connection (``before_cursor_execute``): the app's sessions, ``db`` and ``reference`` all use
    it. ``counted.statements`` leaves out SAVEPOINT/RELEASE, which are in
    ``counted.savepoints``; ``counted.report()`` lists the statements for a failure message.
    """

    @contextmanager
    def counting() -> Iterator[QueryCount]:
        counted = QueryCount()

        def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            text = statement.lstrip()
            if text.upper().startswith(SAVEPOINT_PREFIXES):
                counted.savepoints.append(text)
            else:
                counted.sql.append(text)

        event.listen(connection, "before_cursor_execute", record)
        try:
            yield counted
        finally:
            event.remove(connection, "before_cursor_execute", record)

    return counting


# -- a real SMTP server on loopback (almerepas.outbox) -------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def wait_for_port(
    port: int, process: Any, name: str, seconds: float, *, on_failure: Callable[[], str]
) -> None:
    """Return once something listens on the loopback ``port``; when ``process`` (a Popen) ended
    or ``seconds`` passed, call ``on_failure`` (it stops the process and says what it logged)
    and raise."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                failure = on_failure()
                raise RuntimeError(f"{name} did not start within {seconds:g} s{failure}") from None
            time.sleep(0.05)


@dataclass
class SmtpServer:
    """aiosmtpd on 127.0.0.1: every message it accepted, and a way to stop and start it again."""

    port: int
    received: list[EmailMessage] = field(default_factory=list)
    #: an SMTP reply to every RCPT TO instead of accepting it, e.g. "550 no such user"
    refuse_recipients: str | None = None
    _controller: Any = None

    async def handle_RCPT(  # aiosmtpd's hook names
        self, _server: Any, _session: Any, envelope: Any, address: str, _options: Any
    ) -> str:
        if self.refuse_recipients:
            return self.refuse_recipients
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        message = BytesParser(policy=email_policy.default).parsebytes(envelope.content)
        self.received.append(message)
        return "250 Message accepted for delivery"

    def start(self) -> None:
        from aiosmtpd.controller import Controller  # only the SMTP tests need it

        # server_hostname: no DNS lookup of this machine's name for every connection's banner
        self._controller = Controller(
            self, hostname="127.0.0.1", port=self.port, server_hostname="localhost"
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def wait_for(self, count: int = 1, timeout: float = 20.0) -> list[EmailMessage]:
        """The messages received, once there are ``count`` of them (polls; raises on timeout)."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.received)} of {count} e-mails arrived")
            time.sleep(0.02)
        return list(self.received)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on a free loopback port, stopped after the test."""
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


def real_clock_env() -> dict[str, str]:
    """This process's environment without libfaketime: Redis does not start under it (the
    shifted-clock passes), and a proxy has no dates to test."""
    return {k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and "FAKETIME" not in k}


@dataclass
class RedisServer:
    """A redis-server of the Debian package on a free loopback port, no disk; stopped by PID."""

    port: int
    process: Any = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import shutil
        import subprocess

        binary = shutil.which("redis-server")
        if binary is None:
            reason = "redis-server is not installed (Debian package redis-server)"
            if os.environ.get("CI") == "true":
                pytest.fail(f"CI=true needs it: {reason}", pytrace=False)
            pytest.skip(reason)
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--protected-mode", "yes"],
            stdout=subprocess.DEVNULL, env=real_clock_env(),
        )  # fmt: skip
        wait_for_port(self.port, self.process, "redis-server", 10, on_failure=self._failed)

    def _failed(self) -> str:
        self.stop()
        return ""

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A throwaway Redis for the test (rate limits counted across app instances)."""
    server = RedisServer(free_port())
    server.start()
    yield server
    server.stop()


# -- nginx in front of app servers (tests/scale) ------------------------------------------------

NGINX_CONFIG = """\
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {work}/access.log;
    client_body_temp_path {work}/client_body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    # Bodies up to the app's own limit (ALMEREPAS_MAX_CONTENT_LENGTH) stay in memory.
    client_max_body_size 64k;
    client_body_buffer_size 64k;
    upstream almerepas {{
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://almerepas;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            # A server that refuses the connection or answers 502: the next one gets the request.
            # A POST already sent is not sent again (nginx's rule for non-idempotent methods): the
            # client gets the 502 and sends it again with its Idempotency-Key.
            proxy_next_upstream error timeout http_502;
            proxy_connect_timeout 2s;
            proxy_read_timeout 35s;
        }}
    }}
}}
"""


def nginx_binary() -> str:
    """Where the Debian package put nginx (/usr/sbin is not on every user's PATH); without it
    the test is skipped, or fails under CI=true."""
    import shutil

    binary = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if binary is None:
        reason = "nginx is not installed (Debian package nginx)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true needs it: {reason}", pytrace=False)
        pytest.skip(reason)
    return binary


@dataclass
class NginxServer:
    """nginx of the Debian package on a free loopback port, in front of app servers on loopback
    ports (``upstreams``): its config, pid file and logs in ``work``, no daemon; stopped by PID."""

    port: int
    work: Path
    upstreams: list[int]
    process: Any = None

    def config(self) -> str:
        servers = "\n".join(
            f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=10s;"
            for port in self.upstreams
        )
        return NGINX_CONFIG.format(work=self.work, port=self.port, servers=servers)

    def start(self) -> None:
        import subprocess

        binary = nginx_binary()
        config = self.work / "nginx.conf"
        config.write_text(self.config())
        self.process = subprocess.Popen(
            [binary, "-c", str(config), "-p", str(self.work), "-e", str(self.work / "error.log"),
             "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, env=real_clock_env(),
        )  # fmt: skip
        wait_for_port(self.port, self.process, "nginx", 10, on_failure=self._failed)

    def _failed(self) -> str:
        error_log = self.work / "error.log"
        log = error_log.read_text() if error_log.exists() else ""
        self.stop()
        return f":\n{log}"

    def stop(self) -> None:
        """SIGQUIT to the master (graceful: it ends its worker too), by PID."""
        if self.process is not None:
            import signal

            if self.process.poll() is None:
                self.process.send_signal(signal.SIGQUIT)
            self.process.wait(timeout=10)
            self.process = None
