"""PostgreSQL's own time per statement (pg_stat_statements) for a bench's throwaway cluster:
where the database's CPU goes, which the client cannot see (foreign-key checks, index updates)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from almerepas.core.db import make_engine

TOP = """
SELECT calls, total_exec_time, total_plan_time,
       left(regexp_replace(query, '\\s+', ' ', 'g'), 140) AS query
FROM pg_stat_statements
WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
ORDER BY total_exec_time + total_plan_time DESC
LIMIT :limit
"""


def enable(cluster: Any) -> None:
    """Load pg_stat_statements into the cluster (it needs a restart: before anything is seeded)."""
    admin = make_engine(cluster.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'"))
    admin.dispose()
    cluster.pause()
    cluster.resume()


def reset(url: str) -> None:
    engine = make_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_stat_statements"))
        conn.execute(text("SELECT pg_stat_statements_reset()"))
    engine.dispose()


def top(url: str, per: int, limit: int = 20) -> list[dict[str, Any]]:
    """The statements that took the database longest, with µs per ``per`` (a redemption)."""
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text(TOP), {"limit": limit}).all()
    engine.dispose()
    return [
        {
            "calls": calls,
            "exec_us_per_call": round(exec_ms * 1000 / calls, 1),
            "plan_us_per_call": round(plan_ms * 1000 / calls, 1),
            "us_per_redemption": round((exec_ms + plan_ms) * 1000 / max(per, 1), 1),
            "query": query,
        }
        for calls, exec_ms, plan_ms, query in rows
    ]
