"""The partner's scan + redeem path under gunicorn on PostgreSQL, against the perf-probe floor.

    .venv/bin/python bench/redeem.py [--duration 15] [--concurrency 1,16] [--rounds 1] [--quick]
                                     [--scans]

Needs wrk (`apt-get install -y wrk`: 4.1 with LuaJIT) and the PostgreSQL 15 server binaries
(a throwaway cluster is started as in the test suite: tests/pg_cluster.py, fsync off).

What runs, all on this machine, in one sitting:

- **ours**: ``wsgi:app`` under ``gunicorn -c gunicorn.conf.py`` (the production settings:
  workers, gthread threads, access log), ALMEREPAS_ENV=production, on a database seeded with the
  app's own operations, outside the measured window: reference data and signing keys, households
  with a child each (bulk rows, as bench/grants.py), the grant run for the year's stadsfonds
  budget, a pass per child with a phone credential (``issue_phone_credential``), one partner
  with a location, a contract for stadsfonds and one device (key) per load connection.
  One **redemption** is the pair ``POST /api/v1/partner/scans`` (a fresh phone code: its own
  pass, signed by the holder's device key for the current time step, so the replay guard never
  refuses it) and ``POST /api/v1/partner/redemptions`` (the scan_reference from the answer,
  1 cent, a unique Idempotency-Key).
- **scans** (``--scans``): the same server loaded with scans alone, each of a fresh code: what a
  cashier's check without a redemption, or an online bus validator, costs. One unit is one scan.
- **ours, stripped** (``--stripped``): bench/stripped.py in place of ``wsgi:app``, the pair
  without flask-smorest's wrappers, the request hooks and the rate limits: what the pair could
  reach if the framework around the domain were free (a ceiling; never a server to run).
- **the floor**: ../shared/research/perf-probe/app.py, unchanged (EdDSA token verify, one ORM
  transaction of 8 round trips, JSON), under the same gunicorn.conf.py, on its own database
  (schema.sql, 100,000 budget rows) in the same cluster. One redemption is one request.

The same wrk Lua script (bench/redeem.lua) loads both, one connection per wrk thread; each
concurrency runs the floor and then ours, ``--rounds`` times. Reported per concurrency: requests
and redemptions per second, p50/p95/p99 latency of the pair (and of each request), CPU ms per
redemption of the gunicorn tree and of PostgreSQL (all its processes), wrk's own CPU, and ours as
a ratio to the floor. Then an untimed phase (bench/gunicorn_count.py, one worker, one request at
a time) counts the SQL statements of a scan and of a redemption and looks for a row that every
redemption updates; ``--profile`` adds cProfile of that phase.

Results: a table on stdout and bench/results/redeem.json. The machine is shared: compare ratios.
Codes are made for the time step after the one a window starts in, so a window may last at most
50 s (``--duration``). The seed is for the current calendar year (norms ship up to 2026).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import pstats
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from almerepas.core import migrate  # noqa: E402
from almerepas.core.db import make_engine  # noqa: E402
from bench import _pg_stats as pg_stats  # noqa: E402
from bench._gunicorn import Server, cpu_seconds, start_gunicorn  # noqa: E402
from bench._holders import SCHEME, SETTINGS, Seeded, fresh_codes, seed_ours  # noqa: E402
from bench._redeem_report import ratios, report, targets  # noqa: E402
from tests.pg_cluster import start_cluster  # noqa: E402

PROBE = ROOT.parent / "shared" / "research" / "perf-probe"
LUA = ROOT / "bench" / "redeem.lua"
PG_BIN = Path(os.environ.get("ALMEREPAS_PG_BIN", "/usr/lib/postgresql/15/bin"))
MAX_DURATION = 50
#: fresh codes made per window: more redemptions a second than two cores are expected to reach
PAIRS_PER_S_MAX = 250
#: the same for scans alone
SCANS_PER_S_MAX = 500


def seed_floor(admin_url: str, work: Path, rows: int, tokens: int) -> tuple[str, Path]:
    url = make_url(admin_url)
    subprocess.run(  # noqa: S603 - our own cluster's psql
        [str(PG_BIN / "psql"), "-h", url.host or "127.0.0.1", "-p", str(url.port), "-U",
         url.username or "postgres", "-d", "floor", "-q", "-v", "ON_ERROR_STOP=1",
         "-v", f"nrows={rows}", "-f", str(PROBE / "schema.sql")],
        check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run(  # noqa: S603 - the probe's own script
        [sys.executable, str(PROBE / "gen_tokens.py"), str(tokens)],
        cwd=work, env={**os.environ, "WORK": str(work)}, check=True,
    )  # fmt: skip
    return url.set(database="floor").render_as_string(hide_password=False), work / "tokens.txt"


# -- load ---------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


@dataclass
class Window:
    target: str
    concurrency: int
    seconds: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: Counter[str] = field(default_factory=Counter)
    errors: dict[str, int] = field(default_factory=dict)
    exhausted: int = 0
    app_cpu: float = 0.0
    db_cpu: float = 0.0
    wrk_cpu: float = 0.0

    @property
    def redemptions(self) -> int:
        return len(self.latencies.get("pair", []))

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    def summary(self) -> dict[str, Any]:
        n = max(self.redemptions, 1)
        ok = sum(v for k, v in self.statuses.items() if k.split(":")[1].startswith("2"))
        lat = {
            kind: {f"p{q}": round(percentile(values, q) / 1000, 2) for q in (50, 95, 99)}
            for kind, values in self.latencies.items()
            if values
        }
        return {
            "target": self.target,
            "concurrency": self.concurrency,
            "seconds": round(self.seconds, 2),
            "requests": self.requests,
            "non_2xx": self.requests - ok,
            "statuses": dict(self.statuses),
            "socket_errors": {k: v for k, v in self.errors.items() if v},
            "codes_exhausted": self.exhausted,
            "redemptions": self.redemptions,
            "requests_per_s": round(self.requests / self.seconds, 1),
            "redemptions_per_s": round(self.redemptions / self.seconds, 1),
            "latency_ms": lat,
            "app_cpu_ms_per_redemption": round(1000 * self.app_cpu / n, 2),
            "db_cpu_ms_per_redemption": round(1000 * self.db_cpu / n, 2),
            "wrk_cpu_ms_per_redemption": round(1000 * self.wrk_cpu / n, 2),
            "wrk_cpu_share_of_2_cores": round(
                self.wrk_cpu / self.seconds / (os.cpu_count() or 1), 3
            ),
        }


def run_wrk(
    server: Server, args: list[str], *, concurrency: int, seconds: float, work: Path, pg_pid: int
) -> Window:
    out = work / f"wrk-{server.name}-{concurrency}-{secrets.token_hex(3)}.txt"
    cmd = [
        "wrk", "-t", str(concurrency), "-c", str(concurrency), "-d", f"{max(1, round(seconds))}s",
        "--timeout", "10s", "-s", str(LUA), f"http://127.0.0.1:{server.port}", "--",
        args[0], args[1], str(concurrency), secrets.token_hex(4), str(out), *args[2:],
    ]  # fmt: skip
    app0, db0 = cpu_seconds(server.process.pid), cpu_seconds(pg_pid)
    usage0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    ran = subprocess.run(cmd, capture_output=True, text=True)  # noqa: S603
    if ran.returncode:
        raise RuntimeError(f"wrk failed ({ran.returncode}): {ran.stdout}{ran.stderr}")
    usage1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    app1, db1 = cpu_seconds(server.process.pid), cpu_seconds(pg_pid)
    window = Window(server.name, concurrency)
    window.app_cpu, window.db_cpu = app1 - app0, db1 - db0
    window.wrk_cpu = (usage1.ru_utime + usage1.ru_stime) - (usage0.ru_utime + usage0.ru_stime)
    for line in out.read_text().splitlines():
        kind, *rest = line.split()
        if kind == "summary" and rest[0] == "duration_us":
            window.seconds = int(rest[1]) / 1e6
        elif kind == "error":
            window.errors[rest[0]] = int(rest[1])
        elif kind == "status":
            window.statuses[rest[0]] += int(rest[1])
        elif kind == "exhausted":
            window.exhausted += int(rest[0])
        elif kind in ("scan", "redeem", "pair"):
            window.latencies.setdefault(kind, []).append(float(rest[0]))
    out.unlink()
    return window


# -- counting statements (untimed) --------------------------------------------------------------


def post(
    conn: http.client.HTTPConnection, path: str, body: dict[str, Any], headers: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json", **headers})
    response = conn.getresponse()
    raw = response.read()
    return response.status, json.loads(raw) if raw else {}


def one_redemption(
    conn: http.client.HTTPConnection, code: str, device_key: str
) -> tuple[int, int, dict[str, Any]]:
    auth = {"Authorization": f"Bearer {device_key}"}
    status, scanned = post(conn, "/api/v1/partner/scans", {"code": code}, auth)
    if status != 201:
        return status, 0, scanned
    status2, redeemed = post(
        conn, "/api/v1/partner/redemptions",
        {"scan_reference": scanned["scan_reference"], "scheme": SCHEME, "amount": 1},
        {**auth, "Idempotency-Key": secrets.token_hex(12)},
    )  # fmt: skip
    return status, status2, redeemed


def count_statements(
    seeded: Seeded, env: dict[str, str], work: Path, pairs: int, profile: bool
) -> dict[str, Any]:
    """One worker, one request at a time, with bench/gunicorn_count.py's listeners."""
    counts = work / "sql"
    extra = {"ALMEREPAS_BENCH_COUNT_SQL": str(counts), "WEB_CONCURRENCY": "1"}
    if profile:
        extra["ALMEREPAS_BENCH_PROFILE"] = str(work / "profile")
    server = start_gunicorn(
        "count", "wsgi:app", cwd=ROOT, env={**env, **extra},
        config=ROOT / "bench" / "gunicorn_count.py", ready="/api/v1/health", work=work,
    )  # fmt: skip
    statuses: Counter[str] = Counter()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        codes = fresh_codes(seeded, pairs, pairs)
        for n, code in enumerate(codes):
            scan, redeem, _ = one_redemption(
                conn, code, seeded.device_keys[n % len(seeded.device_keys)]
            )
            statuses[f"scan:{scan}"] += 1
            statuses[f"redeem:{redeem}"] += 1
        conn.close()
    finally:
        server.stop()
    files = list(work.glob("sql.*.json"))
    paths: Counter[str] = Counter()
    samples: dict[str, list[str]] = {}
    updates: list[dict[str, Any]] = []
    for f in files:
        data = json.loads(f.read_text())
        for path, c in data["paths"].items():
            paths.update({f"{path} {k}": v for k, v in c.items()})
        for path, sample in data["samples"].items():
            samples.setdefault(path, sample[-1] if sample else [])
        updates += data["updates"]
    result: dict[str, Any] = {"pairs": pairs, "statuses": dict(statuses), "per_request": {}}
    redeemed = statuses.get("redeem:201", 0)
    for path in ("/api/v1/partner/scans", "/api/v1/partner/redemptions"):
        n = paths.get(f"{path} requests", 0)
        if not n:
            continue
        per = {
            k: round(paths.get(f"{path} {k}", 0) / n, 2)
            for k in ("statements", "savepoints", "begins", "commits", "rollbacks")
        }
        per["round_trips"] = round(sum(per.values()), 2)
        # CPU of the thread that served it (view, Flask, driver; not gunicorn's own parsing)
        per["thread_cpu_ms"] = round(paths.get(f"{path} cpu_us", 0) / n / 1000, 2)
        result["per_request"][path] = {"requests": n, **per, "sample": samples.get(path, [])}
    # a row every redemption updates: one (table, key) met in (nearly) every redemption
    by_row: Counter[tuple[str, str, str]] = Counter()
    for u in updates:
        by_row[(u["table"], u["where"], u["values"])] += u["times"]
    hottest = by_row.most_common(5)
    result["updates_per_redemption"] = round(sum(by_row.values()) / max(redeemed, 1), 2)
    result["hottest_rows"] = [
        {
            "table": t,
            "where": w,
            "values": v,
            "times": n,
            "share_of_redemptions": round(n / max(redeemed, 1), 3),
        }
        for (t, w, v), n in hottest
    ]
    result["shared_hot_row"] = any(
        n >= max(redeemed, 1) * 0.5 and redeemed >= 10 for _, n in hottest
    )
    if profile:
        result["profiles"] = {}
        for prof in sorted(work.glob("profile.*.prof")):
            stream = work / (prof.name + ".txt")
            with stream.open("w") as out:
                stats = pstats.Stats(str(prof), stream=out)
                stats.sort_stats("cumulative").print_stats(60)
                stats.sort_stats("tottime").print_stats(30)
            shutil.copy(
                stream, ROOT / "bench" / "results" / f"redeem-{prof.name.split('.')[1]}.prof.txt"
            )
            shutil.copy(prof, ROOT / "bench" / "results" / f"redeem-{prof.name.split('.')[1]}.prof")
            result["profiles"][prof.name] = str(
                ROOT / "bench" / "results" / f"redeem-{prof.name.split('.')[1]}.prof.txt"
            )
    return result


