"""gunicorn.conf.py, unchanged, plus hooks that count what each request sends to the database.

    ALMEREPAS_BENCH_COUNT_SQL=/tmp/x/sql gunicorn -c bench/gunicorn_count.py wsgi:app

Used by bench/redeem.py for a separate, untimed phase (a listener on every statement costs CPU,
so the timed runs use gunicorn.conf.py itself). In every worker a SQLAlchemy listener on all
engines counts, per request path: the statements sent through a cursor (SAVEPOINT and RELEASE
apart), the transactions begun, committed and rolled back, and every UPDATE with the values its
WHERE clause names, to find a row that every redemption updates. At exit each worker writes
``<ALMEREPAS_BENCH_COUNT_SQL>.<pid>.json``. With ``ALMEREPAS_BENCH_PROFILE=<prefix>`` it also
runs cProfile around each request (the load must then be one request at a time) and writes
``<prefix>.<path>.<pid>.prof`` per path.
"""

from __future__ import annotations

import json
import os
import re
import runpy
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

_PRODUCTION = runpy.run_path(str(Path(__file__).resolve().parents[1] / "gunicorn.conf.py"))
globals().update(
    {k: v for k, v in _PRODUCTION.items() if not k.startswith("_") and k not in ("os",)}
)

_SAVEPOINT = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")
_UPDATE = re.compile(r"^\s*UPDATE\s+(\S+)\s+SET\s.*?\sWHERE\s(.*)$", re.S | re.I)
_UPSERT = re.compile(r"ON CONFLICT.*DO UPDATE", re.S | re.I)
_PARAM = re.compile(r"%\((\w+)\)s")
_KEY = re.compile(r"(^id|_id|reference)(_\d+)?$")

_local = threading.local()
_lock = threading.Lock()
_paths: dict[str, Counter[str]] = defaultdict(Counter)
#: (path, table, where clause, values) -> times updated
_updates: Counter[tuple[str, str, str, str]] = Counter()
#: path -> the statements of the first few requests, for the report
_samples: dict[str, list[list[str]]] = defaultdict(list)
_profiles: dict[str, Any] = {}


def _short(statement: str) -> str:
    text = " ".join(statement.split())
    return re.sub(r"^SELECT .+? FROM ", "SELECT ... FROM ", text)[:300]


def _before_cursor(_conn: Any, _cursor: Any, statement: str, params: Any, *_rest: Any) -> None:
    seen = getattr(_local, "seen", None)
    if seen is None:
        return
    text = statement.lstrip()
    if text.upper().startswith(_SAVEPOINT):
        seen["savepoints"] += 1
        return
    seen["statements"] += 1
    _local.sql.append(_short(text))
    match = _UPDATE.match(text)
    if match or _UPSERT.search(text):
        table = match.group(1) if match else text.split()[2]
        where = match.group(2) if match else "ON CONFLICT"
        rows = params if isinstance(params, list | tuple) else [params]
        for row in rows:
            names = _PARAM.findall(where)
            keys = [n for n in names if _KEY.search(n)] or names  # the row's key, not amounts
            values = [str(row.get(n)) for n in keys] if isinstance(row, dict) else [str(row)]
            _local.updates.append((table, " ".join(where.split())[:120], ",".join(values)))


def _count(name: str) -> Any:
    def listener(*_args: Any) -> None:
        seen = getattr(_local, "seen", None)
        if seen is not None:
            seen[name] += 1

    return listener


def post_worker_init(worker: Any) -> None:
    if not os.environ.get("ALMEREPAS_BENCH_COUNT_SQL"):
        return
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    event.listen(Engine, "before_cursor_execute", _before_cursor)
    event.listen(Engine, "begin", _count("begins"))
    event.listen(Engine, "commit", _count("commits"))
    event.listen(Engine, "rollback", _count("rollbacks"))
    profile_prefix = os.environ.get("ALMEREPAS_BENCH_PROFILE")
    app = worker.wsgi

    def counting(environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "?")
        _local.seen, _local.sql, _local.updates = Counter(), [], []
        status: list[str] = []

        def recording_start(code: str, headers: Any, *exc: Any) -> Any:
            status.append(code.split()[0])
            return start_response(code, headers, *exc)

        started = time.thread_time()
        profile = None
        if profile_prefix:
            import cProfile

            profile = _profiles.setdefault(path, cProfile.Profile(time.thread_time))
            profile.enable()
        try:
            return app(environ, recording_start)
        finally:
            if profile is not None:
                profile.disable()
            cpu_us = round((time.thread_time() - started) * 1e6)
            seen, sql, updates = _local.seen, _local.sql, _local.updates
            _local.seen = None
            with _lock:
                totals = _paths[path]
                totals["requests"] += 1
                totals[f"status_{status[0] if status else '?'}"] += 1
                totals.update(seen)
                totals["cpu_us"] += cpu_us
                for table, where, values in updates:
                    _updates[(path, table, where, values)] += 1
                if len(_samples[path]) < 3:
                    _samples[path].append(sql)

    worker.wsgi = counting


def worker_exit(server: Any, worker: Any) -> None:
    target = os.environ.get("ALMEREPAS_BENCH_COUNT_SQL")
    if not target:
        return
    with _lock:
        data = {
            "paths": {path: dict(c) for path, c in _paths.items()},
            "updates": [
                {"path": p, "table": t, "where": w, "values": v, "times": n}
                for (p, t, w, v), n in _updates.items()
            ],
            "samples": dict(_samples),
        }
    Path(f"{target}.{os.getpid()}.json").write_text(json.dumps(data))
    prefix = os.environ.get("ALMEREPAS_BENCH_PROFILE")
    for path, profile in _profiles.items():
        slug = re.sub(r"\W+", "_", path).strip("_")
        profile.dump_stats(f"{prefix}.{slug}.{os.getpid()}.prof")
