"""Soak: a mixed load for ten minutes on gunicorn and PostgreSQL (loopback), then the books.

    PYTHONPATH=. .venv/bin/python bench/soak.py [--minutes 10] [--scale 1.0]

A benchmark run by hand, not a test. ``wsgi:app`` runs under ``gunicorn -c gunicorn.conf.py``
with the production settings of bench/_holders.py (five workers of four threads on two cores) on a
throwaway PostgreSQL 15 cluster (tests/pg_cluster.py, fsync off), seeded outside the measured
window with the app's own operations (bench/_holders.py's ``seed_ours``, plus a bus operator, card
passes with this month's free-bus grant, holder sessions, a caseworker and a policy analyst).

Client threads (stdlib keep-alive connections), each kind at its own pace (``RATES``):

- **scan+redeem**: ``POST /partner/scans`` with a fresh phone code, then ``POST
  /partner/redemptions`` (1 cent, a unique Idempotency-Key); every id answered 201 is kept;
- **rides**: a batch of 200 offline card rides to ``POST /partner/rides``;
- **holder**: a logged-in resident's pass page (``/mijn``, the session made with
  ``open_session`` and the cookie signed as Flask signs it);
- **caseworker**: a household's page and a household search, as a logged-in caseworker;
- **reports**: ``GET /api/v1/reports/...`` with a policy analyst's token, and the figures page.

Reported per kind: requests, throughput, p50 and p99, 5xx and other non-2xx answers and requests
without an answer; every 10 s the resident memory (VmRSS) of every gunicorn worker, judged flat
when its mean over the last minute is within 10 % of its mean over the second minute. Afterwards
``almerepas ledger check`` must pass and every redemption answered 201 must be in the books once,
with no redemption for the bench partner that nobody was told about. Table on stdout, everything
in bench/results/soak.json; the exit status is 1 when a check fails.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import secrets
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from flask.sessions import SecureCookieSessionInterface  # noqa: E402
from sqlalchemy import Engine, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from almerepas.contracts.models import Partner  # noqa: E402
from almerepas.core import clock, migrate  # noqa: E402
from almerepas.core.db import make_engine  # noqa: E402
from almerepas.holders.sessions import open_session  # noqa: E402
from almerepas.households.models import Person  # noqa: E402
from almerepas.http.guard import SESSION_TOKEN_KEY  # noqa: E402
from almerepas.models import Pass  # noqa: E402
from almerepas.passes.credentials import issue_card_credential  # noqa: E402
from almerepas.staff.accounts import create_staff_user  # noqa: E402
from almerepas.staff.tokens import issue_token  # noqa: E402
from almerepas.web.holder.session import PERSON_KEY, TOKEN_KEY  # noqa: E402
from bench._cluster import fresh_database  # noqa: E402
from bench._gunicorn import cpu_seconds, start_gunicorn  # noqa: E402
from bench._holders import ACTOR, KEYS, SETTINGS, Seeded, fresh_codes, seed_ours  # noqa: E402
from bench._soak_checks import SAMPLE_S, books, ledger_check, memory, worker_rss  # noqa: E402
from bench.redeem import one_redemption, percentile  # noqa: E402
from tests.pg_cluster import start_cluster  # noqa: E402
from tests.redemptions.ride_support import bus_operator, free_bus  # noqa: E402

#: requests (rides: batches) a second per kind, and the client threads that share them
RATES = {"scan+redeem": (8.0, 2), "rides": (0.2, 1), "holder": (4.0, 1),
         "caseworker": (2.0, 1), "reports": (1.0, 1)}  # fmt: skip
RIDES_PER_BATCH = 200
SCAN_PASSES = 1500
CARD_PASSES = 1000
HOLDER_SESSIONS = 200
#: the figures asked for in turn, for this year (``{year}``)
REPORTS = ["/api/v1/reports/schemes?year={year}",
           "/api/v1/reports/districts?year={year}&scheme=stadsfonds",
           "/api/v1/reports/months?year={year}", "/api/v1/reports/partners?year={year}",
           "/medewerkers/cijfers?jaar={year}"]  # fmt: skip


# -- seeding (outside the measured window) ------------------------------------------------------


@dataclass
class Seed:
    made: Seeded
    partner_id: int  # the stadsfonds partner: its redemptions are checked afterwards
    ride_key: str
    cards: list[str]
    holder_cookies: list[str]
    caseworker_cookie: str
    reports_token: str
    reports_cookie: str
    households: int


def signed_cookie(values: dict[str, Any]) -> str:
    """The ``session`` cookie the server's own Flask would set for ``values``."""
    app = Flask("soak")
    app.secret_key = SETTINGS["ALMEREPAS_SECRET_KEY"]
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    assert serializer is not None
    return f"session={serializer.dumps(values)}"


