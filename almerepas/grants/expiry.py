"""Expiry apart from issuing (runs.py): it ends a period's grants, locking out redemptions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.core import clock
from almerepas.grants.errors import PeriodNotEnded
from almerepas.grants.funding import ensure_funding
from almerepas.grants.models import Grant
from almerepas.ledger import bulk
from almerepas.ledger import posting as ledger
from almerepas.ledger.models import Account, EntryKind
from almerepas.ledger.posting import Move
from almerepas.schemes import periods
from almerepas.schemes.models import Scheme

#: grants (entitlement accounts) locked and expired together, as runs.py grants its batches
BATCH_SIZE = 1000


@dataclass
class ExpiryRun:
    """What an expiry run did for one scheme: grants expired, and what went back to funding."""

    scheme: str
    period: str
    expired: int = 0
    returned: int = 0


def expire(session: Session, *, period: str, actor: Actor, today: dt.date) -> list[ExpiryRun]:
    """Move what is left of each grant of an ended period back to the funding account, once.

    Redemptions may still be running (a cashier's last sale of the month): the run locks each
    batch of entitlement accounts first, so it waits for a redemption that is halfway and a new
    one waits for the run, and then takes what is left, read under that lock, with the ledger's
    guarded UPDATE. What is left may be 0: the grant expires with no entry. A grant that another
    run expired meanwhile is skipped. So the batch never fails on a balance a redemption took.

    Writes one ``grants.expire`` audit row, whoever asked.
    """
    span = periods.parse(period)
    if span.end >= today:
        raise PeriodNotEnded(detail=f"Periode {span.label} loopt tot en met {span.end}.")
    rows = session.execute(
        select(Grant.id, Grant.scheme_id, Account.id)
        .join(Account, Account.id == Grant.account_id)
        .where(Grant.period == span.label, Grant.expired_at.is_(None))
        .order_by(Grant.id)
    ).all()
    schemes = {s.id: s for s in session.scalars(select(Scheme))}
    runs: dict[int, ExpiryRun] = {}
    funding: dict[int, int] = {}
    at = clock.local_moment(span.end, dt.time(23, 59))
    grants_table = cast(Table, Grant.__table__)
    for start in range(0, len(rows), BATCH_SIZE):
        batch = rows[start : start + BATCH_SIZE]
        balances = ledger.lock_balances(session, [row[2] for row in batch])
        # Read after the lock: a run that expired these grants meanwhile has committed.
        open_ids = set(
            session.scalars(
                select(Grant.id).where(
                    Grant.id.in_([row[0] for row in batch]), Grant.expired_at.is_(None)
                )
            )
        )
        batch = [row for row in batch if row[0] in open_ids]
        moves = []
        for grant_id, scheme_id, account_id in batch:
            run = runs.setdefault(scheme_id, ExpiryRun(schemes[scheme_id].code, span.label))
            run.expired += 1
            balance = balances[account_id]
            if balance > 0:
                if scheme_id not in funding:
                    funding[scheme_id] = ensure_funding(
                        session, schemes[scheme_id], span.start.year
                    ).id
                moves.append(Move(f"expiry:{grant_id}", account_id, funding[scheme_id], balance))
                run.returned += balance
        entry_ids = bulk.post_moves(
            session, kind=EntryKind.expiry, moves=moves, actor=actor.name, effective_at=at
        )
        entry_of = {
            int(m.natural_key.split(":")[1]): e for m, e in zip(moves, entry_ids, strict=True)
        }
        if not batch:
            continue
        session.connection().execute(
            grants_table.update()
            .where(grants_table.c.id == bindparam("grant"))
            .values(expired_at=bindparam("at"), expiry_entry_id=bindparam("entry")),
            [{"grant": row[0], "at": clock.now(), "entry": entry_of.get(row[0])} for row in batch],
        )
    session.expire_all()
    expired = list(runs.values())
    audit.record(
        session,
        actor=actor,
        action="grants.expire",
        changes={"run": {"period": period, "expired": sum(r.expired for r in expired)}},
    )
    return expired
