"""The spans of time a run settles for each partner: what no live run's window covers yet.

A run reads each partner's gaps before its cutoff (a few ranges per partner), and the database
finds the redemptions and reversals recorded in them on ``(partner_id, created_at)``: no search
through every source ever settled. Flush, never commit.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import NamedTuple, cast

from sqlalchemy import Table, func, select, text
from sqlalchemy.orm import Session

from almerepas.audit.log import Actor
from almerepas.contracts import agreements
from almerepas.contracts.errors import InvalidContract, field_error
from almerepas.contracts.models import Contract
from almerepas.core import clock
from almerepas.ledger import bulk
from almerepas.settlements.models import SettlementWindow

#: Before anything was recorded: a partner's first window starts here.
BEGINNING = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)

#: pg_advisory_xact_lock's key for preparing and cancelling runs ("ALMSETTL" as a number).
_LOCK_KEY = int.from_bytes(b"ALMSETTL", "big") & 0x7FFF_FFFF_FFFF_FFFF


class Span(NamedTuple):
    """A partner's span of time: a gap a run settles, or a window it settled."""

    partner_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime


def one_at_a_time(session: Session) -> None:
    """Wait until no other transaction prepares or cancels a run, until this one ends.

    Two prepares, or a prepare beside a cancel, must not read the same gaps: one would pay what
    the other pays. On SQLite the transaction holds the database's write lock already (BEGIN
    IMMEDIATE).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})


def gaps(session: Session, *, cutoff: dt.datetime, partner_id: int | None) -> list[Span]:
    """Per contracted partner (or the one partner), the spans before ``cutoff`` no window has."""
    partners = select(Contract.partner_id).distinct()
    if partner_id is not None:
        partners = partners.where(Contract.partner_id == partner_id)
    taken: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    query = (
        select(SettlementWindow.partner_id, SettlementWindow.starts_at, SettlementWindow.ends_at)
        .where(SettlementWindow.partner_id.in_(partners), SettlementWindow.starts_at < cutoff)
        .order_by(SettlementWindow.partner_id, SettlementWindow.starts_at)
    )
    for pid, starts_at, ends_at in session.execute(query):
        taken[pid].append((starts_at, ends_at))
    found = []
    for pid in sorted(session.scalars(partners)):
        moment = BEGINNING
        for starts_at, ends_at in taken.get(pid, []):
            if moment < starts_at:
                found.append(Span(pid, moment, min(starts_at, cutoff)))
            moment = max(moment, ends_at)
        if moment < cutoff:
            found.append(Span(pid, moment, cutoff))
    return found


def record(session: Session, run_id: int, spans: Sequence[Span]) -> None:
    """The run's windows: from now on what was recorded in them is settled."""
    bulk.insert_rows(
        session,
        cast(Table, SettlementWindow.__table__),
        ("run_id", "partner_id", "starts_at", "ends_at"),
        [(run_id, s.partner_id, s.starts_at, s.ends_at) for s in spans],
    )


def of_run(session: Session, run_id: int, partner_id: int | None = None) -> list[Span]:
    """The windows a run settled (of one partner): to list what its lines sum."""
    query = select(
        SettlementWindow.partner_id, SettlementWindow.starts_at, SettlementWindow.ends_at
    ).where(SettlementWindow.run_id == run_id)
    if partner_id is not None:
        query = query.where(SettlementWindow.partner_id == partner_id)
    return [Span(*row) for row in session.execute(query.order_by(SettlementWindow.starts_at))]


def end_contract(
    session: Session, contract: Contract, valid_to: dt.date, *, actor: Actor
) -> Contract:
    """``agreements.end_contract``, but never before a day a run has settled: statements and
    reports price a settled redemption again under the contract of its day, which must still
    be the one the run paid it under."""
    settled = session.scalar(
        select(func.max(SettlementWindow.ends_at)).where(
            SettlementWindow.partner_id == contract.partner_id
        )
    )
    if settled is not None:
        last_day = (settled - dt.timedelta(microseconds=1)).astimezone(clock.LOCAL).date()
        if valid_to < last_day:
            detail = (
                f"Dit contract is al afgerekend tot en met {last_day:%d-%m-%Y}; "
                "het kan niet eerder eindigen."
            )
            raise InvalidContract(detail, **field_error("valid_to", detail))
    return agreements.end_contract(session, contract, valid_to, actor=actor)