def seed(engine: Engine, devices: int) -> Seed:
    """bench/_holders.py's seed, and a bus operator with card passes, sessions and two staff."""
    made = seed_ours(engine, SCAN_PASSES + CARD_PASSES, devices)
    made.holders = made.holders[:SCAN_PASSES]  # the rest show a printed card on the bus
    now = dt.datetime.now(dt.UTC)
    with Session(engine) as session:
        operator = bus_operator(session, valid_from=dt.date(now.year, 1, 1), keys=KEYS, actor=ACTOR)
        passes = list(session.scalars(select(Pass).order_by(Pass.id)))
        cards = []
        for pass_ in passes[SCAN_PASSES:]:
            free_bus(session, pass_, f"{now.year}-{now.month:02d}")
            cards.append(issue_card_credential(session, pass_, keys=KEYS, now=now))
        cookies = []
        for pass_ in passes[:HOLDER_SESSIONS]:
            person = session.get_one(Person, pass_.person_id)
            token = open_session(session, person, now=now)
            cookies.append(signed_cookie({TOKEN_KEY: token, PERSON_KEY: person.id}))
        staff = {}
        for role in ("caseworker", "policy"):
            user, _ = create_staff_user(
                session, username=f"soak.{role}", display_name=f"Soak {role}", role=role,
                password=secrets.token_urlsafe(24), keys=KEYS, actor=ACTOR,
            )  # fmt: skip
            staff[role] = issue_token(session, user)
        partner_id = session.scalars(
            select(Partner.id).where(Partner.name == "Sportclub Bench")
        ).one()
        households = session.scalars(text("SELECT max(id) FROM household")).one()
        session.commit()
    staff_cookie = {role: signed_cookie({SESSION_TOKEN_KEY: t, "_permanent": True})
                    for role, t in staff.items()}  # fmt: skip
    return Seed(made, partner_id, operator.key, cards, cookies, staff_cookie["caseworker"],
                staff["policy"], staff_cookie["policy"], households)  # fmt: skip


# -- the load -----------------------------------------------------------------------------------


@dataclass
class Stats:
    """What one kind of request got: latencies, statuses, requests without an answer."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    extra: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, seconds: float, *statuses: int) -> None:
        with self.lock:
            self.latencies.append(seconds)
            self.statuses.update(statuses)

    def summary(self, seconds: float) -> dict[str, Any]:
        requests = sum(self.statuses.values())
        ms = [1000 * s for s in self.latencies]
        return {
            "requests": requests,
            "per_s": round(requests / seconds, 2),
            "p50_ms": round(percentile(ms, 50), 1) if ms else None,
            "p99_ms": round(percentile(ms, 99), 1) if ms else None,
            "5xx": sum(n for s, n in self.statuses.items() if s >= 500),
            "other_non_2xx": sum(
                n for s, n in self.statuses.items() if s < 500 and not 200 <= s < 300
            ),
            "statuses": {str(s): n for s, n in sorted(self.statuses.items())},
            "no_answer": dict(self.errors),
            **({"details": dict(self.extra)} if self.extra else {}),
        }


class Client:
    """One keep-alive connection, opened again after 4 s idle (gunicorn closes it after 5)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn: http.client.HTTPConnection | None = None
        self.used = 0.0

    def connection(self) -> http.client.HTTPConnection:
        if self.conn is None or time.monotonic() - self.used > 4:
            self.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        self.used = time.monotonic()
        return self.conn

    def send(self, method: str, path: str, headers: dict[str, str], body: Any = None) -> Any:
        conn = self.connection()
        payload = json.dumps(body) if body is not None else None
        conn.request(method, path, payload, {"Content-Type": "application/json", **headers})
        response = conn.getresponse()
        raw = response.read()
        self.used = time.monotonic()
        json_answer = response.headers.get_content_type().endswith("json") and raw
        return response.status, json.loads(raw) if json_answer else {}

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.conn = None


class Codes:
    """Fresh phone codes for every scan thread, made in batches under one lock."""

    def __init__(self, made: Seeded) -> None:
        self.made, self.lock, self.codes = made, threading.Lock(), list[str]()

    def next(self) -> str:
        with self.lock:
            if not self.codes:
                self.codes = fresh_codes(self.made, 100, 20)
            return self.codes.pop()


def paced(
    stats: Stats, rate: float, until: float, client: Client, step: Callable[[], None]
) -> None:
    """``step`` ``rate`` times a second until ``until``; when behind, no burst to catch up."""
    next_at = time.monotonic()
    while time.monotonic() < until:
        try:
            step()
        except (OSError, http.client.HTTPException, ValueError) as exc:
            client.close()
            with stats.lock:
                stats.errors[type(exc).__name__] += 1
        next_at += 1 / rate
        pause = next_at - time.monotonic()
        if pause > 0:
            time.sleep(min(pause, max(until - time.monotonic(), 0)))
        else:
            next_at = time.monotonic()


