"""An expiry run and a norm import on 30,000 persons, each against raw SQL doing the same rows.

Expiry: the month granted by bench/grants.py's run ends; ``grants.expiry.expire`` moves what is
left of every grant back to the funding account. The raw SQL expires as many grants (the raw
baseline's own, with the same balances) by hand: it reads and locks them, loads the entries
and transfers the fastest way the database has (COPY on PostgreSQL, executemany on SQLite) and
sets the balances and the grants' expiry in three set-based UPDATEs.

Norm import: the published table for the first half of the year replaces the provisional one
the assessments were judged on, and every running decision is judged again, before and after,
as ``almerepas norms import`` does (grants/norm_changes.py: every active scheme, every person
or household). The raw SQL writes the same norm rows and judges income against the norm of the
day in one SELECT per scheme, before and after, and compares in Python; it knows none of the
finer rules (composition, age, assets, students), so it is a floor, not an equal.

    .venv/bin/python bench/batch.py [--persons 30000] [--repeat 3] [--backend sqlite|postgresql]

Ratios matter, not times: the machine is shared. PostgreSQL as in bench/grants.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from almerepas.audit.log import Actor  # noqa: E402
from almerepas.core import migrate  # noqa: E402
from almerepas.core.db import make_engine  # noqa: E402
from almerepas.grants import expiry, norm_changes  # noqa: E402
from almerepas.grants import runs as grants  # noqa: E402
from almerepas.income import norms  # noqa: E402
from almerepas.income.models import Norm  # noqa: E402
from almerepas.schemes import periods  # noqa: E402
from almerepas.schemes.models import Beneficiary  # noqa: E402
from bench._cluster import fresh_database, postgres_server  # noqa: E402
from bench.grants import PERIOD, check_ledger, populate, raw_baseline, run_grants, timed  # noqa: E402

RAW_ENTRY_BASE = 30_000_000


def _load(engine: Engine, cur: Any, table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
    """Rows in with the database's fastest load: COPY on PostgreSQL, executemany on SQLite."""
    if engine.dialect.name == "postgresql":
        with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns.split(","))
    cur.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


def raw_expiry(engine: Engine) -> int:
    """Expire the raw baseline's grants (period ``raw``) by hand, as the run would."""
    now = dt.datetime(2026, 4, 1, 0, 5, tzinfo=dt.UTC).replace(tzinfo=None)  # naive UTC
    at = dt.datetime(2026, 3, 31, 22, 59, tzinfo=dt.UTC).replace(tzinfo=None)
    pg = engine.dialect.name == "postgresql"
    p = "%s" if pg else "?"
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if not pg:
            cur.execute("BEGIN IMMEDIATE")
        cur.execute(
            "SELECT g.id, g.account_id, a.balance FROM entitlement_grant g "
            "JOIN account a ON a.id = g.account_id "
            "WHERE g.period = 'raw' AND g.expired_at IS NULL ORDER BY a.id"
            + (" FOR UPDATE OF a" if pg else "")
        )
        rows = cur.fetchall()
        cur.execute(f"SELECT id FROM account WHERE code = {p}", ("funding:raw:2026",))
        (funding_id,) = cur.fetchone()
        left = [(g, a, b) for g, a, b in rows if b > 0]
        _load(
            engine,
            cur,
            "journal_entry",
            "id, kind, natural_key, created_by, created_at, effective_at",
            [(RAW_ENTRY_BASE + g, "expiry", f"rawexp:{g}", "raw", now, at) for g, _, _ in left],
        )
        _load(
            engine,
            cur,
            "transfer",
            "entry_id, debit_account_id, credit_account_id, unit, amount",
            [(RAW_ENTRY_BASE + g, a, funding_id, "PACK", b) for g, a, b in left],
        )
        cur.execute(
            "UPDATE account SET balance = 0 WHERE id IN "
            "(SELECT account_id FROM entitlement_grant WHERE period = 'raw')"
        )
        cur.execute(
            f"UPDATE account SET balance = balance + {p} WHERE id = {p}",
            (sum(b for _, _, b in left), funding_id),
        )
        cur.execute(
            f"UPDATE entitlement_grant SET expired_at = {p}, expiry_entry_id = {p} + id "
            "WHERE period = 'raw' AND expired_at IS NULL",
            (now, RAW_ENTRY_BASE),
        )
        raw.commit()
    finally:
        raw.close()
    return len(rows)


def run_expiry(engine: Engine) -> int:
    with Session(engine) as session:
        done = expiry.expire(
            session, period=PERIOD, actor=Actor("bench"), today=dt.date(2026, 4, 1)
        )
        session.commit()
        return sum(r.expired for r in done)


def expiry_case(engine: Engine, persons: int) -> dict[str, float]:
    populate(engine, persons)
    raw_baseline(engine, persons)  # the raw grants the raw expiry expires (not timed)
    run_grants(engine)  # the grants the run expires (not timed)
    raw_s, raw_n = timed(lambda: raw_expiry(engine))
    run_s, expired = timed(lambda: run_expiry(engine))
    check_ledger(engine)
    assert expired == raw_n == persons, (expired, raw_n)
    return {"run_s": run_s, "raw_s": raw_s, "ratio": run_s / raw_s}


# -- norm import ------------------------------------------------------------------------------

YEAR = 2027
DAY = dt.date(YEAR, 1, 1)
HALF_END = dt.date(YEAR, 6, 30)


def published(engine: Engine) -> list[norms.NormRow]:
    """The first half-year's table, 2% above the provisional one it replaces."""
    with Session(engine) as session:
        rows = session.scalars(select(Norm).where(Norm.valid_from == DAY)).all()
        return [
            norms.NormRow(
                n.household_type,
                n.age_band,
                n.children,
                DAY,
                HALF_END,
                n.amount * 102 // 100,
                source="bench",
            )
            for n in rows
        ]


