"""Grant one month to 30,000 persons, on SQLite and on PostgreSQL, against a raw-SQL baseline.

The baselines insert exactly the rows the grant run writes (accounts, journal entries,
transfers, grants) on the driver connection, in one transaction, and debit the funding account
once: with plain executemany INSERTs, and on PostgreSQL also with COPY. The figure that matters
is the ratio to the fastest of them (COPY on PostgreSQL, executemany on SQLite): this machine
is shared and noisy, so absolute times from one run mean little. Each run also prints how long
Python's cyclic collector ran inside the grant run (grants/collector.py says why it matters).

    .venv/bin/python bench/grants.py [--persons 30000] [--repeat 3] [--backend sqlite|postgresql]

PostgreSQL: ALMEREPAS_BENCH_POSTGRES_URL, or a throwaway cluster started and stopped here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, func, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from almerepas.audit.log import Actor  # noqa: E402
from almerepas.core import migrate  # noqa: E402
from almerepas.core.db import make_engine  # noqa: E402
from almerepas.grants import runs as grants  # noqa: E402
from almerepas.income import norms  # noqa: E402
from almerepas.ledger import posting as ledger  # noqa: E402
from almerepas.models import AccountKind, AgeBand, HouseholdType, Norm  # noqa: E402
from almerepas.reference.loaders import (  # noqa: E402
    load_norms,
    load_postcodes,
    load_schemes,
    seed_norm_rows,
)
from bench._cluster import fresh_database, postgres_server  # noqa: E402

PERIOD = "2026-03"
TODAY = dt.date(2026, 3, 1)
SCHEME = "menstruatie"  # a quota for everyone aged 10 and over: every person gets a grant


def norms_through(session: Session, year: int) -> None:
    """A year past the published tables gets the last published half-year carried forward as
    provisional rows, so a bench or test seeded on the machine's clock runs in any year."""
    last_to = session.scalar(select(func.max(Norm.valid_to)))
    end = dt.date(year, 12, 31)
    if last_to is None or last_to >= end:
        return
    last = [r for r in seed_norm_rows() if r.valid_to == last_to]
    rows = norms.derive_provisional(
        last, valid_from=last_to + dt.timedelta(days=1), valid_to=end, factor=Fraction(1),
        note="bench: the last published table carried forward",
    )  # fmt: skip
    norms.import_norms(session, rows, actor=Actor("bench"), source="bench")


def populate(engine: Engine, persons: int, *, year: int = 2026) -> None:
    """Households of three adults-or-teens at 100% of the norm, assessed for ``year``, written
    directly (not timed)."""
    households = persons // 3
    with Session(engine) as session:  # the domain needs no app and no request
        load_postcodes(session)
        load_norms(session)
        norms_through(session, year)
        load_schemes(session)
        session.commit()
        norm_id, norm = session.execute(
            select(Norm.id, Norm.amount).where(
                Norm.household_type == HouseholdType.couple,
                Norm.age_band == AgeBand.adult,
                Norm.valid_from <= dt.date(year, 1, 1),
                Norm.valid_to >= dt.date(year, 1, 1),
            )
        ).one()
    now = dt.datetime(year, 1, 1, tzinfo=dt.UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO household (id, postcode, house_number, street, district, language, "
                "letters_by_post, created_at) VALUES (:id, '1315AB', :id, 'Bench', 'almere_stad', "
                "'nl', false, :now)"
            ),
            [{"id": h, "now": now} for h in range(1, households + 1)],
        )
        people = []
        members = []
        for h in range(1, households + 1):
            for k, (role, born) in enumerate(
                (("applicant", 1985), ("partner", 1987), ("child", 2012))
            ):
                pid = (h - 1) * 3 + k + 1
                people.append({"id": pid, "born": dt.date(born, 5, 5), "now": now})
                members.append({"id": pid, "h": h, "p": pid, "role": role})
        conn.execute(
            text(
                "INSERT INTO person (id, given_name, family_name, date_of_birth, created_at) "
                "VALUES (:id, 'Test', 'Bench', :born, :now)"
            ),
            people,
        )
        conn.execute(
            text(
                "INSERT INTO membership (id, household_id, person_id, role, valid_from) "
                "VALUES (:id, :h, :p, :role, '2020-01-01')"
            ),
            members,
        )
        conn.execute(
            text(
                "INSERT INTO income_assessment (household_id, assessed_on, valid_from, valid_to, "
                "net_income, norm_id, norm_amount, household_type, percentage_bp, assessed_by, "
                "created_at) VALUES (:h, :start, :start, :end, :income, "
                ":norm_id, :norm, 'couple', 10000, 'bench', :now)"
            ),
            [
                {
                    "h": h,
                    "income": norm,
                    "norm_id": norm_id,
                    "norm": norm,
                    "now": now,
                    "start": dt.date(year, 1, 1),
                    "end": dt.date(year, 12, 31),
                }
                for h in range(1, households + 1)
            ],
        )


