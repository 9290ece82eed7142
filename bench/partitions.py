"""Ten years of Almere's redemptions and rides on PostgreSQL, with and without declarative
partitioning by year (issue 16, item 7): does partitioning pay?

Two databases on one server get the app's ``redemption`` and ``ride`` tables, column for column
and index for index as the models define them, without their foreign keys (the other tables are
not there; both variants lack them alike, so the difference measured is the partitioning). One
variant is the plain table; the other is ``PARTITION BY RANGE`` on the time column
(``created_at``, ``ridden_at``) with one partition a year, which forces the time column into
the primary key and into every unique constraint: the redemption's ``reference`` and the ride's
``(partner_id, ride_ref)`` are then unique only per year, a rule the app relies on today.

Both get the same rows (deterministic, ``INSERT ... SELECT generate_series``: 1.5 million a
year, a third redemptions and two thirds rides, over 2017 to 2026), then VACUUM ANALYZE.
A third variant is the plain table with a BRIN index on the time column. Timed, each as a
ratio to plain in the same run, median of ``--runs``:

- the queries the app runs on these tables: a partner's transactions of a month (the portal),
  a month's redemptions per partner (settlement), the figures of one period's grants (reports:
  by ``grant_id``), a ride looked up by its validator id (every ride upload), a pass's rides;
- single-row inserts, one transaction each (the counter);
- retention: removing the oldest year (``DELETE`` plus ``VACUUM`` against ``DROP TABLE`` of
  its partition), last, because it destroys that year.

    PYTHONPATH=. .venv/bin/python bench/partitions.py [--years 10] [--per-year 1500000]
        [--runs 7] [--order plain,brin,partitioned] [--json FILE]

PostgreSQL: ALMEREPAS_BENCH_POSTGRES_URL, or a throwaway cluster started and stopped here.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import (  # noqa: E402
    Connection,
    Engine,
    ForeignKeyConstraint,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    UniqueConstraint,
    text,
)
from sqlalchemy.schema import CreateIndex, CreateTable  # noqa: E402

from almerepas.core.db import make_engine  # noqa: E402
from almerepas.redemptions.models import Redemption, Ride  # noqa: E402
from bench._cluster import fresh_database, postgres_server  # noqa: E402

FIRST_YEAR = 2017
#: the time column each table is partitioned on
TIME_COLUMN = {"redemption": "created_at", "ride": "ridden_at"}
PARTNERS = 500
GRANTS_PER_MONTH = 40_000
PASSES = 30_000


def _copy(table: Table, metadata: MetaData, partitioned: bool) -> Table:
    """The app's table without its foreign keys; partitioned: the time column in every key."""
    copy = table.to_metadata(metadata)
    for constraint in [c for c in copy.constraints if isinstance(c, ForeignKeyConstraint)]:
        copy.constraints.discard(constraint)
    for column in copy.columns:
        column.foreign_keys.clear()
    if not partitioned:
        return copy
    moment = TIME_COLUMN[table.name]
    copy.dialect_options["postgresql"]["partition_by"] = f"RANGE ({moment})"
    copy.c[moment].primary_key = True
    copy.append_constraint(PrimaryKeyConstraint(copy.c.id, copy.c[moment]))
    for column in copy.columns:
        if column.unique:  # redemption.reference
            column.unique = False
            copy.append_constraint(UniqueConstraint(column, copy.c[moment]))
    for constraint in [c for c in copy.constraints if isinstance(c, UniqueConstraint)]:
        if moment not in constraint.columns:
            copy.constraints.discard(constraint)
            copy.append_constraint(UniqueConstraint(*constraint.columns, copy.c[moment]))
    return copy


def create(conn: Connection, partitioned: bool, years: int) -> list[CreateIndex]:
    """The two tables (and a partition a year); their secondary indexes, to build after the
    load, as a migration of existing data would."""
    metadata = MetaData()
    indexes = []
    for model in (Redemption, Ride):
        table = _copy(model.__table__, metadata, partitioned)  # type: ignore[arg-type]
        conn.execute(CreateTable(table))
        if partitioned:
            for year in range(FIRST_YEAR, FIRST_YEAR + years + 1):
                conn.execute(
                    text(
                        f"CREATE TABLE {table.name}_{year} PARTITION OF {table.name} "
                        f"FOR VALUES FROM ('{year}-01-01') TO ('{year + 1}-01-01')"
                    )
                )
        indexes += [CreateIndex(index) for index in table.indexes if not index.unique]
    return indexes


