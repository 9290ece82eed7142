"""What one request costs under gunicorn before any of our code runs: a bare WSGI callable and
a bare Flask view (bench/_hello.py) under ``gunicorn.conf.py`` as production runs it, loaded by
wrk with small JSON POSTs. Beside it, the same apps called in this process without a server, so
the difference is gunicorn's own share (HTTP parsing, sockets, threads).

    .venv/bin/python bench/overhead.py [--duration 10] [--concurrency 1,16]

Why: the redemption bench (bench/redeem.py) compares a pair of requests with the floor's one;
every request pays this overhead, so the pair pays it twice (README, Benchmarks).
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._gunicorn import cpu_seconds, start_gunicorn  # noqa: E402
from bench._hello import flask_app, wsgi_app  # noqa: E402

LUA = """wrk.method = "POST"
wrk.body = '{"code": "abcdefghijklmnopqrstuvwxyz0123456789"}'
wrk.headers["Content-Type"] = "application/json"
"""


def in_process(app: Any, n: int = 20_000) -> float:
    """CPU ms per request of ``app`` called directly, as gunicorn would call it."""
    body = b'{"code": "abcdefghijklmnopqrstuvwxyz0123456789"}'

    def call() -> None:
        environ = {
            "REQUEST_METHOD": "POST", "PATH_INFO": "/hello", "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
            "CONTENT_LENGTH": str(len(body)), "CONTENT_TYPE": "application/json",
            "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.errors": sys.stderr,
        }  # fmt: skip
        b"".join(app(environ, lambda status, headers, exc=None: None))

    for _ in range(500):
        call()
    started = time.thread_time()
    for _ in range(n):
        call()
    return (time.thread_time() - started) / n * 1000


def under_gunicorn(target: str, concurrency: int, seconds: float, work: Path) -> dict[str, Any]:
    server = start_gunicorn(
        target.replace(":", "-"), f"bench._hello:{target}", cwd=ROOT, env={},
        config=ROOT / "gunicorn.conf.py", ready="/", work=work,
    )  # fmt: skip
    lua = work / "post.lua"
    lua.write_text(LUA)
    url = f"http://127.0.0.1:{server.port}/hello"
    wrk = shutil.which("wrk") or "wrk"
    try:
        subprocess.run(  # noqa: S603 - warm-up
            [wrk, "-t", "2", "-c", "2", "-d", "2s", "-s", str(lua), url],
            capture_output=True, check=True,
        )  # fmt: skip
        cpu0 = cpu_seconds(server.process.pid)
        ran = subprocess.run(  # noqa: S603
            [wrk, "-t", str(concurrency), "-c", str(concurrency), "-d", f"{round(seconds)}s",
             "-s", str(lua), url],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        cpu = cpu_seconds(server.process.pid) - cpu0
    finally:
        server.stop()
    summary = next(line for line in ran.stdout.splitlines() if "requests in" in line)
    requests = int(summary.split()[0])
    return {
        "target": target,
        "concurrency": concurrency,
        "requests_per_s": requests / seconds,
        "cpu_ms_per_request": cpu / requests * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--concurrency", default="1,16")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "overhead.json")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="almerepas-overhead-"))
    results: dict[str, Any] = {
        "in_process_ms": {
            "wsgi_app": in_process(wsgi_app),
            "flask_app": in_process(flask_app),
        },
        "gunicorn": [],
    }
    for concurrency in (int(c) for c in args.concurrency.split(",")):
        for target in ("wsgi_app", "flask_app"):
            window = under_gunicorn(target, concurrency, args.duration, work)
            results["gunicorn"].append(window)
    print(f"{'target':10} {'c':>3} {'req/s':>8} {'CPU ms/req':>11} {'in app':>8} {'server':>8}")
    for window in results["gunicorn"]:
        inside = results["in_process_ms"][window["target"]]
        print(
            f"{window['target']:10} {window['concurrency']:>3} {window['requests_per_s']:>8.0f} "
            f"{window['cpu_ms_per_request']:>11.2f} {inside:>8.3f} "
            f"{window['cpu_ms_per_request'] - inside:>8.2f}"
        )
    args.out.parent.mkdir(exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
