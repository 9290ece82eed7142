"""A year of Almere on PostgreSQL, made through the product's own operations where they are what
is measured (issue 16, items 1 and 3), with how long each step took.

1. set-up, bulk (not the point): reference data, the partners and their contracts (the app's
   operations), 30,000 holders in 12,000 households over the districts with passes and an
   income assessment each (``INSERT ... SELECT generate_series``, bench/_city_data.py);
2. twelve monthly grant runs, ``almerepas.grants.runs.issue`` for every scheme (January's also
   grants the yearly schemes, March's the adult fund that starts then);
3. a year's use, bulk: 1.2 million redemptions (never more than a grant holds) with their
   ledger transfers, one in a hundred partly reversed, 300,000 bus rides and scans;
4. twelve settlement runs, ``almerepas.settlements.runs.prepare`` and ``approve``;
5. the reports: ``almerepas reports refresh --year 2026`` (the CLI, in its own process), then
   every figure the pages and API read, cold (its first run on a new connection) and warm
   (median of ``--runs``), against the hand-written SQL of bench/reports_sql.py in the same run
   (the answers must agree), with ``EXPLAIN (FORMAT JSON)`` of each of its queries searched for
   a sequential scan; ``--live`` also times the figures counted live, before the snapshot.

    PYTHONPATH=. .venv/bin/python bench/city.py [--scale 0.1] [--runs 3] [--live]

Deterministic: the same data every run (fixed arithmetic and ``setseed``). PostgreSQL:
ALMEREPAS_BENCH_POSTGRES_URL, or a throwaway cluster started and stopped here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, event, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from almerepas.audit.log import Actor  # noqa: E402
from almerepas.core import migrate  # noqa: E402
from almerepas.core.db import make_engine  # noqa: E402
from almerepas.grants import runs as grants  # noqa: E402
from almerepas.models import AgeBand, HouseholdType, Norm  # noqa: E402
from almerepas.reference.loaders import load_norms, load_postcodes, load_schemes  # noqa: E402
from almerepas.reports import snapshot, tables  # noqa: E402
from almerepas.reports.scope import ReportFilter  # noqa: E402
from almerepas.settlements import runs as settlements  # noqa: E402
from bench._city_data import residents_sql, use_sql  # noqa: E402
from bench._cluster import fresh_database, postgres_server  # noqa: E402
from bench.grants import norms_through  # noqa: E402
from bench.reports import CONTRACTS, PARTNERS_PER_SCHEME, YEAR, the_figures  # noqa: E402
from tests.settlements.support import APPROVER, PREPARER, contracted  # noqa: E402

#: the tables that must not be read whole by a filtered figure
BIG = {"redemption", "ride", "redemption_reversal", "scan", "transfer"}
steps: dict[str, float] = {}


@contextmanager
def step(name: str) -> Iterator[None]:
    """Time a step, print it and keep it for the summary."""
    start = time.perf_counter()
    yield
    steps[name] = time.perf_counter() - start
    print(f"  {name:46} {steps[name]:8.1f} s", flush=True)


def setup(engine: Engine, holders: int) -> None:
    """Reference data and partners through the app; the residents in bulk."""
    with Session(engine) as session:
        load_postcodes(session)
        load_norms(session)
        norms_through(session, YEAR)
        load_schemes(session)
        session.execute(text("UPDATE scheme SET active = true"))  # vroegschool is seeded off
        for code, kind, tariff in CONTRACTS:
            for n in range(PARTNERS_PER_SCHEME):
                contracted(session, code, kind, tariff, name=f"{code} {n}")
        norm_id, norm = session.execute(
            select(Norm.id, Norm.amount).where(
                Norm.household_type == HouseholdType.couple,
                Norm.age_band == AgeBand.adult,
                Norm.valid_from <= dt.date(YEAR, 1, 1),
                Norm.valid_to >= dt.date(YEAR, 1, 1),
            )
        ).one()
        session.commit()
    with engine.begin() as conn:
        for statement in residents_sql(holders, norm_id=norm_id, norm=norm):
            conn.execute(text(statement))
    analyze(engine)


def analyze(engine: Engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def grant_runs(engine: Engine) -> dict[str, int]:
    """The twelve monthly runs, each its own transaction as the CLI commits it."""
    granted: dict[str, int] = {}
    for month in range(1, 13):
        with step(f"grant run 2026-{month:02d}"), Session(engine) as session:
            for run in grants.issue(
                session, period=f"{YEAR}-{month:02d}", actor=Actor("bench"),
                today=dt.date(YEAR, month, 1),
            ):  # fmt: skip
                granted[run.scheme] = granted.get(run.scheme, 0) + run.granted
            session.commit()
    return granted


def settlement_runs(engine: Engine) -> list[dict[str, Any]]:
    """Prepare and approve the twelve months, each on the second day of the next month."""
    made = []
    for month in range(1, 13):
        period = f"{YEAR}-{month:02d}"
        now = dt.datetime(YEAR + month // 12, month % 12 + 1, 2, 9, tzinfo=dt.UTC)
        with Session(engine) as session:
            with step(f"settlement prepare {period}"):
                run, held = settlements.prepare(session, period=period, actor=PREPARER, now=now)
                session.commit()
            with step(f"settlement approve {period}"):
                settlements.approve(
                    session, run.id, actor=APPROVER, now=now, expected_hash=run.lines_hash
                )
                session.commit()
            made.append({"period": period, "total": run.total, "held": len(held)})
    return made


def refresh_by_cli(url: str) -> str:
    """``almerepas reports refresh --year 2026`` in its own process, as the nightly timer does."""
    env = {**os.environ, "ALMEREPAS_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "almerepas", "reports", "refresh", "--year", str(YEAR)],
        env=env, capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    said = (done.stdout + done.stderr).strip().splitlines()
    return said[-1] if said else ""


def seq_scans(engine: Engine, run: Callable[[Session], object]) -> list[str]:
    """The tables a sequential scan reads in the plans of the queries ``run`` sends."""
    sent: list[tuple[str, Any]] = []

    def grab(_c: object, _cur: object, statement: str, params: Any, *_: object) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            sent.append((statement, params))

    event.listen(engine, "before_cursor_execute", grab)
    try:
        with Session(engine) as session:
            run(session)
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    found: set[str] = set()
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("SET jit = off")
        cursor.execute("SET work_mem = '32MB'")  # as figures run (figures._without_jit)
        for statement, params in sent:
            cursor.execute("EXPLAIN (FORMAT JSON) " + statement, params)
            (plan,) = cursor.fetchone()
            nodes = [plan[0]["Plan"]]
            while nodes:
                node = nodes.pop()
                if node["Node Type"] == "Seq Scan":
                    found.add(node["Relation Name"])
                nodes += node.get("Plans", [])
        raw.rollback()
    finally:
        raw.close()
    return sorted(found)


def measure(url: str, engine: Engine, runs: int, source: str) -> list[dict[str, Any]]:
    """Each figure cold and warm, the raw SQL warm, the answers equal, and its plans."""
    print(f"  {'figure (' + source + ')':42} {'cold ms':>8} {'warm ms':>8} {'raw ms':>8} "
          f"{'ratio':>6}  seq scans")  # fmt: skip
    results = []
    for name, ours, raw in the_figures():
        cold_engine = make_engine(url, poolclass=NullPool)  # a new backend: nothing cached
        with Session(cold_engine) as session:
            start = time.perf_counter()
            ours(session)
            cold = time.perf_counter() - start
        cold_engine.dispose()
        warm, raws = [], []
        for _ in range(runs):
            with Session(engine) as session:
                start = time.perf_counter()
                rows = ours(session)
                warm.append(time.perf_counter() - start)
            with engine.connect() as conn:
                conn.execute(text("SET LOCAL jit = off"))
                conn.execute(text("SET LOCAL work_mem = '32MB'"))
                start = time.perf_counter()
                raw_rows = raw(conn)
                raws.append(time.perf_counter() - start)
            if rows != raw_rows:
                raise AssertionError(f"{name}: ours {rows} != raw {raw_rows}")
        scans = seq_scans(engine, ours)
        filtered = "June" in name or "Haven" in name
        warm_ms, raw_ms = statistics.median(warm) * 1000, statistics.median(raws) * 1000
        results.append({
            "figure": name, "source": source, "rows": len(rows), "cold_ms": cold * 1000,
            "warm_ms": warm_ms, "raw_ms": raw_ms, "ratio": warm_ms / raw_ms,
            "under_1s": max(cold, statistics.median(warm)) < 1, "seq_scans": scans,
            "filtered": filtered, "big_seq_scans": sorted(BIG & set(scans)),
        })  # fmt: skip
        print(
            f"  {name:42} {cold * 1000:8.0f} {warm_ms:8.0f} {raw_ms:8.0f} {warm_ms / raw_ms:6.2f}"
            f"  {', '.join(scans) or '-'}",
            flush=True,
        )
    return results


def pages(url: str, engine: Engine, runs: int) -> list[dict[str, Any]]:
    """The tables the pages, CSV files and API show (protected, labelled), cold and warm."""
    year, june = ReportFilter(YEAR), ReportFilter(YEAR, 6)
    haven = ReportFilter(YEAR, None, "almere_haven")
    shown: list[tuple[str, Callable[[Session], object]]] = [
        ("schemes table (year)", lambda s: tables.schemes_table(s, year)),
        ("schemes table (June)", lambda s: tables.schemes_table(s, june)),
        ("schemes table (year, Haven)", lambda s: tables.schemes_table(s, haven)),
        ("districts table stadsfonds", lambda s: tables.districts_table(s, year, "stadsfonds")),
        ("months table (year)", lambda s: tables.months_table(s, year)),
        ("months table (Haven)", lambda s: tables.months_table(s, haven)),
        ("partners table (year)", lambda s: tables.partners_table(s, year)),
        ("partners table (June)", lambda s: tables.partners_table(s, june)),
        ("the figures page's four tables (year)", lambda s: [
            tables.schemes_table(s, year), tables.months_table(s, year),
            tables.partners_table(s, year), tables.districts_table(s, year, "stadsfonds"),
        ]),
    ]  # fmt: skip
    results = []
    for name, show in shown:
        cold_engine = make_engine(url, poolclass=NullPool)
        with Session(cold_engine) as session:
            start = time.perf_counter()
            show(session)
            cold = time.perf_counter() - start
        cold_engine.dispose()
        warm = []
        for _ in range(runs):
            with Session(engine) as session:
                start = time.perf_counter()
                show(session)
                warm.append(time.perf_counter() - start)
        warm_ms = statistics.median(warm) * 1000
        results.append({"table": name, "cold_ms": cold * 1000, "warm_ms": warm_ms})
        print(f"  {name:42} {cold * 1000:8.0f} {warm_ms:8.0f}", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="0.1: a tenth of Almere")
    parser.add_argument("--runs", type=int, default=3, help="warm runs per figure")
    parser.add_argument("--live", action="store_true", help="also time the figures live")
    args = parser.parse_args()
    holders = round(30_000 * args.scale)
    redemptions, rides = round(1_200_000 * args.scale), round(300_000 * args.scale)
    summary: dict[str, Any] = {"scale": args.scale, "started": dt.datetime.now(dt.UTC).isoformat()}
    with postgres_server() as admin:
        url = fresh_database(admin, "bench_city")
        engine = make_engine(url)
        with step("migrate"):
            migrate.upgrade(engine)
        with step(f"set-up: partners, {holders} holders (bulk)"):
            setup(engine, holders)
        summary["granted"] = grant_runs(engine)
        with step("analyze after the grant runs"):
            analyze(engine)
        with step(f"use: {redemptions} redemptions, {rides} rides (bulk)"):
            with engine.begin() as conn:
                for statement in use_sql(redemptions, rides, PARTNERS_PER_SCHEME):
                    conn.execute(text(statement))
            analyze(engine)
        summary["settlements"] = settlement_runs(engine)
        with step("analyze after the settlement runs"):
            analyze(engine)
        with engine.connect() as conn:
            summary["rows"] = {
                t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                for t in ("household", "person", "entitlement_grant", "redemption",
                          "redemption_reversal", "ride", "scan", "settlement_line")
            }  # fmt: skip
        print(f"  rows: {summary['rows']}", flush=True)
        figures = measure(url, engine, args.runs, "live") if args.live else []
        with step("almerepas reports refresh --year 2026 (CLI)"):
            summary["refresh_said"] = refresh_by_cli(url)
        with Session(engine) as session:
            taken = snapshot.taken_at(session, YEAR)
            assert taken is not None, "the CLI made no snapshot"
            summary["snapshot_taken_at"] = taken.isoformat()
        figures += measure(url, engine, args.runs, "snapshot")
        summary["tables"] = pages(url, engine, args.runs)
        engine.dispose()
    summary |= {"steps_s": steps, "figures": figures}
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"city-{args.scale:g}.json").write_text(json.dumps(summary, indent=2))
    slow = [f"{r['figure']} ({r['source']})" for r in figures if not r["under_1s"]]
    scanned = [
        f"{r['figure']} ({r['source']}): {', '.join(r['big_seq_scans'])}"
        for r in figures
        if r["filtered"] and r["big_seq_scans"]
    ]
    print(f"over 1 s: {', '.join(slow) or 'none'}")
    print(f"filtered figures with a sequential scan of a big table: {'; '.join(scanned) or 'none'}")


if __name__ == "__main__":
    main()
