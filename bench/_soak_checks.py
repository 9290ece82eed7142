"""What bench/soak.py checks after and during its load: the workers' memory over time, and the
books (the ledger check, and every redemption answered 201 booked exactly once)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from almerepas.models import Redemption

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_S = 10
#: a worker's memory is flat when its last minute's mean is at most this much above its second's
FLAT = 0.10


# -- memory of the workers ----------------------------------------------------------------------


def worker_rss(master: int) -> dict[int, int]:
    """VmRSS in KiB of every child of ``master`` (the gunicorn workers)."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1]) != master:
                continue
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        found.update({int(entry): int(line.split()[1]) for line in status.splitlines()
                      if line.startswith("VmRSS:")})  # fmt: skip
    return found


def memory(samples: list[tuple[float, dict[int, int]]], seconds: float) -> dict[str, Any]:
    """First/last/max per worker, and flat or not: the last minute against the second."""
    early, late = ((60.0, 120.0), (seconds - 60, seconds + SAMPLE_S)) if seconds >= 180 else (
        (seconds / 6, seconds / 2), (seconds / 2 + 0.1, seconds + SAMPLE_S))  # fmt: skip
    pids = sorted({pid for _, rss in samples for pid in rss})
    workers = {}
    for pid in pids:
        seen = [(t, rss[pid] / 1024) for t, rss in samples if pid in rss]

        def mean(lo: float, hi: float, seen: list[tuple[float, float]] = seen) -> float | None:
            values = [mib for t, mib in seen if lo <= t < hi]
            return statistics.fmean(values) if values else None

        a, b = mean(*early), mean(*late)
        workers[str(pid)] = {
            "first_mib": round(seen[0][1], 1), "last_mib": round(seen[-1][1], 1),
            "max_mib": round(max(m for _, m in seen), 1),
            "seen_s": [round(seen[0][0]), round(seen[-1][0])],
            "growth": round(b / a - 1, 3) if a and b else None,
            "flat": (b <= a * (1 + FLAT)) if a and b else None,
        }  # fmt: skip
    judged = [w["flat"] for w in workers.values() if w["flat"] is not None]
    return {"windows_s": [[round(t) for t in early], [round(t) for t in late]], "workers": workers,
            "flat": bool(judged) and all(judged),
            "samples": [{"t": round(t), "rss_kib": rss} for t, rss in samples]}  # fmt: skip


# -- afterwards: the books ----------------------------------------------------------------------


def ledger_check(env: dict[str, str]) -> dict[str, Any]:
    ran = subprocess.run(
        [sys.executable, "-m", "almerepas", "ledger", "check"], cwd=ROOT,
        env={**os.environ, **env}, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    return {"passed": ran.returncode == 0, "output": (ran.stdout + ran.stderr).strip()[-2000:]}


def books(engine: Engine, partner_id: int, answered: list[int]) -> dict[str, Any]:
    """Every id answered 201 booked once; any other redemption of the partner is one whose
    answer was lost."""
    with Session(engine) as session:
        rows = session.execute(
            select(Redemption.id, Redemption.entry_id).where(Redemption.partner_id == partner_id)
        ).all()
        entries = session.scalar(
            select(func.count(func.distinct(Redemption.entry_id))).where(
                Redemption.partner_id == partner_id
            )
        )
    told, booked = Counter(answered), {row.id for row in rows}
    result = {
        "answered_201": len(answered),
        "booked": len(rows),
        "journal_entries": entries,
        "answered_twice": sorted(i for i, n in told.items() if n > 1),
        "answered_not_booked": sorted(set(told) - booked),
        "booked_not_answered": sorted(booked - set(told)),
    }
    result["passed"] = (not result["answered_twice"] and not result["answered_not_booked"]
                        and not result["booked_not_answered"] and entries == len(rows))  # fmt: skip
    return result