def steps(
    port: int, s: Seed, codes: Codes, stats: dict[str, Stats], redeemed: list[int]
) -> list[tuple[str, float, Client, Callable[[], None]]]:
    """(kind, rate, client, step) for every client thread."""
    threads: list[tuple[str, float, Client, Callable[[], None]]] = []
    for kind, (rate, count) in RATES.items():
        for n in range(count):
            client = Client(port)
            step = make_step(kind, n, client, s, codes, stats[kind], redeemed)
            threads.append((kind, rate / count, client, step))
    return threads


def make_step(
    kind: str, n: int, client: Client, s: Seed, codes: Codes, stats: Stats, redeemed: list[int]
) -> Callable[[], None]:
    """What client thread ``n`` of ``kind`` sends each time: one request (scan+redeem: two)."""
    rng = random.Random(n)
    batches = iter(range(10**9))

    def pair() -> None:
        code = codes.next()
        started = time.perf_counter()
        scan, redeem, body = one_redemption(
            client.connection(), code, s.made.device_keys[n % len(s.made.device_keys)]
        )
        client.used = time.monotonic()
        stats.add(time.perf_counter() - started, scan, *([redeem] if redeem else []))
        with stats.lock:
            stats.extra["pairs"] += 1
            if redeem == 201:
                redeemed.append(body["id"])

    def rides() -> None:
        batch = next(batches)
        at = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=30)).isoformat()
        first = batch * RIDES_PER_BATCH
        cards = [s.cards[(first + k) % len(s.cards)] for k in range(RIDES_PER_BATCH)]
        body = {"rides": [{"ride_id": f"soak-{n}-{batch}-{k}", "code": card, "ridden_at": at,
                           "line": "M1", "stop": "Centrum"}
                          for k, card in enumerate(cards)]}  # fmt: skip
        started = time.perf_counter()
        status, answer = client.send(
            "POST", "/api/v1/partner/rides", {"Authorization": f"Bearer {s.ride_key}"}, body
        )
        stats.add(time.perf_counter() - started, status)
        with stats.lock:
            stats.extra.update(f"ride {r['result']}" for r in answer.get("results", []))

    def get(path: str, headers: dict[str, str]) -> None:
        started = time.perf_counter()
        status, _ = client.send("GET", path, headers)
        stats.add(time.perf_counter() - started, status)

    def holder() -> None:
        get("/mijn", {"Cookie": rng.choice(s.holder_cookies)})

    def caseworker() -> None:
        household = rng.randint(1, s.households)
        path = (f"/medewerkers/huishoudens/{household}" if rng.random() < 0.75
                else "/medewerkers/huishoudens?naam=Bench&postcode=1315AB")  # fmt: skip
        get(path, {"Cookie": s.caseworker_cookie})

    def reports() -> None:
        path = REPORTS[next(batches) % len(REPORTS)].format(year=clock.today().year)
        if path.startswith("/api/"):
            get(path, {"Authorization": f"Bearer {s.reports_token}"})
        else:
            get(path, {"Cookie": s.reports_cookie})

    chosen: dict[str, Callable[[], None]] = {"scan+redeem": pair, "rides": rides,
              "holder": holder, "caseworker": caseworker, "reports": reports}  # fmt: skip
    return chosen[kind]


# -- the run ------------------------------------------------------------------------------------


