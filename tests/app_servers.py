"""The production server in tests: ``wsgi:app`` under gunicorn with gunicorn.conf.py and the
throwaway production settings of bench/_holders.py, started on a free loopback port and killed by
its process group; plain HTTP to it with the standard library, and a cashier's redemption with
its Idempotency-Key. Shared by the tests that kill a server (tests/faults) and the tests with
two servers behind nginx (tests/scale)."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from bench._holders import SCHEME, SETTINGS
from tests.fixtures import free_port

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).with_name("gunicorn")


@dataclass
class Gunicorn:
    process: subprocess.Popen[bytes]
    port: int
    log: IO[bytes]

    def kill(self) -> None:
        """SIGKILL to the whole process group: the master and every worker, mid-request."""
        if self.process.returncode is None:  # not reaped yet: the group is still ours
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.log.close()


def start_gunicorn(url: str, work: Path, env: dict[str, str] | None = None) -> Gunicorn:
    """gunicorn on the database ``url`` (two workers unless ``env`` says otherwise), answering."""
    port = free_port()
    env = {**os.environ, **SETTINGS, "ALMEREPAS_DATABASE_URL": url,
           "ALMEREPAS_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2",
           **(env or {})}  # fmt: skip
    log = (work / f"gunicorn-{port}.log").open("wb")
    process = subprocess.Popen(
        [str(GUNICORN), "-c", str(ROOT / "gunicorn.conf.py"), "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    server = Gunicorn(process, port, log)
    deadline = time.monotonic() + 60
    while True:
        try:
            if request(port, "GET", "/api/v1/health", None, {})[0] == 200:
                return server
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise RuntimeError((work / f"gunicorn-{port}.log").read_text()[-3000:])
        time.sleep(0.2)


def request(
    port: int,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    headers: dict[str, str],
    *,
    source: str | None = None,
) -> tuple[int, dict[str, Any]]:
    """One JSON request on a connection of its own, from the loopback address ``source``."""
    conn = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=20, source_address=(source, 0) if source else None
    )
    try:
        payload = json.dumps(body) if body is not None else None
        conn.request(method, path, payload, {"Content-Type": "application/json", **headers})
        response = conn.getresponse()
        raw = response.read()
        if not response.headers.get_content_type().endswith("json"):
            return response.status, {}  # e.g. nginx's own 502 page
        return response.status, json.loads(raw) if raw else {}
    finally:
        conn.close()


@dataclass
class Sale:
    """One redemption a cashier tried: its key, and the answer if one came."""

    key: str
    reference: str
    device: str
    status: int | None = None
    redemption_id: int | None = None


def redeem(port: int, sale: Sale) -> tuple[int, dict[str, Any]]:
    """Redeem 1 cent of the scanned pass, with the sale's Idempotency-Key."""
    return request(
        port, "POST", "/api/v1/partner/redemptions",
        {"scan_reference": sale.reference, "scheme": SCHEME, "amount": 1},
        {"Authorization": f"Bearer {sale.device}", "Idempotency-Key": sale.key},
    )  # fmt: skip
