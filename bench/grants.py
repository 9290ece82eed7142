"""Grant one month to 30,000 persons, on SQLite and on PostgreSQL, against a raw-SQL baseline.

The baseline inserts exactly the rows the grant run writes (accounts, journal entries,
transfers, grants) with plain executemany INSERTs on the driver connection, in one transaction,
and debits the funding account once. The figure that matters is the ratio: this machine is
shared and noisy, so absolute times from one run mean little.

    .venv/bin/python bench/grants.py [--persons 30000] [--repeat 3] [--backend sqlite|postgresql]

PostgreSQL: ALMEREPAS_BENCH_POSTGRES_URL, or a throwaway cluster started and stopped here.
"""

from __future__ import annotations

import argparse
import datetime as dt
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
        assert ledger.find_drift(session) == []
        return result.granted


def raw_baseline(engine: Engine, persons: int) -> int:
    """The same rows as the grant run, inserted with executemany on the driver connection."""
    with Session(engine) as session:
        funding = ledger.open_account(
            session, code="funding:raw:2026", name="raw", kind=AccountKind.funding,
            unit="PACK", min_balance=None,
        )  # fmt: skip
        scheme_id = session.execute(
            text("SELECT id FROM scheme WHERE code = :c"), {"c": SCHEME}
        ).scalar_one()
        session.commit()
        funding_id = funding.id
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


def timed(fn: Callable[[], int]) -> tuple[float, int]:
    start = time.perf_counter()
    count = fn()
    return time.perf_counter() - start, count


def bench_backend(
    name: str, url_for: Callable[[], str], persons: int, repeat: int
) -> dict[str, Any]:
    runs: list[dict[str, float]] = []
    for _ in range(repeat):
        engine = make_engine(url_for())
        migrate.upgrade(engine)
        populate(engine, persons)
        raw_s, raw_n = timed(lambda: raw_baseline(engine, persons))  # noqa: B023
        run_s, granted = timed(lambda: run_grants(engine))  # noqa: B023
        engine.dispose()
        assert granted == raw_n == persons, (granted, raw_n)
        runs.append({"grant_run_s": run_s, "raw_sql_s": raw_s, "ratio": run_s / raw_s})
        print(
            f"  {name}: grant run {run_s:.2f} s, raw SQL {raw_s:.2f} s, ratio {run_s / raw_s:.1f}"
        )
    ratios = [r["ratio"] for r in runs]
    return {
        "backend": name,
        "persons": persons,
        "runs": runs,
        "median_ratio": statistics.median(ratios),
        "median_grant_run_s": statistics.median(r["grant_run_s"] for r in runs),
        "median_raw_sql_s": statistics.median(r["raw_sql_s"] for r in runs),
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
            f"(raw SQL {r['median_raw_sql_s']:.2f} s), ratio {r['median_ratio']:.1f} "
            f"(median of {len(r['runs'])})"
        )


if __name__ == "__main__":
    main()