def run_load(port: int, master: int, s: Seed, seconds: float) -> dict[str, Any]:
    """Every client thread for ``seconds``, and the workers' memory every ``SAMPLE_S``."""
    stats = {kind: Stats() for kind in RATES}
    redeemed: list[int] = []
    codes = Codes(s.made)
    until = time.monotonic() + seconds
    threads = [
        threading.Thread(target=paced, args=(stats[kind], rate, until, client, step), daemon=True)
        for kind, rate, client, step in steps(port, s, codes, stats, redeemed)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    samples = []
    while (now := time.monotonic()) < until + 1:
        samples.append((now - started, worker_rss(master)))
        time.sleep(min(SAMPLE_S, max(until + 1 - time.monotonic(), 0.01)))
    for thread in threads:
        thread.join(timeout=60)
    elapsed = time.monotonic() - started
    return {
        "seconds": round(elapsed, 1),
        "kinds": {kind: st.summary(elapsed) for kind, st in stats.items()},
        "redeemed": redeemed,
        "memory": memory(samples, elapsed),
    }


def report(results: dict[str, Any]) -> None:
    print(f"\n{'kind':<12} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} "
          f"{'5xx':>4} {'other':>6} {'no answer':>9}")  # fmt: skip
    for kind, k in results["load"]["kinds"].items():
        print(f"{kind:<12} {k['requests']:>8} {k['per_s']:>7.2f} {k['p50_ms'] or 0:>7.1f} "
              f"{k['p99_ms'] or 0:>7.1f} {k['5xx']:>4} {k['other_non_2xx']:>6} "
              f"{sum(k['no_answer'].values()):>9}")  # fmt: skip
        if k["other_non_2xx"] or k.get("details"):
            print(f"{'':<12} statuses {k['statuses']} {k.get('details', '')}")
    print(f"(scan+redeem: a request each, latency of the pair; rides: latency of a batch of "
          f"{RIDES_PER_BATCH})")  # fmt: skip
    mem = results["load"]["memory"]
    print(f"\nworker RSS (MiB), windows {mem['windows_s']} s:")
    for pid, w in mem["workers"].items():
        growth = "-" if w["growth"] is None else f"{w['growth']:+.1%}"
        print(f"  {pid:>8}: first {w['first_mib']:.1f} last {w['last_mib']:.1f} max "
              f"{w['max_mib']:.1f} growth {growth} seen {w['seen_s']} s "
              f"{'flat' if w['flat'] else 'NOT flat' if w['flat'] is False else ''}")  # fmt: skip
    b = results["books"]
    print(f"\nredemptions answered 201: {b['answered_201']}, booked {b['booked']}, journal "
          f"entries {b['journal_entries']}, answered twice {len(b['answered_twice'])}, not "
          f"booked {len(b['answered_not_booked'])}, booked but not answered "
          f"{len(b['booked_not_answered'])}")  # fmt: skip
    print(
        f"ledger check: {'passed' if results['ledger']['passed'] else 'FAILED'}: "
        f"{results['ledger']['output'].splitlines()[-1:]}"
    )
    print("\nchecks:")
    for name, ok in results["checks"].items():
        print(f"  {name}: {'ok' if ok else 'FAILED'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the load")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every rate")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "soak.json")
    args = parser.parse_args()
    for kind, (rate, count) in RATES.items():
        RATES[kind] = (rate * args.scale, count)
    args.out.parent.mkdir(exist_ok=True)
    results: dict[str, Any] = {
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "load_average_at_start": os.getloadavg(),
        "rates_per_s": {kind: rate for kind, (rate, _) in RATES.items()},
        "rides_per_batch": RIDES_PER_BATCH,
    }
    work = Path(tempfile.mkdtemp(prefix="almerepas-soak-"))
    cluster = start_cluster()
    server = None
    try:
        url = fresh_database(cluster.url, "almerepas")
        engine = make_engine(url)
        migrate.upgrade(engine)
        print(f"seeding {SCAN_PASSES + CARD_PASSES} passes ...", flush=True)
        seeded_at = time.perf_counter()
        s = seed(engine, RATES["scan+redeem"][1])
        results["seed_s"] = round(time.perf_counter() - seeded_at, 1)
        env = {**SETTINGS, "ALMEREPAS_DATABASE_URL": url}
        server = start_gunicorn(
            "soak", "wsgi:app", cwd=ROOT, env=env, config=ROOT / "gunicorn.conf.py",
            ready="/api/v1/health", work=work,
        )  # fmt: skip
        print(f"seeded in {results['seed_s']} s; load for {args.minutes} min ...", flush=True)
        app0, db0 = cpu_seconds(server.process.pid), cpu_seconds(cluster.pid)
        load = run_load(server.port, server.process.pid, s, args.minutes * 60)
        results["cpu_s"] = {"gunicorn": round(cpu_seconds(server.process.pid) - app0, 1),
                            "postgresql": round(cpu_seconds(cluster.pid) - db0, 1)}  # fmt: skip
        results["load_average_at_end"] = os.getloadavg()
        server.stop()
        redeemed = load.pop("redeemed")
        results["load"] = load
        results["ledger"] = ledger_check(env)
        results["books"] = books(engine, s.partner_id, redeemed)
        engine.dispose()
        kinds = load["kinds"].values()
        results["checks"] = {
            "zero 5xx": all(k["5xx"] == 0 for k in kinds),
            "every request answered": all(not k["no_answer"] for k in kinds),
            "worker memory flat": load["memory"]["flat"],
            "ledger check passes": results["ledger"]["passed"],
            "every 201 redemption booked exactly once, none unanswered": results["books"]["passed"],
        }
        args.out.write_text(json.dumps(results, indent=2))
        report(results)
        print(f"\nwritten to {args.out}")
    finally:
        if server is not None:
            server.stop()
        cluster.stop()
    if all(results["checks"].values()):
        shutil.rmtree(work, ignore_errors=True)
        sys.exit(0)
    print(f"gunicorn's log: {work / 'gunicorn-soak.log'}")
    sys.exit(1)


if __name__ == "__main__":
    main()
