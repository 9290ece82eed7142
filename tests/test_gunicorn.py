"""Production serves wsgi.py under gunicorn with gunicorn.conf.py: it starts, answers on the
bound port once migrated, and its access log keeps query strings (and what is in them) out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.fixtures import free_port

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).with_name("gunicorn")
CLI = Path(sys.executable).with_name("almerepas")


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
            return int(response.status)
    except urllib.error.HTTPError as refused:
        return refused.code


def test_gunicorn_serves_the_app_with_the_production_settings(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "ALMEREPAS_ENV": "development",
        "ALMEREPAS_DATABASE_URL": f"sqlite:///{tmp_path / 'almerepas.sqlite3'}",
        "ALMEREPAS_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
    }
    subprocess.run([str(CLI), "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [str(GUNICORN), "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            status = 0
            while time.monotonic() < deadline and status == 0:
                try:
                    status = _get(f"http://127.0.0.1:{port}/api/v1/health")
                except OSError:
                    time.sleep(0.2)
            assert status == 200, log.read_text()
            # a parameter the endpoint does not take is refused; what it held is not logged
            assert _get(f"http://127.0.0.1:{port}/api/v1/health?token=geheim123") == 400
        finally:
            server.terminate()
            server.wait(timeout=30)
    text = log.read_text()
    assert "/api/v1/health" in text
    assert "geheim123" not in text  # the query string is not logged
    assert "Booting worker" in text and "gthread" in text


def test_json_logs_and_metrics_add_up_across_workers(tmp_path: Path) -> None:
    """Two workers, Prometheus multiprocess mode: /metrics counts every worker's requests, and
    the log holds the app's JSON request lines instead of gunicorn's paths."""
    port = free_port()
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    env = {
        **os.environ,
        "ALMEREPAS_ENV": "development",
        "ALMEREPAS_LOG_FORMAT": "json",
        "ALMEREPAS_METRICS_TOKEN": "scrape-me-please",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "ALMEREPAS_DATABASE_URL": f"sqlite:///{tmp_path / 'almerepas.sqlite3'}",
        "ALMEREPAS_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
    }
    subprocess.run([str(CLI), "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    log = tmp_path / "gunicorn.log"
    base = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [str(GUNICORN), "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            status = 0
            while time.monotonic() < deadline and status == 0:
                try:
                    status = _get(f"{base}/api/v1/health")  # not the endpoint counted below
                except OSError:
                    time.sleep(0.2)
            assert status == 200, log.read_text()
            for _ in range(20):  # new connections: both workers take some
                assert _get(f"{base}/api/v1/health/live") == 200
            token = {"Authorization": "Bearer scrape-me-please"}
            request = urllib.request.Request(f"{base}/metrics", headers=token)  # noqa: S310
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - loopback
                text = response.read().decode()
        finally:
            server.terminate()
            server.wait(timeout=30)
    line = 'almerepas_http_requests_total{endpoint="health.liveness",method="GET",status="200"}'
    counted = [float(row.rsplit(" ", 1)[1]) for row in text.splitlines() if row.startswith(line)]
    assert counted == [20.0], text
    written = [row for row in log.read_text().splitlines() if row.startswith("{")]
    requests = [json.loads(row) for row in written if '"almerepas.access"' in row]
    assert [r["endpoint"] for r in requests].count("health.liveness") == 20
    assert {r["endpoint"] for r in requests} == {"health.health", "health.liveness", "metrics"}
    assert all(len(r["request_id"]) == 36 for r in requests)
    assert "/api/v1/health/live" not in log.read_text()