def load(conn: Connection, years: int, per_year: int) -> dict[str, float]:
    """The same rows in both variants: a third redemptions, two thirds rides, spread evenly."""
    seconds = years * 365.25 * 86400
    redemptions = years * per_year // 3
    rides = years * per_year - redemptions
    timings = {}
    started = time.perf_counter()
    conn.execute(
        text(
            f"""
        INSERT INTO redemption (id, grant_id, entry_id, amount, reversed, payee_account_id,
            reference, created_at, partner_id, location_id, scan_id, basket_amount)
        SELECT i,
            (floor(i::float8 / {redemptions} * {years * 12})::int) * {GRANTS_PER_MONTH}
                + (i * 7919) % {GRANTS_PER_MONTH},
            i, 100 + (i * 31) % 4900, CASE WHEN i % 50 = 0 THEN 100 ELSE 0 END, 1 + i % 3,
            'partner-' || (i % {PARTNERS}) || '-' || i,
            TIMESTAMPTZ '{FIRST_YEAR}-01-01' + (i::float8 / {redemptions} * {seconds}) * INTERVAL
                '1 second',
            1 + (i * 13) % {PARTNERS}, 1 + (i * 13) % {PARTNERS}, i, NULL
        FROM generate_series(1::bigint, {redemptions}) AS i
    """
        )
    )
    timings["load redemptions"] = time.perf_counter() - started
    started = time.perf_counter()
    conn.execute(
        text(
            f"""
        INSERT INTO ride (id, partner_id, ride_ref, location_id, device_id, pass_id, grant_id,
            line, stop, ridden_at, received_at, result, online, pseudonym, step)
        SELECT i, 1 + i % 3, 'v' || (i % 400) || '-' || i, 1, 1 + i % 400,
            1 + (i * 7919) % {PASSES},
            (floor(i::float8 / {rides} * {years * 12})::int) * {GRANTS_PER_MONTH}
                + (i * 7919) % {PASSES},
            'M' || (1 + i % 12), 'halte ' || (i % 300),
            TIMESTAMPTZ '{FIRST_YEAR}-01-01' + (i::float8 / {rides} * {seconds}) * INTERVAL
                '1 second',
            TIMESTAMPTZ '{FIRST_YEAR}-01-01' + (i::float8 / {rides} * {seconds} + 3600)
                * INTERVAL '1 second',
            CASE WHEN i % 97 = 0 THEN 'credential_expired' ELSE 'ok' END, i % 5 = 0,
            substr(md5(i::text), 1, 22), NULL
        FROM generate_series(1::bigint, {rides}) AS i
    """
        )
    )
    timings["load rides"] = time.perf_counter() - started
    return timings


def _month(years: int) -> tuple[str, str, int]:
    """The last full month of the data, and the first grant id of that month."""
    year = FIRST_YEAR + years - 1
    return f"{year}-06-01", f"{year}-07-01", ((years - 1) * 12 + 5) * GRANTS_PER_MONTH


def queries(years: int) -> list[tuple[str, str]]:
    start, end, first_grant = _month(years)
    period_grants = f"SELECT generate_series({first_grant}, {first_grant + 4_999})"
    return [
        ("partner's transactions, a month (portal)",
         f"SELECT id, amount, created_at FROM redemption WHERE partner_id = 42 AND created_at"
         f" >= '{start}' AND created_at < '{end}' ORDER BY created_at DESC LIMIT 50"),
        ("partner's transactions, latest (portal)",
         "SELECT id, amount, created_at FROM redemption WHERE partner_id = 42"
         " ORDER BY created_at DESC LIMIT 50"),
        ("a month per partner (settlement)",
         f"SELECT partner_id, count(*), sum(amount - reversed) FROM redemption"
         f" WHERE created_at >= '{start}' AND created_at < '{end}' GROUP BY partner_id"),
        ("5,000 grants of a period (reports)",
         f"SELECT grant_id, sum(amount), sum(reversed), min(created_at) FROM redemption"
         f" WHERE grant_id IN ({period_grants}) GROUP BY grant_id"),
        ("a ride by its validator id (upload)",
         "SELECT id, result FROM ride WHERE partner_id = 2 AND ride_ref = 'v1-4000001'"),
        ("a pass's rides (holder page)",
         "SELECT id, ridden_at, result FROM ride WHERE pass_id = 4242"
         " ORDER BY ridden_at DESC LIMIT 20"),
        ("a month's rides of a line (validator report)",
         f"SELECT count(*) FROM ride WHERE partner_id = 2 AND ridden_at >= '{start}'"
         f" AND ridden_at < '{end}'"),
    ]  # fmt: skip


def timed(engine: Engine, sql: str, runs: int) -> tuple[float, bool]:
    """Median milliseconds of ``sql`` (warm, after one untimed run), and whether its plan reads
    a table with a sequential scan."""
    with engine.connect() as conn:
        plan = json.dumps(conn.execute(text(f"EXPLAIN (FORMAT JSON) {sql}")).scalar_one())
        conn.execute(text(sql)).all()
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            conn.execute(text(sql)).all()
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), '"Seq Scan"' in plan


