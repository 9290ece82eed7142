"""One batch of 10,000 offline rides through record_rides, on SQLite and PostgreSQL, against two
baselines measured in the same run on the same data.

- **insert**: the same 10,000 ride rows inserted with a plain executemany on the driver
  connection, in one transaction: what storing the rides costs at the least;
- **verify**: the offline kit's ``verify`` of the same 10,000 codes with one registry and nothing
  else (no database): what checking the codes costs at the least.

The batch is 100 holders with 100 rides each, half showing a phone (a new code every 30
seconds), half a printed card. The figures that matter are the ratios: this machine is shared and
noisy, so absolute times from one run mean little.

    .venv/bin/python bench/rides.py [--rides-per-holder 100] [--repeat 3] [--backend both]

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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from almerepas.audit.log import Actor  # noqa: E402
from almerepas.contracts.models import Device, Location, Partner  # noqa: E402
from almerepas.core import migrate  # noqa: E402
from almerepas.core.db import make_engine  # noqa: E402
from almerepas.passes import keys as signing  # noqa: E402
from almerepas.passes.credential_models import KeyFamily  # noqa: E402
from almerepas.redemptions.rides import RideInput, record_rides  # noqa: E402
from almerepas.reference.loaders import load_norms, load_postcodes, load_schemes  # noqa: E402
from almerepas.validator import CheckedCredentials, Context, verify  # noqa: E402
from bench._cluster import fresh_database, postgres_server  # noqa: E402
from tests.factories import KEYS  # noqa: E402
from tests.fixtures import START  # noqa: E402
from tests.redemptions.ride_support import bus_operator, card_code, phone, rider  # noqa: E402

HOLDERS = 100
RIDE = START + dt.timedelta(minutes=10)
UPLOAD = START + dt.timedelta(days=1)
ACTOR = Actor("bench")


class _NoReplay:
    def first_use(self, pseudonym: str, step: int) -> bool:
        return True


def populate(engine: Engine, per_holder: int) -> tuple[dict[str, int], list[RideInput]]:
    """Reference data, keys, the bus operator and its holders, and the batch (not timed)."""
    with Session(engine) as session:
        load_postcodes(session)
        load_norms(session)
        load_schemes(session)
        signing.ensure_keys(session, keys=KEYS, actor=ACTOR, now=START)
        operator = bus_operator(session)
        rides: list[RideInput] = []
        for n in range(HOLDERS):
            holder = rider(session)
            moments = [RIDE + dt.timedelta(seconds=30 * k) for k in range(per_holder)]
            if n % 2:
                shown = phone(session, holder)
                codes = [shown.code(at) for at in moments]
            else:
                codes = [card_code(session, holder)] * per_holder
            rides += [
                RideInput(f"{n}-{k}", code, at, "M1", "Centrum")
                for k, (code, at) in enumerate(zip(codes, moments, strict=True))
            ]
        ids = {
            "partner": operator.partner.id,
            "location": operator.location.id,
            "device": operator.device.id,
        }
        session.commit()
    return ids, rides


def run_rides(engine: Engine, ids: dict[str, int], rides: list[RideInput]) -> int:
    with Session(engine) as session:
        results = record_rides(
            session,
            partner=session.get_one(Partner, ids["partner"]),
            location=session.get_one(Location, ids["location"]),
            device=session.get_one(Device, ids["device"]),
            rides=rides,
            now=UPLOAD,
            actor=ACTOR,
        )
        session.commit()
    ok = sum(r.result == "ok" for r in results)
    assert ok == len(rides), {r.result for r in results}
    return ok


def insert_baseline(engine: Engine, ids: dict[str, int], rides: list[RideInput]) -> int:
    """The same rows, plain executemany on the driver connection, one transaction."""
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        param = "?" if engine.dialect.name == "sqlite" else "%s"
        if engine.dialect.name == "sqlite":
            cur.execute("BEGIN IMMEDIATE")
        received = UPLOAD.replace(tzinfo=None)
        cur.executemany(
            "INSERT INTO ride (partner_id, ride_ref, location_id, device_id, pass_id, grant_id, "
            "line, stop, ridden_at, received_at, result, online, pseudonym, step) VALUES "
            f"({', '.join([param] * 14)})",
            [
                (ids["partner"], f"raw-{ride.ride_ref}", ids["location"], ids["device"], None,
                 None, ride.line, ride.stop, ride.ridden_at.replace(tzinfo=None), received, "ok",
                 False, None, None)
                for ride in rides
            ],
        )  # fmt: skip
        raw.commit()
    finally:
        raw.close()
    return len(rides)


def verify_baseline(engine: Engine, rides: list[RideInput]) -> int:
    """The kit alone: every code verified once with one registry, a cache, no database."""
    with Session(engine) as session:
        registry = signing.registry(session, (KeyFamily.phone, KeyFamily.card), now=RIDE)
    cache = CheckedCredentials(size=len(rides) + 1)
    for ride in rides:
        verify(
            ride.code,
            registry=registry,
            now=ride.ridden_at,
            replay=_NoReplay(),
            revocations=frozenset(),
            context=Context(),
            cache=cache,
        )
    return len(rides)


def timed(fn: Callable[[], int]) -> tuple[float, int]:
    start = time.perf_counter()
    count = fn()
    return time.perf_counter() - start, count


def bench_backend(
    name: str, url_for: Callable[[], str], per_holder: int, repeat: int
) -> dict[str, Any]:
    runs: list[dict[str, float]] = []
    for _ in range(repeat):
        engine = make_engine(url_for())
        migrate.upgrade(engine)
        ids, rides = populate(engine, per_holder)
        insert_s, inserted = timed(lambda: insert_baseline(engine, ids, rides))  # noqa: B023
        verify_s, verified = timed(lambda: verify_baseline(engine, rides))  # noqa: B023
        run_s, ok = timed(lambda: run_rides(engine, ids, rides))  # noqa: B023
        engine.dispose()
        assert ok == inserted == verified == len(rides)
        floor = insert_s + verify_s
        runs.append(
            {
                "record_rides_s": run_s,
                "insert_s": insert_s,
                "verify_s": verify_s,
                "rides_per_s": len(rides) / run_s,
                "ratio_to_insert": run_s / insert_s,
                "ratio_to_insert_plus_verify": run_s / floor,
            }
        )
        print(
            f"  {name}: {len(rides)} rides in {run_s:.2f} s ({len(rides) / run_s:.0f}/s); "
            f"insert {insert_s:.2f} s, verify {verify_s:.2f} s; "
            f"ratio to insert+verify {run_s / floor:.1f}"
        )
    return {
        "backend": name,
        "rides": HOLDERS * per_holder,
        "runs": runs,
        **{f"median_{key}": statistics.median(r[key] for r in runs) for key in runs[0]},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rides-per-holder", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        counter = iter(range(1000))
        if args.backend in ("sqlite", "both"):

            def sqlite_url() -> str:
                return f"sqlite:///{tmp}/bench{next(counter)}.sqlite3"

            results.append(bench_backend("sqlite", sqlite_url, args.rides_per_holder, args.repeat))
        if args.backend in ("postgresql", "both"):
            with postgres_server() as admin:

                def pg_url() -> str:
                    return fresh_database(admin, f"bench_{next(counter)}")

                results.append(
                    bench_backend("postgresql", pg_url, args.rides_per_holder, args.repeat)
                )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "rides.json").write_text(json.dumps(results, indent=2))
    for r in results:
        print(
            f"{r['backend']}: {r['rides']} rides in {r['median_record_rides_s']:.2f} s "
            f"({r['median_rides_per_s']:.0f} rides/s); insert {r['median_insert_s']:.2f} s, "
            f"verify {r['median_verify_s']:.2f} s; ratio to insert "
            f"{r['median_ratio_to_insert']:.1f}, to insert+verify "
            f"{r['median_ratio_to_insert_plus_verify']:.1f} (median of {len(r['runs'])})"
        )


if __name__ == "__main__":
    main()