# -- the run ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per window (<= 50)")
    parser.add_argument("--concurrency", default="1,16", help="comma-separated connection counts")
    parser.add_argument(
        "--rounds", type=int, default=1, help="floor-then-ours rounds per concurrency"
    )
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up per target")
    parser.add_argument("--passes", type=int, default=0, help="fresh passes to seed (0: enough)")
    parser.add_argument(
        "--count-pairs",
        type=int,
        default=None,
        help="pairs in the SQL count phase (200; --quick: 20)",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the SQL count phase")
    parser.add_argument(
        "--pg-stats",
        action="store_true",
        help="PostgreSQL's time per statement in the count phase (pg_stat_statements)",
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 s windows, few passes")
    parser.add_argument("--only", choices=["both", "ours", "floor"], default="both")
    parser.add_argument(
        "--scans", action="store_true", help="also load scans alone (after ours, each round)"
    )
    parser.add_argument(
        "--stripped",
        action="store_true",
        help="serve bench/stripped.py as ours: the pair without the framework's extras (a ceiling)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "redeem.json")
    args = parser.parse_args()
    if args.quick:
        args.duration, args.warmup = 2.0, 1.0
    if args.count_pairs is None:
        args.count_pairs = 20 if args.quick else 200
    if not 0 < args.duration <= MAX_DURATION:
        parser.error(f"--duration must be above 0 and at most {MAX_DURATION} s (codes rotate)")
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed: apt-get install -y wrk")
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    per_s = SCANS_PER_S_MAX if args.scans else PAIRS_PER_S_MAX
    passes = args.passes or (1000 if args.quick else int(per_s * args.duration) + 500)
    (ROOT / "bench" / "results").mkdir(exist_ok=True)

    work = Path(tempfile.mkdtemp(prefix="almerepas-bench-"))
    cluster = start_cluster()
    if args.pg_stats:
        pg_stats.enable(cluster)
    servers: list[Server] = []
    results: dict[str, Any] = {
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "load_average_at_start": os.getloadavg(),
    }
    try:
        admin = make_engine(cluster.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text('CREATE DATABASE "almerepas"'))
            conn.execute(text('CREATE DATABASE "floor"'))
        admin.dispose()
        url = make_url(cluster.url).set(database="almerepas").render_as_string(hide_password=False)
        engine = make_engine(url)
        migrate.upgrade(engine)
        print(f"seeding {passes} passes ...", flush=True)
        seeded = seed_ours(engine, passes, max(concurrencies))
        engine.dispose()
        floor_url, tokens = seed_floor(cluster.url, work, rows=100_000, tokens=20_000)
        print(f"seeded in {seeded.seconds:.0f} s", flush=True)
        results["seed"] = {"passes": passes, "seconds": round(seeded.seconds, 1)}

        config = ROOT / "gunicorn.conf.py"
        env_ours = {**SETTINGS, "ALMEREPAS_DATABASE_URL": url}
        # the count phase always counts the production app; only the load may be stripped
        app_ours, env_load = "wsgi:app", env_ours
        if args.stripped:
            app_ours, env_load = "bench.stripped:app", {**env_ours, "ALMEREPAS_RATE_LIMITS": "off"}
        keys_file = work / "device_keys.txt"
        keys_file.write_text("\n".join(seeded.device_keys) + "\n")
        targets_wanted = ["floor", "ours"] if args.only == "both" else [args.only]
        if args.scans and args.only != "floor":
            targets_wanted.append("scans")
        started: dict[str, Server] = {}
        if "floor" in targets_wanted:
            started["floor"] = start_gunicorn(
                "floor", "app:app", cwd=PROBE, config=config, ready="/", work=work,
                env={"DB_URL": floor_url, "PASS_PUBKEY": str(work / "pass_pub.pem")},
            )  # fmt: skip
            servers.append(started["floor"])
        if "ours" in targets_wanted:
            started["ours"] = start_gunicorn(
                "ours", app_ours, cwd=ROOT, config=config, ready="/api/v1/health", work=work,
                env=env_load,
            )  # fmt: skip
            servers.append(started["ours"])

        def load(name: str, c: int, seconds: float) -> Window:
            if name == "floor":
                wrk_args = ["floor", str(tokens)]
            else:
                codes_file = work / "codes.txt"
                rate = SCANS_PER_S_MAX if name == "scans" else PAIRS_PER_S_MAX
                wanted = min(int(rate * seconds) + 100 * c, len(seeded.holders))
                codes = fresh_codes(seeded, wanted, wanted // 2)
                codes_file.write_text("\n".join(codes) + "\n")
                wrk_args = [name, str(codes_file), str(keys_file), SCHEME]
            server = started["floor" if name == "floor" else "ours"]
            window = run_wrk(server, wrk_args, concurrency=c, seconds=seconds, work=work,
                             pg_pid=cluster.pid)  # fmt: skip
            window.target = name
            return window

        for name in targets_wanted:  # warm-up: every worker has its connections and imports
            load(name, min(4, max(concurrencies)), args.warmup)
        windows = []
        for c in concurrencies:
            for _ in range(args.rounds):
                for name in targets_wanted:
                    window = load(name, c, args.duration)
                    windows.append(window.summary())
                    w = windows[-1]
                    print(f"  {name} c={c}: {w['redemptions_per_s']} redemptions/s, "
                          f"pair p50 {w['latency_ms'].get('pair', {}).get('p50')} ms, "
                          f"non-2xx {w['non_2xx']}", flush=True)  # fmt: skip
        results["windows"] = windows
        for server in servers:
            server.stop()
        results["ratios"] = {}
        if args.only == "both":
            for c in concurrencies:
                results["ratios"][c] = ratios(windows, c)
            if "scans" in targets_wanted:
                results["scan_ratios"] = {c: ratios(windows, c, "scans") for c in concurrencies}
        if "ours" in targets_wanted:
            print("counting SQL statements ...", flush=True)
            if args.pg_stats:
                pg_stats.reset(url)
            results["sql"] = count_statements(
                seeded, env_ours, work, args.count_pairs, args.profile
            )
            if args.pg_stats:
                results["pg_statements"] = pg_stats.top(url, args.count_pairs)
        results["targets"] = targets(results)
        results["settings"] = {
            "duration_s": args.duration, "rounds": args.rounds, "concurrency": concurrencies,
            "gunicorn": "gunicorn.conf.py, WEB_CONCURRENCY="
            + os.environ.get("WEB_CONCURRENCY", "unset (2 x cores + 1)"),
            "postgresql": "throwaway cluster (tests/pg_cluster.py): fsync and "
            "synchronous_commit off",
            "ours": app_ours,
            "cores": os.cpu_count(),
            "load_average_at_end": os.getloadavg(),
        }  # fmt: skip
        args.out.write_text(json.dumps(results, indent=2))
        report(results)
        print(f"\nwritten to {args.out}")
    finally:
        for server in servers:
            server.stop()
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