def run_norm_import(engine: Engine, rows: list[norms.NormRow]) -> int:
    """What `almerepas norms import` does: verdicts before, the import, verdicts after."""
    with Session(engine) as session:
        before = norm_changes.verdicts(session, [DAY])
        norms.import_norms(session, rows, actor=Actor("bench"), source="bench")
        after = norm_changes.verdicts(session, [DAY])
        norm_changes.changed_households(before, after)
        session.commit()
        return len(after)


def _raw_verdicts(cur: Any, p: str, schemes: list[tuple[str, bool, int | None]]) -> set[Any]:
    """Income against the norm of the day, per person or household, in one SELECT per scheme."""
    found = set()
    for code, per_person, pct in schemes:
        who = "m.person_id" if per_person else "m.household_id"
        limit = f"ia.net_income * 100 <= {int(pct)} * n.amount" if pct is not None else "1 = 1"
        cur.execute(
            f"SELECT DISTINCT {who}, m.household_id, CASE WHEN {limit} THEN 1 ELSE 0 END "
            "FROM membership m JOIN person pe ON pe.id = m.person_id "
            "JOIN household h ON h.id = m.household_id "
            f"LEFT JOIN income_assessment ia ON ia.household_id = m.household_id "
            f"AND ia.valid_from <= {p} AND ia.valid_to >= {p} "
            "LEFT JOIN norm n ON n.household_type = ia.household_type "
            f"AND n.age_band = '21-pension' AND n.valid_from <= {p} AND n.valid_to >= {p} "
            f"WHERE m.valid_from <= {p} AND (m.valid_to IS NULL OR m.valid_to >= {p})",
            (DAY, DAY, DAY, DAY, DAY, DAY),
        )
        found.update((code, *row) for row in cur.fetchall())
    return found


def raw_norm_import(engine: Engine, rows: list[norms.NormRow]) -> int:
    """The same rows by hand: judge, replace the provisional half-year, judge again; rolled
    back, so that the run after it imports the table for real."""
    with Session(engine) as session:
        month = periods.parse(f"{YEAR}-01")
        schemes = [
            (s.code, s.beneficiary == Beneficiary.person, s.max_income_percent)
            for s in grants.active_schemes(session, month, None)
        ]
    pg = engine.dialect.name == "postgresql"
    p = "%s" if pg else "?"
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if not pg:
            cur.execute("BEGIN IMMEDIATE")
        before = _raw_verdicts(cur, p, schemes)
        cur.executemany(
            f"UPDATE norm SET valid_from = {p} WHERE household_type = {p} AND age_band = {p} "
            f"AND children = {p} AND valid_from = {p} AND provisional",
            [
                (
                    dt.date(YEAR, 7, 1),
                    r.household_type.value,
                    r.age_band.value,
                    r.children.value,
                    DAY,
                )
                for r in rows
            ],
        )
        cur.executemany(
            "INSERT INTO norm (household_type, age_band, children, valid_from, valid_to, amount, "
            f"provisional, source) VALUES ({p}, {p}, {p}, {p}, {p}, {p}, false, 'bench')",
            [
                (
                    r.household_type.value,
                    r.age_band.value,
                    r.children.value,
                    DAY,
                    HALF_END,
                    r.amount,
                )
                for r in rows
            ],
        )
        after = _raw_verdicts(cur, p, schemes)
        changed = {row[2] for row in before ^ after}  # the households whose verdict changed
        raw.rollback()
    finally:
        raw.close()
    return len(after) + 0 * len(changed)


def norm_case(engine: Engine, persons: int) -> dict[str, float]:
    populate(engine, persons, year=YEAR)  # judged on the provisional norms of the year
    rows = published(engine)
    raw_s, _ = timed(lambda: raw_norm_import(engine, rows))
    run_s, judged = timed(lambda: run_norm_import(engine, rows))
    assert judged > 0
    return {"run_s": run_s, "raw_s": raw_s, "ratio": run_s / raw_s}


CASES: dict[str, Callable[[Engine, int], dict[str, float]]] = {
    "expiry": expiry_case,
    "norm_import": norm_case,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--case", choices=[*CASES, "all"], default="all")
    args = parser.parse_args()
    cases = list(CASES) if args.case == "all" else [args.case]
    results: list[dict[str, Any]] = []
    counter = iter(range(1000))

    def bench(backend: str, url_for: Callable[[], str]) -> None:
        for case in cases:
            runs = []
            for _ in range(args.repeat):
                engine = make_engine(url_for())
                migrate.upgrade(engine)
                runs.append(CASES[case](engine, args.persons))
                engine.dispose()
                print(
                    f"  {backend} {case}: run {runs[-1]['run_s']:.2f} s, "
                    f"raw SQL {runs[-1]['raw_s']:.2f} s, ratio {runs[-1]['ratio']:.1f}"
                )
            median = statistics.median(r["ratio"] for r in runs)
            results.append(
                {
                    "backend": backend,
                    "case": case,
                    "persons": args.persons,
                    "runs": runs,
                    "median_ratio": median,
                }
            )
            print(
                f"{backend} {case}: {args.persons} persons, ratio {median:.1f} "
                f"(median of {len(runs)})"
            )

    with tempfile.TemporaryDirectory() as tmp:
        if args.backend in ("sqlite", "both"):
            bench("sqlite", lambda: f"sqlite:///{tmp}/batch{next(counter)}.sqlite3")
        if args.backend in ("postgresql", "both"):
            with postgres_server() as admin:
                bench("postgresql", lambda: fresh_database(admin, f"batch_{next(counter)}"))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "batch.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