def run_grants(engine: Engine) -> int:
    with Session(engine) as session:
        (result,) = grants.issue(
            session, period=PERIOD, actor=Actor("bench"), today=TODAY, schemes=[SCHEME]
        )
        session.commit()
        return result.granted


def check_ledger(engine: Engine) -> None:
    """Every cached balance is the sum of its transfers (not timed: the baselines check none)."""
    with Session(engine) as session:
        assert ledger.find_drift(session) == []


def _raw_funding(engine: Engine, code: str) -> tuple[int, int]:
    """A funding account for a baseline, and the scheme's id (not timed as part of the load)."""
    with Session(engine) as session:
        funding = ledger.open_account(
            session, code=code, name="raw", kind=AccountKind.funding, unit="PACK",
            min_balance=None,
        )  # fmt: skip
        scheme_id = int(
            session.execute(
                text("SELECT id FROM scheme WHERE code = :c"), {"c": SCHEME}
            ).scalar_one()
        )
        session.commit()
        return funding.id, scheme_id


def raw_baseline(engine: Engine, persons: int) -> int:
    """The same rows as the grant run, inserted with executemany on the driver connection."""
    funding_id, scheme_id = _raw_funding(engine, "funding:raw:2026")
    now = dt.datetime(2026, 3, 1, tzinfo=dt.UTC).replace(tzinfo=None)  # naive UTC, as stored
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        param = "?" if engine.dialect.name == "sqlite" else "%s"

        def q(sql: str) -> str:
            return sql.replace("?", param)

        if engine.dialect.name == "sqlite":
            cur.execute("BEGIN IMMEDIATE")
        base = 10_000_000
        ids = range(base, base + persons)
        cur.executemany(
            q("INSERT INTO account (id, code, name, kind, unit, min_balance, balance, created_at) "
              "VALUES (?, ?, 'raw', 'entitlement', 'PACK', 0, 3, ?)"),
            [(i, f"raw:{i}", now) for i in ids],
        )  # fmt: skip
        cur.executemany(
            q("INSERT INTO journal_entry (id, kind, natural_key, created_by, created_at, "
              "effective_at) VALUES (?, 'grant', ?, 'raw', ?, ?)"),
            [(i, f"raw:{i}", now, now) for i in ids],
        )  # fmt: skip
        cur.executemany(
            q("INSERT INTO transfer (entry_id, debit_account_id, credit_account_id, unit, amount) "
              "VALUES (?, ?, ?, 'PACK', 3)"),
            [(i, funding_id, i) for i in ids],
        )  # fmt: skip
        cur.executemany(
            q("INSERT INTO entitlement_grant (scheme_id, period, beneficiary_key, person_id, "
              "amount, account_id, entry_id, created_at) VALUES (?, 'raw', ?, ?, 3, ?, ?, ?)"),
            [(scheme_id, f"person:{i - base + 1}", i - base + 1, i, i, now) for i in ids],
        )  # fmt: skip
        cur.execute(
            q("UPDATE account SET balance = balance - ? WHERE id = ?"), (3 * persons, funding_id)
        )
        raw.commit()
    finally:
        raw.close()
    return persons


