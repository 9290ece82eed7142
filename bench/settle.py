"""One settlement run over 100,000 redemptions of 500 partners on PostgreSQL, against a raw-SQL
aggregate of the same rows measured in the same run.

The partners are made with the app's own operations (a location and a contract each, a third at
each tariff: the amount redeemed (stadsfonds), per unit (menstruatie), the discount reimbursed
(supermarkt)); the redemptions of June 2026 and a few thousand partial reversals are then
inserted with Core executemany (not timed). Each round, on the same unsettled rows:

- **prepare**: ``settlements.runs.prepare`` for 2026-06, everything (read each partner's gap,
  price, write a window per partner, a line per contract, location and kind, and a payment per
  partner, flushed); ``collect`` alone (read every source and price it, no writing) is timed
  too;
- **approve**: ``runs.approve`` by another finance user (the ledger entry per partner and scheme);
- **sepa_file**: ``paying.sepa_file`` for the 500 partners (pain.001.001.09, validated against
  its XSD as always, stored, payments booked);
- **baseline**: one SQL statement that totals the same redemptions and reversals per partner at
  their contract's tariff (what prepare computes, without writing anything);

The round is rolled back after that, so the next one settles the same rows again. The baseline's
totals must equal the run's payments. The figure that matters is the ratio: this machine is
shared and noisy, so absolute times from one run mean little. Both sides of it are the best of
``--tries`` in the round, taken in turns (baseline, prepare, baseline, ...; prepare rolled back
between), so that both meet the same load: one slow try of either moved a single measurement's
ratio by half.

    .venv/bin/python bench/settle.py [--redemptions 100000] [--partners 500] [--rounds 3]
        [--tries 3]

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

from sqlalchemy import Engine, func, insert, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from almerepas.contracts.models import Location, Partner  # noqa: E402
from almerepas.core import migrate  # noqa: E402
from almerepas.core.db import make_engine  # noqa: E402
from almerepas.ledger.models import JournalEntry  # noqa: E402
from almerepas.redemptions.models import Redemption, Reversal  # noqa: E402
from almerepas.reference.loaders import load_norms, load_postcodes, load_schemes  # noqa: E402
from almerepas.settlements import paying, runs  # noqa: E402
from almerepas.settlements.collect import collect  # noqa: E402
from almerepas.settlements.models import SettlementLine  # noqa: E402
from almerepas.settlements.payouts import Debtor  # noqa: E402
from bench._cluster import fresh_database, postgres_server  # noqa: E402
from tests.redemptions.support import child_budget, monthly_grant  # noqa: E402
from tests.settlements.support import APPROVER, JULY, PREPARER, contracted, redeem_at  # noqa: E402

PERIOD = "2026-06"
JUNE_START = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)  # 02:00 in Almere
DEBTOR = Debtor("Gemeente Almere", "NL12BNGH0285010000", "BNGHNL2G")
#: (scheme, tariff kind, tariff, what one redemption takes at most)
TARIFFS = [
    ("stadsfonds", "amount_redeemed", None, 50_00),
    ("menstruatie", "per_unit", 4_99, 3),
    ("supermarkt", "discount_reimbursed", 7_500, 20_00),
]
NAMES = ["Sportclub", "Café De Rûzie", "Drogisterij Ölçer", "Buurtsuper", "Muziekschool"]

BASELINE = """
WITH redeemed AS (
    SELECT r.partner_id AS partner_id,
           CASE c.tariff_kind
               WHEN 'amount_redeemed' THEN r.amount
               WHEN 'per_unit' THEN r.amount * c.tariff
               ELSE div(r.amount * c.tariff + 5000, 10000)
           END AS amount
    FROM redemption r
    JOIN entitlement_grant g ON g.id = r.grant_id
    JOIN contract c ON c.partner_id = r.partner_id AND c.scheme_id = g.scheme_id
    WHERE r.created_at < :cutoff
      AND NOT EXISTS (SELECT 1 FROM settlement_line l WHERE l.redemption_id = r.id
                      AND l.kind = 'redemption')
), given_back AS (
    SELECT r.partner_id AS partner_id, c.tariff_kind, c.tariff, v.amount,
           r.amount - (SELECT coalesce(sum(w.amount), 0) FROM redemption_reversal w
                       WHERE w.redemption_id = v.redemption_id AND w.id < v.id) AS left_before
    FROM redemption_reversal v
    JOIN redemption r ON r.id = v.redemption_id
    JOIN entitlement_grant g ON g.id = r.grant_id
    JOIN contract c ON c.partner_id = r.partner_id AND c.scheme_id = g.scheme_id
    WHERE v.created_at < :cutoff
      AND NOT EXISTS (SELECT 1 FROM settlement_line l WHERE l.reversal_id = v.id)
)
SELECT partner_id, sum(amount) FROM (
    SELECT partner_id, amount FROM redeemed
    UNION ALL
    SELECT partner_id,
           CASE tariff_kind
               WHEN 'amount_redeemed' THEN -amount
               WHEN 'per_unit' THEN -amount * tariff
               ELSE div((left_before - amount) * tariff + 5000, 10000)
                    - div(left_before * tariff + 5000, 10000)
           END
    FROM given_back
) priced
GROUP BY partner_id
"""


def seed(engine: Engine, redemptions: int, partners: int, reversals: int) -> dict[str, int]:
    """Partners and contracts through the app; redemptions and reversals by Core (not timed)."""
    rng = random.Random(12)
    with Session(engine) as session:
        load_postcodes(session)
        load_norms(session)
        load_schemes(session)
        grants = {
            "stadsfonds": child_budget(session, 300_00),
            "menstruatie": monthly_grant(session, "menstruatie"),
            "supermarkt": monthly_grant(session, "supermarkt"),
        }
        counters = []
        for n in range(partners):
            code, kind, tariff, most = TARIFFS[n % len(TARIFFS)]
            name = f"{NAMES[n % len(NAMES)]} {n}"
            partner, place = contracted(session, code, kind, tariff, name=name)
            counters.append((partner.id, place.id, code, most))
        # One redemption per scheme through the app: the grant, entry and payee the rest use.
        made = {}
        for pid, place_id, code, _ in counters[: len(TARIFFS)]:
            partner, place = session.get_one(Partner, pid), session.get_one(Location, place_id)
            one = redeem_at(session, grants[code], partner, place, 1, JUNE_START)
            made[code] = (one.grant_id, one.entry_id, one.payee_account_id)
        session.commit()
    seconds = 29 * 24 * 3600 + 18 * 3600  # up to 30 June 18:00 UTC
    rows: list[dict[str, Any]] = []
    for k in range(redemptions - len(TARIFFS)):
        pid, place_id, code, most = counters[k % partners]
        grant_id, entry_id, payee_id = made[code]
        rows.append(
            {
                "grant_id": grant_id,
                "entry_id": entry_id,
                "amount": rng.randint(1, most),
                "reversed": 0,
                "payee_account_id": payee_id,
                "reference": f"bench:{k}",
                "created_at": JUNE_START + dt.timedelta(seconds=rng.randrange(seconds)),
                "partner_id": pid,
                "location_id": place_id,
            }
        )
    with engine.begin() as conn:
        ids = conn.execute(
            insert(Redemption).returning(Redemption.id, sort_by_parameter_order=True), rows
        ).scalars()
        taken = list(zip(ids, rows, strict=True))
        back = rng.sample(taken, reversals)
        moments = [row["created_at"] + dt.timedelta(hours=1) for _, row in back]
        entries = conn.execute(
            insert(JournalEntry).returning(JournalEntry.id, sort_by_parameter_order=True),
            [
                {
                    "kind": "reversal",
                    "natural_key": f"bench:reversal:{n}",
                    "created_by": "bench",
                    "created_at": at,
                    "effective_at": at,
                }
                for n, at in enumerate(moments)
            ],
        ).scalars()
        given = [
            {"redemption_id": rid, "entry_id": eid, "amount": rng.randint(1, row["amount"]),
             "created_at": at}
            for (rid, row), eid, at in zip(back, entries, moments, strict=True)
        ]  # fmt: skip
        conn.execute(insert(Reversal), given)
        conn.execute(
            text("UPDATE redemption SET reversed = :amt WHERE id = :rid"),
            [{"rid": g["redemption_id"], "amt": g["amount"]} for g in given],
        )
        conn.execute(text("ANALYZE"))
    return {"redemptions": redemptions, "reversals": reversals, "partners": partners}


def one_round(engine: Engine, partners: int, tries: int) -> dict[str, float]:
    """The baseline and prepare, each the best of ``tries`` taken in turns (prepare rolled
    back between), then approve and the SEPA file; everything rolled back."""
    cutoff = runs.cutoff_of(PERIOD)[1]
    baseline = preparing = float("inf")
    with Session(engine) as session:
        start = time.perf_counter()
        sources = collect(session, cutoff=cutoff, partner_id=None)
        collected = time.perf_counter() - start
        session.rollback()
        for n in range(tries):
            with engine.connect() as conn:
                start = time.perf_counter()
                totals = dict(conn.execute(text(BASELINE), {"cutoff": cutoff}).all())
                baseline = min(baseline, time.perf_counter() - start)
            start = time.perf_counter()
            run, held = runs.prepare(session, period=PERIOD, actor=PREPARER, now=JULY)
            prepared = time.perf_counter()
            preparing = min(preparing, prepared - start)
            if n < tries - 1:
                session.rollback()
        runs.approve(session, run.id, actor=APPROVER, now=JULY, expected_hash=run.lines_hash)
        approved = time.perf_counter()
        made = paying.sepa_file(
            session, run.id, debtor=DEBTOR, schema="pain.001.001.09",
            execution_date=dt.date(2026, 7, 3), actor=APPROVER, now=JULY,
        )  # fmt: skip
        filed = time.perf_counter()
        paid = {p.partner_id: p.amount for p in run.payments}
        lines, counted = session.execute(
            select(func.count(), func.sum(SettlementLine.sources)).where(
                SettlementLine.run_id == run.id
            )
        ).one()
        assert counted == len(sources), (counted, len(sources))
        assert held == [] and made is not None and len(paid) == partners, (held, len(paid))
        assert paid == totals, "the run's payments differ from the raw-SQL totals"
        session.rollback()
    return {
        "prepare_s": preparing,
        "collect_s": collected,
        "approve_s": approved - prepared,
        "sepa_file_s": filed - approved,
        "baseline_s": baseline,
        "lines": lines,
        "ratio": preparing / baseline,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redemptions", type=int, default=100_000)
    parser.add_argument("--partners", type=int, default=500)
    parser.add_argument("--reversals", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--tries", type=int, default=3, help="each round times the best of this many"
    )
    args = parser.parse_args()
    with postgres_server() as admin:
        engine = make_engine(fresh_database(admin, "bench_settle"))
        migrate.upgrade(engine)
        start = time.perf_counter()
        sizes = seed(engine, args.redemptions, args.partners, args.reversals)
        print(f"seeded {sizes} in {time.perf_counter() - start:.1f} s")
        rounds = []
        for n in range(args.rounds):
            figures = one_round(engine, args.partners, args.tries)
            rounds.append(figures)
            print(
                f"  round {n + 1}: prepare {figures['prepare_s']:.2f} s, raw SQL "
                f"{figures['baseline_s']:.3f} s, ratio {figures['ratio']:.1f} (collect alone "
                f"{figures['collect_s']:.2f} s); approve "
                f"{figures['approve_s']:.2f} s, SEPA file {figures['sepa_file_s']:.2f} s; "
                f"{figures['lines']} lines"
            )
        engine.dispose()
    result: dict[str, Any] = {
        "backend": "postgresql",
        **sizes,
        "tries": args.tries,
        "rounds": rounds,
    }
    for key in rounds[0]:
        result[f"best_{key}"] = min(r[key] for r in rounds)
        result[f"median_{key}"] = statistics.median(r[key] for r in rounds)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "settle.json").write_text(json.dumps(result, indent=2))
    print(
        f"postgresql: prepare over {sizes['redemptions']} redemptions and {sizes['reversals']} "
        f"reversals of {sizes['partners']} partners: median {result['median_prepare_s']:.2f} s "
        f"(best {result['best_prepare_s']:.2f}), raw SQL median "
        f"{result['median_baseline_s']:.3f} s "
        f"(best {result['best_baseline_s']:.3f}), ratio median {result['median_ratio']:.1f} "
        f"(best {result['best_ratio']:.1f}); approve {result['median_approve_s']:.2f} s, "
        f"SEPA file {result['median_sepa_file_s']:.2f} s (medians of {len(rounds)})"
    )


if __name__ == "__main__":
    main()
