"""The four signals for finance over a year of Stadsfonds use on PostgreSQL: how long each takes
for one month and for the whole year (docs/reports.md, "Signalen voor financiën").

Households are written directly (bench/grants.py's ``populate``: three persons each, one a
child of 14), the yearly grants by the app's own grant run (each child € 300, a ledger account
each). Then, by Core executemany (not timed), every child's budget is used in one to four
redemptions through 2026 at random partners, half of them down to zero, each with its journal
entry, its transfer on the grant's account and its scan; and as many scans again without a
redemption. Each round runs the four queries with the default thresholds.

    .venv/bin/python bench/signals.py [--persons 24000] [--partners 300] [--rounds 3]

PostgreSQL: ALMEREPAS_BENCH_POSTGRES_URL, or a throwaway cluster started and stopped here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, insert, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from almerepas.audit.log import Actor  # noqa: E402
from almerepas.core import migrate  # noqa: E402
from almerepas.core.db import make_engine  # noqa: E402
from almerepas.grants import runs as grants  # noqa: E402
from almerepas.grants.models import Grant  # noqa: E402
from almerepas.ledger.models import JournalEntry, Transfer  # noqa: E402
from almerepas.passes.models import Pass  # noqa: E402
from almerepas.redemptions import ledger as booking  # noqa: E402
from almerepas.redemptions.models import Redemption, Scan  # noqa: E402
from almerepas.reports import signals  # noqa: E402
from bench._cluster import fresh_database, postgres_server  # noqa: E402
from bench.grants import populate  # noqa: E402
from tests.factories import make_location, make_partner  # noqa: E402

YEAR_START = dt.datetime(2026, 1, 2, 8, 0, tzinfo=dt.UTC)
SECONDS = 360 * 24 * 3600


def seed(engine: Engine, persons: int, partners: int) -> dict[str, int]:
    rng = random.Random(14)
    populate(engine, persons)
    with Session(engine) as session:
        grants.issue(
            session, period="2026", actor=Actor("bench"), today=dt.date(2026, 1, 2),
            schemes=["stadsfonds"],
        )  # fmt: skip
        counters = []
        for n in range(partners):
            partner = make_partner(session, f"Partner {n}")
            place = make_location(session, partner, f"Locatie {n}")
            payee = booking.payee_account(session, f"partner:{partner.id}")
            counters.append((partner.id, place.id, payee.id))
        session.commit()
        budgets = session.execute(
            select(Grant.id, Grant.account_id, Grant.person_id, Grant.amount).where(
                Grant.period == "2026"
            )
        ).all()
    uses: list[dict[str, Any]] = []
    for grant_id, account_id, person_id, amount in budgets:
        parts = rng.randint(1, 4)
        left = amount if rng.random() < 0.5 else amount - rng.randint(1, amount // 2)
        cuts = sorted(rng.sample(range(1, left), parts - 1)) if parts > 1 else []
        pieces = [b - a for a, b in zip([0, *cuts], [*cuts, left], strict=True)]
        moments = sorted(YEAR_START + dt.timedelta(seconds=rng.randrange(SECONDS)) for _ in pieces)
        for piece, at in zip(pieces, moments, strict=True):
            uses.append({"grant": grant_id, "account": account_id, "person": person_id,
                         "amount": piece, "at": at, "counter": rng.choice(counters)})  # fmt: skip
    uses.sort(key=lambda u: u["at"])  # entry ids follow time, as under the account's lock
    with engine.begin() as conn:
        people = sorted({u["person"] for u in uses})
        pass_ids = dict(
            zip(
                people,
                conn.execute(
                    insert(Pass).returning(Pass.id, sort_by_parameter_order=True),
                    [
                        {
                            "number": f"{p:013d}",
                            "person_id": p,
                            "status": "active",
                            "generation": 1,
                            "valid_from": dt.date(2026, 1, 1),
                            "valid_until": dt.date(2027, 12, 31),
                            "issued_at": YEAR_START,
                        }
                        for p in people
                    ],
                ).scalars(),
                strict=True,
            )
        )
        entries = conn.execute(
            insert(JournalEntry).returning(JournalEntry.id, sort_by_parameter_order=True),
            [{"kind": "redemption", "natural_key": f"bench:{n}", "created_by": "bench",
              "created_at": u["at"], "effective_at": u["at"]} for n, u in enumerate(uses)],
        ).scalars().all()  # fmt: skip
        conn.execute(
            insert(Transfer),
            [{"entry_id": e, "debit_account_id": u["account"], "credit_account_id": u["counter"][2],
              "unit": "EUR", "amount": u["amount"]} for e, u in zip(entries, uses, strict=True)],
        )  # fmt: skip
        scan_rows = [
            {"reference": f"bench-scan-{n}", "pass_id": pass_ids[u["person"]],
             "partner_id": u["counter"][0], "location_id": u["counter"][1], "method": "card",
             "scanned_at": u["at"] - dt.timedelta(seconds=20), "expires_at": u["at"]}
            for n, u in enumerate(uses)
        ]  # fmt: skip
        scan_ids = (
            conn.execute(insert(Scan).returning(Scan.id, sort_by_parameter_order=True), scan_rows)
            .scalars()
            .all()
        )
        conn.execute(
            insert(Redemption),
            [{"grant_id": u["grant"], "entry_id": e, "amount": u["amount"], "reversed": 0,
              "payee_account_id": u["counter"][2], "reference": f"bench:{n}",
              "created_at": u["at"], "partner_id": u["counter"][0],
              "location_id": u["counter"][1], "scan_id": s}
             for n, (e, s, u) in enumerate(zip(entries, scan_ids, uses, strict=True))],
        )  # fmt: skip
        # As many scans again without a redemption (offers), at random places and times.
        extra = []
        passes_made = list(pass_ids.values())
        for n in range(len(uses)):
            partner_id, location_id, _payee = rng.choice(counters)
            at = YEAR_START + dt.timedelta(seconds=rng.randrange(SECONDS))
            extra.append({"reference": f"bench-offer-{n}", "pass_id": rng.choice(passes_made),
                          "partner_id": partner_id, "location_id": location_id, "method": "phone",
                          "scanned_at": at, "expires_at": at})  # fmt: skip
        conn.execute(insert(Scan), extra)
        conn.execute(text("ANALYZE"))
    return {"grants": len(budgets), "redemptions": len(uses), "scans": 2 * len(uses),
            "partners": partners}  # fmt: skip


def one_round(engine: Engine, first: dt.date, last: dt.date) -> dict[str, Any]:
    times: dict[str, Any] = {}
    with Session(engine) as session:
        for name in ("whole_budgets", "expiry_spikes", "unusual_days", "two_places"):
            start = time.perf_counter()
            found = getattr(signals, name)(session, first, last)
            times[f"{name}_s"] = time.perf_counter() - start
            times[f"{name}_listed"] = len(found)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=24_000)
    parser.add_argument("--partners", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    result: dict[str, Any] = {"backend": "postgresql"}
    with postgres_server() as admin:
        engine = make_engine(fresh_database(admin, "bench_signals"))
        migrate.upgrade(engine)
        start = time.perf_counter()
        result.update(seed(engine, args.persons, args.partners))
        print(f"seeded {result} in {time.perf_counter() - start:.1f} s")
        for label, first, last in (
            ("december", dt.date(2026, 12, 1), dt.date(2026, 12, 31)),
            ("year", dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
        ):
            rounds = [one_round(engine, first, last) for _ in range(args.rounds)]
            result[label] = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
            print(label, json.dumps(result[label]))
        # How many days signal 3 lists in December as the minimum amount rises.
        with Session(engine) as session:
            result["december_unusual_days_by_min_amount"] = {
                cents: len(
                    signals.unusual_days(
                        session, dt.date(2026, 12, 1), dt.date(2026, 12, 31),
                        signals.Thresholds(min_amount=cents),
                    )
                )
                for cents in (500_00, 1000_00, 2000_00, 5000_00)
            }  # fmt: skip
        print(json.dumps(result["december_unusual_days_by_min_amount"]))
        engine.dispose()
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "signals.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
