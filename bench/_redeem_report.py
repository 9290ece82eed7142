"""The redemption bench's table, its ratios to the floor and the issue's targets: read from the
results bench/redeem.py writes (bench/results/redeem.json), so a past run can be shown again."""

from __future__ import annotations

import statistics
from typing import Any


def fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def report(results: dict[str, Any]) -> None:
    print()
    print("one unit: a scan + redemption pair (ours), a scan (scans), a request (floor)")
    print(f"{'target':<6} {'c':>3} {'req/s':>7} {'units/s':>13} {'p50':>6} {'p95':>6} "
          f"{'p99':>6} {'app CPU':>8} {'PG CPU':>7} {'wrk CPU':>7} {'non-2xx':>7}")  # fmt: skip
    print(f"{'':<6} {'':>3} {'':>7} {'':>13} {'ms':>6} {'ms':>6} {'ms':>6} "
          f"{'ms/unit':>8} {'ms/unit':>7} {'share':>7}")  # fmt: skip
    for w in results["windows"]:
        pair = w["latency_ms"].get("pair", {})
        print(
            f"{w['target']:<6} {w['concurrency']:>3} {w['requests_per_s']:>7,.0f} "
            f"{w['redemptions_per_s']:>13,.1f} {fmt(pair.get('p50'))!s:>6} "
            f"{fmt(pair.get('p95'))!s:>6} {fmt(pair.get('p99'))!s:>6} "
            f"{w['app_cpu_ms_per_redemption']:>8.2f} {w['db_cpu_ms_per_redemption']:>7.2f} "
            f"{w['wrk_cpu_share_of_2_cores']:>7.1%} {w['non_2xx']:>7}"
        )
        if w["target"] == "ours":
            for kind in ("scan", "redeem"):
                lat = w["latency_ms"].get(kind, {})
                print(f"{'':<6} {'':>3}   {kind:<8} p50 {fmt(lat.get('p50'))} "
                      f"p95 {fmt(lat.get('p95'))} p99 {fmt(lat.get('p99'))} ms")  # fmt: skip
    print()
    for title, key in (("ours", "ratios"), ("scans alone", "scan_ratios")):
        if not results.get(key):
            continue
        print(f"{title} / floor (median over rounds):")
        for c, r in results[key].items():
            print(
                f"  c={c}: throughput {r['throughput']:.2f}, p50 {r['p50']:.2f}, "
                f"p99 {r['p99']:.2f}, app CPU {r['app_cpu']:.2f}, PG CPU {r['db_cpu']:.2f}"
            )
    sql = results.get("sql")
    if sql:
        print()
        print(
            f"SQL per request (one worker, {sql['pairs']} pairs one at a time; {sql['statuses']}):"
        )
        for path, p in sql["per_request"].items():
            print(
                f"  {path}: {p['statements']} statements, {p['savepoints']} SAVEPOINT/RELEASE, "
                f"{p['begins']} BEGIN, {p['commits']} COMMIT, {p['rollbacks']} ROLLBACK: "
                f"{p['round_trips']} round trips; {p.get('thread_cpu_ms', '-')} ms CPU (thread)"
            )
        print(f"  UPDATEs per redemption {sql['updates_per_redemption']}; the most updated rows:")
        for row in sql["hottest_rows"]:
            share = row["share_of_redemptions"]
            print(
                f"    {row['table']} ({row['values']}): {row['times']} times "
                f"({share:.0%} of redemptions)"
            )
        print(f"  a row every redemption updates: {'YES' if sql['shared_hot_row'] else 'no'}")
    if "pg_statements" in results:
        print("\nPostgreSQL's time per redemption, by statement (pg_stat_statements, count phase):")
        for row in results["pg_statements"]:
            print(
                f"  {row['us_per_redemption']:>7.1f} µs ({row['calls']} calls, "
                f"{row['exec_us_per_call']} µs + plan {row['plan_us_per_call']}) {row['query']}"
            )
    print()
    for line in results["targets"]:
        print(line)


def targets(results: dict[str, Any]) -> list[str]:
    lines = ["targets (issue 11):"]
    ours = {w["concurrency"]: w for w in results["windows"] if w["target"] == "ours"}
    ratios = results["ratios"]
    if 16 in ratios:
        t = ratios[16]["throughput"]
        lines.append(
            f"  throughput at c=16 >= 0.5 of the floor: {t:.2f} {'met' if t >= 0.5 else 'NOT met'}"
        )
    if 16 in ours:
        p99 = statistics.median(
            w["latency_ms"]["pair"]["p99"]
            for w in results["windows"]
            if w["target"] == "ours" and w["concurrency"] == 16
        )
        lines.append(
            f"  p99 at c=16 < 150 ms (scan + redeem): {p99:.1f} ms "
            f"{'met' if p99 < 150 else 'NOT met'}"
        )
    if 1 in ours:
        p50 = statistics.median(
            w["latency_ms"]["pair"]["p50"]
            for w in results["windows"]
            if w["target"] == "ours" and w["concurrency"] == 1
        )
        lines.append(
            f"  p50 at c=1 < 15 ms (scan + redeem): {p50:.1f} ms {'met' if p50 < 15 else 'NOT met'}"
        )
    sql = results.get("sql")
    if sql and sql["per_request"]:
        worst = max(p["statements"] for p in sql["per_request"].values())
        lines.append(
            f"  <= 10 SQL statements per request: at most {worst} "
            f"{'met' if worst <= 10 else 'NOT met'}"
        )
        lines.append(
            f"  no row every redemption updates: {'NOT met' if sql['shared_hot_row'] else 'met'}"
        )
    return lines


#: ours / floor, each the median over the rounds at one concurrency
RATIOS = {
    "throughput": "redemptions_per_s",
    "p50": "latency_ms.pair.p50",
    "p99": "latency_ms.pair.p99",
    "app_cpu": "app_cpu_ms_per_redemption",
    "db_cpu": "db_cpu_ms_per_redemption",
}


def ratios(windows: list[dict[str, Any]], c: int, target: str = "ours") -> dict[str, float]:
    """``target`` (ours: a pair; scans: one scan) against the floor's one request."""

    def median(name: str, key: str) -> float:
        values = [_get(w, key) for w in windows if w["target"] == name and w["concurrency"] == c]
        return statistics.median(values)

    return {name: median(target, key) / median("floor", key) for name, key in RATIOS.items()}


def _get(window: dict[str, Any], key: str) -> float:
    value: Any = window
    for part in key.split("."):
        value = value[part]
    return float(value)
