"""What finance and partners read about settlement: runs, totals, lines, what is owed and what
is late. Read only.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import BigInteger, cast, func, null, select, union_all
from sqlalchemy.orm import Session, joinedload

from almerepas.contracts.models import Location, Partner
from almerepas.core import clock
from almerepas.schemes import periods
from almerepas.schemes.models import Scheme
from almerepas.settlements import pricing, windows
from almerepas.settlements.collect import collect
from almerepas.settlements.models import (
    LineKind,
    RunStatus,
    SettlementHold,
    SettlementLine,
    SettlementPayment,
    SettlementRun,
)

#: Runs that still have to be paid.
UNPAID = (RunStatus.draft, RunStatus.approved)
#: Runs a partner sees: a draft is the gemeente's own work until a second person approves it.
SHOWN_TO_PARTNER = (RunStatus.approved, RunStatus.paid_out, RunStatus.confirmed)


@dataclass(frozen=True)
class SchemeTotal:
    scheme_code: str
    scheme_name: str
    lines: int
    amount: int


@dataclass(frozen=True)
class Owed:
    """Redeemed at a partner, not in any run yet."""

    partner_id: int
    partner_name: str
    lines: int
    #: cents at the tariffs; a source whose tariff does not fit counts as 0
    amount: int
    #: the oldest of its sources
    since: dt.datetime


@dataclass(frozen=True)
class Late:
    period: str
    #: the day by which it should have been paid
    due: dt.date
    #: "not_prepared" (something of the period is in no run) or the run's status
    state: str
    run_id: int | None


@dataclass(frozen=True)
class StatementLine:
    occurred_at: dt.datetime
    location: str | None
    scheme: str
    kind: LineKind
    quantity: int
    amount: int
    #: what the partner recognises: the redemption's number (``B123``), a ride (``R45``), or
    #: the holder-month (``H2027-01``)
    reference: str
    #: the scheme's unit (``EUR``, ``PACK``): what ``quantity`` counts for a redemption
    unit: str = "EUR"


def due_date(period: str, pay_days: int) -> dt.date:
    """The last day the period's partners should have been paid by."""
    return periods.parse(period).end + dt.timedelta(days=pay_days)


def scheme_totals(
    session: Session, run_id: int, partner_id: int | None = None
) -> list[SchemeTotal]:
    query = (
        select(
            Scheme.code,
            Scheme.name_nl,
            func.sum(SettlementLine.sources),
            func.sum(SettlementLine.amount),
        )
        .join(Scheme, Scheme.id == SettlementLine.scheme_id)
        .where(SettlementLine.run_id == run_id)
        .group_by(Scheme.code, Scheme.name_nl)
        .order_by(Scheme.code)
    )
    if partner_id is not None:
        query = query.where(SettlementLine.partner_id == partner_id)
    return [SchemeTotal(c, n, int(k), int(a or 0)) for c, n, k, a in session.execute(query)]


def owed(session: Session, *, now: dt.datetime) -> list[Owed]:
    """Per partner, what was redeemed before ``now`` and is in no run yet."""
    return _owed(session, now=now, partner_id=None)


def owed_by(session: Session, partner_id: int, *, now: dt.datetime) -> Owed | None:
    """What one partner redeemed before ``now`` that is in no run yet; None when nothing."""
    found = _owed(session, now=now, partner_id=partner_id)
    return found[0] if found else None


def _owed(session: Session, *, now: dt.datetime, partner_id: int | None) -> list[Owed]:
    by: dict[int, list[tuple[int, dt.datetime]]] = defaultdict(list)
    for source in collect(session, cutoff=now, partner_id=partner_id):
        by[source.partner_id].append((source.amount or 0, source.occurred_at))
    names = dict(
        session.execute(select(Partner.id, Partner.name).where(Partner.id.in_(list(by)))).all()
    )
    return [
        Owed(pid, names[pid], len(rows), sum(a for a, _ in rows), min(at for _, at in rows))
        for pid, rows in sorted(by.items(), key=lambda item: names[item[0]])
    ]


def late(session: Session, *, today: dt.date, pay_days: int) -> list[Late]:
    """Periods past their due day with a run not paid out, or with sources in no run."""
    found: list[Late] = []
    for run in session.scalars(
        select(SettlementRun).where(SettlementRun.status.in_(UNPAID)).order_by(SettlementRun.id)
    ):
        due = due_date(run.period, pay_days)
        if today > due:
            found.append(Late(run.period, due, run.status.value, run.id))
    month_start = today.replace(day=1)
    cutoff = clock.local_moment(month_start)
    open_months = {
        f"{source.occurred_at.astimezone(clock.LOCAL):%Y-%m}"
        for source in collect(session, cutoff=cutoff, partner_id=None)
    }
    for period in sorted(open_months):
        due = due_date(period, pay_days)
        if today > due:
            found.append(Late(period, due, "not_prepared", None))
    return found


