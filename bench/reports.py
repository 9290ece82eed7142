"""The figures of a year of Almere on PostgreSQL (issue 14, item 6): each figure of
``almerepas.reports.figures`` timed against a hand-written SQL query of the same figure, in the
same run on the same data, and checked to give the same numbers.

The data (not timed): 30,000 holders in 12,000 households over the seven districts, a pass for
most of them, the 2026 grants of every seeded scheme (and some of 2025, out of scope), 1.5
million redemptions and 300,000 bus rides over them, scans, reversals, expiries and a settlement
run; made in SQL (``INSERT ... SELECT generate_series``), not with ORM objects. The partners
and their contracts are made with the app's own operations.

    PYTHONPATH=. .venv/bin/python bench/reports.py [--holders 30000] [--redemptions 1500000]
        [--rides 300000] [--runs 5] [--small] [--no-live]

Every figure is measured twice: counted live from the tables, and read from the year's
snapshot after ``reports.snapshot.refresh`` (timed too), both against the same raw SQL over the
tables. ``--small`` is a tenth of that (under a minute). The figure that matters is the ratio;
the target is under a second for every figure. PostgreSQL: ALMEREPAS_BENCH_POSTGRES_URL, or a
throwaway cluster started and stopped here (bench/_cluster.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Connection, Engine, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from almerepas.core import migrate  # noqa: E402
from almerepas.core.db import make_engine  # noqa: E402
from almerepas.reference.loaders import load_norms, load_postcodes, load_schemes  # noqa: E402
from almerepas.reports import figures, snapshot  # noqa: E402
from almerepas.reports.scope import ReportFilter  # noqa: E402
from bench._cluster import fresh_database, postgres_server  # noqa: E402
from bench.reports_sql import raw_by_partner, raw_by_scheme, raw_months, seed_sql  # noqa: E402
from tests.settlements.support import contracted  # noqa: E402

YEAR = 2026
#: (scheme, tariff kind, tariff) of the partners' contracts
CONTRACTS = [
    ("stadsfonds", "amount_redeemed", None),
    ("menstruatie", "per_unit", 4_99),
    ("supermarkt", "discount_reimbursed", 7_500),
    ("volwassenenfonds", "amount_redeemed", None),
    ("vroegschool", "amount_redeemed", None),
    ("ov", "per_ride", 1_50),
]
PARTNERS_PER_SCHEME = 8


def seed(engine: Engine, holders: int, redemptions: int, rides: int) -> dict[str, int]:
    """Reference data and partners through the app, then everything else in SQL (not timed)."""
    with Session(engine) as session:
        load_postcodes(session)
        load_norms(session)
        load_schemes(session)
        # Every seeded scheme runs this year (vroegschool is seeded switched off).
        session.execute(text("UPDATE scheme SET active = true"))
        for code, kind, tariff in CONTRACTS:
            for n in range(PARTNERS_PER_SCHEME):
                contracted(session, code, kind, tariff, name=f"{code} {n}")
        session.commit()
    sizes = {"holders": holders, "redemptions": redemptions, "rides": rides}
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))  # no FK triggers
        for statement in seed_sql(holders, redemptions, rides, PARTNERS_PER_SCHEME):
            conn.execute(text(statement))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
        for table in ("entitlement_grant", "redemption", "ride", "scan", "settlement_line"):
            sizes[table] = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
    return sizes


def _scheme_rows(rows: list[figures.SchemeFigures]) -> list[tuple[Any, ...]]:
    return sorted(
        (r.scheme, r.district, r.persons, r.households,
         r.with_pass, r.funnel.eligible, r.funnel.granted, r.funnel.activated,
         r.funnel.first_use, r.funnel.half_used, r.granted, r.redeemed, r.reversed, r.expired,
         r.settled)
        for r in rows
    )  # fmt: skip


def _month_rows(rows: list[figures.MonthTakeUp]) -> list[tuple[Any, ...]]:
    return sorted((r.scheme, r.month, r.eligible, r.used) for r in rows if r.eligible)


def _partner_rows(rows: list[figures.PartnerFigures]) -> list[tuple[Any, ...]]:
    return sorted((r.partner, r.scheme, r.redemptions, r.redeemed, r.reversed) for r in rows)


Figure = tuple[
    str,
    Callable[[Session], list[tuple[Any, ...]]],
    Callable[[Connection], list[tuple[Any, ...]]],
]


def the_figures() -> list[Figure]:
    """(name, ours, raw SQL) for every figure the pages, CSV files and API read."""
    year = ReportFilter(YEAR)
    june = ReportFilter(YEAR, 6)
    haven = ReportFilter(YEAR, None, "almere_haven")
    return [
        ("by_scheme (year)", lambda s: _scheme_rows(figures.by_scheme(s, year)),
         lambda c: raw_by_scheme(c, year, per_district=False)),
        ("by_scheme per district (year)",
         lambda s: _scheme_rows(figures.by_scheme(s, year, per_district=True)),
         lambda c: raw_by_scheme(c, year, per_district=True)),
        ("by_scheme (June)", lambda s: _scheme_rows(figures.by_scheme(s, june)),
         lambda c: raw_by_scheme(c, june, per_district=False)),
        ("by_scheme (year, Haven)", lambda s: _scheme_rows(figures.by_scheme(s, haven)),
         lambda c: raw_by_scheme(c, haven, per_district=False)),
        ("take_up_by_month", lambda s: _month_rows(figures.take_up_by_month(s, year)),
         lambda c: raw_months(c, year)),
        ("take_up_by_month (Haven)", lambda s: _month_rows(figures.take_up_by_month(s, haven)),
         lambda c: raw_months(c, haven)),
        ("by_partner (year)", lambda s: _partner_rows(figures.by_partner(s, year)),
         lambda c: raw_by_partner(c, year)),
        ("by_partner (June)", lambda s: _partner_rows(figures.by_partner(s, june)),
         lambda c: raw_by_partner(c, june)),
    ]  # fmt: skip


def measure(engine: Engine, runs: int, only: str | None, source: str) -> list[dict[str, Any]]:
    """Each figure: ours and raw alternately, ``runs`` times each; the answers must agree."""
    head = f"figure ({source})"
    print(f"  {head:40} {'ours ms':>9} {'first':>7} {'raw ms':>9} {'ratio':>6}  < 1 s")
    results = []
    for name, ours, raw in the_figures():
        if only and only not in name:
            continue
        ours_s: list[float] = []
        raw_s: list[float] = []
        for _ in range(runs):
            with Session(engine) as session:
                start = time.perf_counter()
                ours_rows = ours(session)
                ours_s.append(time.perf_counter() - start)
            with engine.connect() as conn:
                # The same settings as ours (figures._without_jit): the ratio is the queries'.
                conn.execute(text("SET LOCAL jit = off"))
                conn.execute(text("SET LOCAL work_mem = '32MB'"))
                start = time.perf_counter()
                raw_rows = raw(conn)
                raw_s.append(time.perf_counter() - start)
            if ours_rows != raw_rows:
                raise AssertionError(f"{name}: ours {ours_rows} != raw {raw_rows}")
        ours_ms = statistics.median(ours_s) * 1000
        raw_ms = statistics.median(raw_s) * 1000
        results.append(
            {
                "figure": name,
                "source": source,
                "rows": len(ours_rows),
                "ours_first_ms": ours_s[0] * 1000,
                "ours_ms": ours_ms,
                "raw_ms": raw_ms,
                "ratio": ours_ms / raw_ms,
                "under_1s": ours_ms < 1000,
                "runs": runs,
            }
        )
        print(
            f"  {name:40} {ours_ms:9.0f} {ours_s[0] * 1000:7.0f} {raw_ms:9.0f} "
            f"{ours_ms / raw_ms:6.2f}  "
            f"{'yes' if ours_ms < 1000 else 'NO'}",
            flush=True,
        )
    return results


def refresh(engine: Engine) -> float:
    """Seconds to count the year into its snapshot, as the nightly command does."""
    with Session(engine) as session:
        start = time.perf_counter()
        snapshot.refresh(session, YEAR, now=dt.datetime.now(dt.UTC))
        session.commit()
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--holders", type=int, default=30_000)
    parser.add_argument("--redemptions", type=int, default=1_500_000)
    parser.add_argument("--rides", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--small", action="store_true", help="a tenth of the volume, 3 runs")
    parser.add_argument("--only", help="only the figures whose name contains this")
    parser.add_argument(
        "--no-live", action="store_true", help="only the figures read from the year's snapshot"
    )
    args = parser.parse_args()
    if args.small:
        args.holders //= 10
        args.redemptions //= 10
        args.rides //= 10
        args.runs = 3
    with postgres_server() as admin:
        engine = make_engine(fresh_database(admin, "bench_reports"))
        migrate.upgrade(engine)
        start = time.perf_counter()
        sizes = seed(engine, args.holders, args.redemptions, args.rides)
        print(f"seeded {sizes} in {time.perf_counter() - start:.0f} s", flush=True)
        results = [] if args.no_live else measure(engine, args.runs, args.only, "live")
        refresh_s = refresh(engine)
        baseline = [r["raw_ms"] for r in results if r["figure"] == "by_scheme (year)"]
        versus = f" ({refresh_s * 1000 / baseline[0]:.1f} x raw by_scheme)" if baseline else ""
        print(f"almerepas reports refresh --year {YEAR}: {refresh_s:.1f} s{versus}", flush=True)
        results += measure(engine, args.runs, args.only, "snapshot")
        engine.dispose()
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    summary = {**sizes, "refresh_s": refresh_s, "figures": results}
    (out / "reports.json").write_text(json.dumps(summary, indent=2))
    slow = [f"{r['figure']} ({r['source']})" for r in results if not r["under_1s"]]
    print(f"all {len(results)} figures equal to raw SQL; over 1 s: {', '.join(slow) or 'none'}")


if __name__ == "__main__":
    main()