def inserts(engine: Engine, years: int, count: int) -> float:
    """Milliseconds per single-row redemption insert, one transaction each (the counter); the
    id is given, as the partitioned table's composite key has no identity of its own."""
    start, _, _ = _month(years)
    statement = text(
        "INSERT INTO redemption (id, grant_id, entry_id, amount, reversed, payee_account_id,"
        " reference, created_at, partner_id, location_id, scan_id)"
        " VALUES (:id, :grant, 1, 500, 0, 1, :reference,"
        f" TIMESTAMPTZ '{start}' + INTERVAL '3 days', 42, 42, NULL)"
    )
    with engine.connect() as conn:
        started = time.perf_counter()
        for n in range(count):
            conn.execute(statement, {"id": 10**9 + n, "grant": n, "reference": f"bench-insert-{n}"})
            conn.commit()
    return (time.perf_counter() - started) * 1000 / count


def retention(engine: Engine, partitioned: bool) -> float:
    """Seconds to remove the oldest year of both tables for good (the data is gone after): a
    DELETE and the VACUUM that makes its space usable again, or dropping the year's partitions."""
    end = f"{FIRST_YEAR + 1}-01-01"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        started = time.perf_counter()
        for table, moment in TIME_COLUMN.items():
            if partitioned:
                conn.execute(text(f"DROP TABLE {table}_{FIRST_YEAR}"))
            else:
                conn.execute(text(f"DELETE FROM {table} WHERE {moment} < '{end}'"))
                conn.execute(text(f"VACUUM {table}"))
        return time.perf_counter() - started


def size(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c"
                    " WHERE c.relkind IN ('r', 'p') AND (c.relname LIKE 'redemption%'"
                    " OR c.relname LIKE 'ride%')"
                )
            ).scalar_one()
        )


#: the variants: the app's tables as they are; the same with a BRIN index on the time column
#: (a few pages per million rows: what a table filled in time order can use for a time range);
#: partitioned by year
VARIANTS = ("plain", "brin", "partitioned")


def variant(admin: str, name: str, args: argparse.Namespace) -> dict[str, Any]:
    partitioned = name == "partitioned"
    engine = make_engine(fresh_database(admin, f"bench_{name}"))
    with engine.begin() as conn:
        indexes = create(conn, partitioned, args.years)
        result: dict[str, Any] = load(conn, args.years, args.per_year)
        started = time.perf_counter()
        for index in indexes:
            conn.execute(index)
        if name == "brin":
            for table, moment in TIME_COLUMN.items():
                conn.execute(
                    text(f"CREATE INDEX {table}_{moment}_brin ON {table} USING brin ({moment})")
                )
        result["indexes"] = time.perf_counter() - started
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        started = time.perf_counter()
        conn.execute(text("VACUUM ANALYZE"))
        result["vacuum analyze"] = time.perf_counter() - started
    result["bytes"] = size(engine)
    result["queries"] = {label: timed(engine, sql, args.runs) for label, sql in queries(args.years)}
    result["insert ms"] = inserts(engine, args.years, args.inserts)
    result["retention s"] = retention(engine, partitioned)
    engine.dispose()
    return result


def report(results: dict[str, dict[str, Any]]) -> None:
    """Each figure per variant, and each variant as a ratio to plain; * marks a plan with a
    sequential scan."""
    others = [name for name in results if name != "plain"]
    print(f"  {'':44} {'':3}" + "".join(f"{name:>12}" for name in results)
          + "".join(f"{name + '/plain':>19}" for name in others))  # fmt: skip

    def line(label: str, unit: str, values: dict[str, float], seq: dict[str, bool]) -> None:
        cells = "".join(f"{values[n]:11.2f}{'*' if seq.get(n) else ' '}" for n in results)
        ratios = "".join(f"{values[n] / values['plain']:19.2f}" for n in others)
        print(f"  {label:44} {unit:3}{cells}{ratios}")

    for key in ("load redemptions", "load rides", "indexes", "vacuum analyze", "retention s"):
        line(key, "s", {n: r[key] for n, r in results.items()}, {})
    line("size", "MiB", {n: r["bytes"] / 2**20 for n, r in results.items()}, {})
    line("single-row insert", "ms", {n: r["insert ms"] for n, r in results.items()}, {})
    for label in results["plain"]["queries"]:
        timings = {n: r["queries"][label] for n, r in results.items()}
        line(label, "ms", {n: t[0] for n, t in timings.items()},
             {n: t[1] for n, t in timings.items()})  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--per-year", type=int, default=1_500_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--inserts", type=int, default=2000)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--order", default=",".join(VARIANTS), help="variants, in this order")
    args = parser.parse_args()
    with postgres_server() as admin:
        results = {}
        for name in args.order.split(","):  # each variant is its own database on one server
            started = time.perf_counter()
            results[name] = variant(admin, name, args)
            print(f"{name}: {time.perf_counter() - started:.0f} s", flush=True)
    report({name: results[name] for name in VARIANTS if name in results})
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