def partner_runs(
    session: Session, partner_id: int, *, shown_only: bool = False
) -> Sequence[SettlementPayment]:
    """The partner's payments, newest run first: what its statement page lists (``shown_only``:
    only runs approved or later, as the partner's own pages show them)."""
    query = (
        select(SettlementPayment)
        .options(joinedload(SettlementPayment.run))
        .where(SettlementPayment.partner_id == partner_id)
        .order_by(SettlementPayment.run_id.desc())
    )
    if shown_only:
        query = query.join(SettlementRun, SettlementRun.id == SettlementPayment.run_id).where(
            SettlementRun.status.in_(SHOWN_TO_PARTNER)
        )
    return session.scalars(query).all()


def partner_payment(session: Session, run_id: int, partner_id: int) -> SettlementPayment | None:
    """What an approved (or later) run pays this partner; None for another partner's run, a
    draft, a cancelled run or a missing one alike."""
    return session.scalar(
        select(SettlementPayment)
        .options(joinedload(SettlementPayment.run))
        .join(SettlementRun, SettlementRun.id == SettlementPayment.run_id)
        .where(
            SettlementPayment.run_id == run_id,
            SettlementPayment.partner_id == partner_id,
            SettlementRun.status.in_(SHOWN_TO_PARTNER),
        )
    )


def latest_hold(session: Session, partner_id: int) -> SettlementHold | None:
    """Why the partner's latest approved run held it back, if it did: a later payment or
    hold of the partner replaces it."""
    runs = (
        select(SettlementRun.id)
        .where(SettlementRun.status.in_(SHOWN_TO_PARTNER))
        .where(
            SettlementRun.id.in_(
                select(SettlementPayment.run_id).where(SettlementPayment.partner_id == partner_id)
            )
            | SettlementRun.id.in_(
                select(SettlementHold.run_id).where(SettlementHold.partner_id == partner_id)
            )
        )
    )
    latest = session.scalar(select(func.max(runs.subquery().c.id)))
    if latest is None:
        return None
    return session.scalar(
        select(SettlementHold).where(
            SettlementHold.run_id == latest, SettlementHold.partner_id == partner_id
        )
    )


def _reference(
    kind: LineKind, ride_id: int | None, redemption_id: int | None, at: dt.datetime
) -> str:
    if kind == LineKind.ride:
        return f"R{ride_id}"
    if kind == LineKind.holder_month:
        return f"H{at.astimezone(clock.LOCAL):%Y-%m}"
    return f"B{redemption_id}"


def statement_lines(session: Session, run_id: int, partner_id: int) -> list[StatementLine]:
    """One partner's sources in one run, in time order, as its statement shows them: the rides
    and holder-months from their lines, each redemption and reversal from the run's windows,
    priced as the run priced them (a contract's tariff never changes)."""
    stored = select(
        SettlementLine.occurred_at,
        SettlementLine.location_id,
        SettlementLine.scheme_id,
        SettlementLine.kind,
        SettlementLine.quantity,
        SettlementLine.amount,
        SettlementLine.ride_id,
        SettlementLine.redemption_id,
    ).where(
        SettlementLine.run_id == run_id,
        SettlementLine.partner_id == partner_id,
        SettlementLine.kind.in_([LineKind.ride, LineKind.holder_month]),
    )
    parts = [stored]
    sources = pricing.priced(session, windows.of_run(session, run_id, partner_id))
    if sources is not None:
        src = sources.subquery("src")
        parts.append(
            select(
                src.c.occurred_at,
                src.c.location_id,
                src.c.scheme_id,
                src.c.kind,
                src.c.quantity,
                src.c.amount,
                cast(null(), BigInteger).label("ride_id"),
                src.c.redemption_id,
            ).where(src.c.amount.is_not(None))
        )
    found = union_all(*parts).subquery("found")
    rows = session.execute(
        select(found, Scheme.name_nl, Scheme.unit, Location.name)
        .join(Scheme, Scheme.id == found.c.scheme_id)
        .outerjoin(Location, Location.id == found.c.location_id)
        .order_by(found.c.occurred_at, found.c.kind, found.c.redemption_id, found.c.ride_id)
    ).all()
    return [
        StatementLine(
            occurred_at=row.occurred_at,
            location=row.name,
            scheme=row.name_nl,
            kind=LineKind(row.kind),
            quantity=row.quantity,
            amount=row.amount,
            reference=_reference(
                LineKind(row.kind), row.ride_id, row.redemption_id, row.occurred_at
            ),
            unit=row.unit,
        )
        for row in rows
    ]
