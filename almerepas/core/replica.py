"""How fresh a read replica is (docs/operations.md, "Read replica"): the reports may read a
PostgreSQL hot standby, and the pages built from it say up to when it has replayed the primary.

No Flask here: almerepas.core.session opens the replica's session and calls :func:`freshness`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

#: One statement, run as the read session's first: the replica's own clock and replay position.
#: Caught up means it has replayed all the WAL it received; then its data is as of now.
FRESHNESS_SQL = text(
    "SELECT pg_is_in_recovery(), now(), pg_last_xact_replay_timestamp(), "
    "pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn()"
)


@dataclass(frozen=True)
class Freshness:
    """What a replica's figures include: everything committed on the primary up to ``as_of``.

    ``as_of`` is None when the replica has replayed nothing since it started and is not caught
    up: then its age is unknown, and it counts as behind.
    """

    as_of: dt.datetime | None
    server_now: dt.datetime
    behind: bool


def freshness(session: Session, max_lag: dt.timedelta) -> Freshness:
    """Ask the replica up to when it has replayed; behind when that is more than ``max_lag`` ago.

    Lag is measured on the replica's own clock (``now()`` minus the commit time of the last
    transaction it replayed), never the app's, so a frozen or shifted app clock does not count.
    A server that is not in recovery (a primary) is as fresh as can be.
    """
    in_recovery, now, replayed, caught_up = session.execute(FRESHNESS_SQL).one()
    if not in_recovery or caught_up:
        return Freshness(as_of=now, server_now=now, behind=False)
    if replayed is None:
        return Freshness(as_of=None, server_now=now, behind=True)
    return Freshness(as_of=replayed, server_now=now, behind=now - replayed > max_lag)