def raw_copy(engine: Engine, persons: int) -> int:
    """The same rows again, with PostgreSQL's COPY (psycopg's ``cursor.copy``): its fastest load."""
    funding_id, scheme_id = _raw_funding(engine, "funding:copy:2026")
    now = dt.datetime(2026, 3, 1, tzinfo=dt.UTC).replace(tzinfo=None)
    base = 20_000_000
    ids = range(base, base + persons)
    tables: list[tuple[str, Callable[[int], tuple[object, ...]]]] = [
        ("account (id, code, name, kind, unit, min_balance, balance, created_at)",
         lambda i: (i, f"copy:{i}", "copy", "entitlement", "PACK", 0, 3, now)),
        ("journal_entry (id, kind, natural_key, created_by, created_at, effective_at)",
         lambda i: (i, "grant", f"copy:{i}", "copy", now, now)),
        ("transfer (entry_id, debit_account_id, credit_account_id, unit, amount)",
         lambda i: (i, funding_id, i, "PACK", 3)),
        ("entitlement_grant (scheme_id, period, beneficiary_key, person_id, amount, account_id, "
         "entry_id, created_at)",
         lambda i: (scheme_id, "copy", f"person:{i - base + 1}", i - base + 1, 3, i, i, now)),
    ]  # fmt: skip
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        for table, row in tables:
            with cur.copy(f"COPY {table} FROM STDIN") as copy:  # type: ignore[attr-defined]
                for i in ids:
                    copy.write_row(row(i))
        cur.execute(
            "UPDATE account SET balance = balance - %s WHERE id = %s", (3 * persons, funding_id)
        )
        raw.commit()
    finally:
        raw.close()
    return persons


def timed(fn: Callable[[], int]) -> tuple[float, int]:
    start = time.perf_counter()
    count = fn()
    return time.perf_counter() - start, count


class CollectorClock:
    """Seconds Python's cyclic collector ran while inside (grants/collector.py's reason)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started = 0.0

    def _tick(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started

    def __enter__(self) -> CollectorClock:
        gc.callbacks.append(self._tick)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._tick)


def bench_backend(
    name: str, url_for: Callable[[], str], persons: int, repeat: int
) -> dict[str, Any]:
    runs: list[dict[str, float]] = []
    for _ in range(repeat):
        engine = make_engine(url_for())
        migrate.upgrade(engine)
        populate(engine, persons)
        raw_s, raw_n = timed(lambda: raw_baseline(engine, persons))  # noqa: B023
        copy_s = timed(lambda: raw_copy(engine, persons))[0] if name == "postgresql" else None  # noqa: B023
        with CollectorClock() as collector:
            run_s, granted = timed(lambda: run_grants(engine))  # noqa: B023
        check_ledger(engine)
        engine.dispose()
        assert granted == raw_n == persons, (granted, raw_n)
        fastest = min(raw_s, copy_s) if copy_s is not None else raw_s
        run = {"grant_run_s": run_s, "executemany_s": raw_s, "fastest_raw_s": fastest}
        run |= {"collector_s": collector.seconds}
        run |= {"copy_s": copy_s} if copy_s is not None else {}
        run |= {"ratio": run_s / fastest, "ratio_executemany": run_s / raw_s}
        runs.append(run)
        copied = f", COPY {copy_s:.2f} s" if copy_s is not None else ""
        print(
            f"  {name}: grant run {run_s:.2f} s, executemany {raw_s:.2f} s{copied}, "
            f"ratio to the fastest {run_s / fastest:.1f}; the collector {collector.seconds:.2f} s"
        )
    return {
        "backend": name,
        "persons": persons,
        "runs": runs,
        "median_ratio": statistics.median(r["ratio"] for r in runs),
        "median_ratio_executemany": statistics.median(r["ratio_executemany"] for r in runs),
        "median_grant_run_s": statistics.median(r["grant_run_s"] for r in runs),
        "median_fastest_raw_s": statistics.median(r["fastest_raw_s"] for r in runs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        counter = iter(range(1000))
        if args.backend in ("sqlite", "both"):

            def sqlite_url() -> str:
                return f"sqlite:///{tmp}/bench{next(counter)}.sqlite3"

            results.append(bench_backend("sqlite", sqlite_url, args.persons, args.repeat))
        if args.backend in ("postgresql", "both"):
            with postgres_server() as admin:

                def pg_url() -> str:
                    return fresh_database(admin, f"bench_{next(counter)}")

                results.append(bench_backend("postgresql", pg_url, args.persons, args.repeat))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "grants.json").write_text(json.dumps(results, indent=2))
    for r in results:
        print(
            f"{r['backend']}: {r['persons']} grants in {r['median_grant_run_s']:.2f} s "
            f"(fastest raw load {r['median_fastest_raw_s']:.2f} s), ratio {r['median_ratio']:.1f} "
            f"(to executemany {r['median_ratio_executemany']:.1f}; median of {len(r['runs'])})"
        )


if __name__ == "__main__":
    main()
