"""A year's figures counted once, read many times (docs/reports.md, Snapshots).

Counting a year of a gemeente from the grants, the ledger and 1.5 million redemptions takes seconds
however the query is written; grouping the 300,000 counted grant rows takes milliseconds. So
``refresh`` saves ``scope.grant_facts`` for a whole year (and the redemptions per partner), and
the figures read those rows whenever the year has a snapshot, saying when it was taken. A year
without one is counted live, as before.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Subquery, delete, func, insert, literal, select, text
from sqlalchemy.orm import Session

from almerepas.redemptions.models import Redemption
from almerepas.reports.models import (
    ReportBeneficiary,
    ReportGrantFact,
    ReportPartnerUse,
    ReportSnapshot,
)
from almerepas.reports.scope import ReportFilter, grant_facts
from almerepas.reports.scope import beneficiaries as beneficiaries_of


def taken_at(session: Session, year: int) -> dt.datetime | None:
    """When the year's figures were counted; None: they are counted at every look."""
    return session.scalar(select(ReportSnapshot.taken_at).where(ReportSnapshot.year == year))


def refresh(session: Session, year: int, *, now: dt.datetime) -> ReportSnapshot:
    """Count the year's figures again, replacing its earlier snapshot in the same transaction."""
    if session.get_bind().dialect.name == "postgresql":
        # As figures._without_jit, for the same plan.
        session.execute(text("SET LOCAL jit = off"))
        session.execute(text("SET LOCAL work_mem = '32MB'"))
    for model in (ReportGrantFact, ReportBeneficiary, ReportPartnerUse):
        session.execute(delete(model).where(model.year == year))
    live = grant_facts(session, ReportFilter(year))
    names = [c.name for c in live.c]
    session.execute(
        insert(ReportGrantFact).from_select(["year", *names], select(literal(year), *live.c))
    )
    saved = ReportGrantFact
    grouped = beneficiaries_of(_saved_facts(ReportFilter(year)))
    session.execute(
        insert(ReportBeneficiary).from_select(
            ["year", *(c.name for c in grouped.c)], select(literal(year), *grouped.c)
        )
    )
    use = (
        select(
            literal(year),
            saved.period,
            saved.district,
            saved.scheme_id,
            Redemption.partner_id,
            func.count(Redemption.id),
            func.sum(Redemption.amount),
            func.sum(Redemption.reversed),
        )
        .join(saved, saved.grant_id == Redemption.grant_id)
        .where(saved.year == year)
        .group_by(saved.period, saved.district, saved.scheme_id, Redemption.partner_id)
    )
    columns = ["year", "period", "district", "scheme_id", "partner_id"]
    session.execute(
        insert(ReportPartnerUse).from_select([*columns, "redemptions", "redeemed", "reversed"], use)
    )
    grants = session.scalar(select(func.count()).where(saved.year == year)) or 0
    snapshot = session.get(ReportSnapshot, year)
    if snapshot is None:
        snapshot = ReportSnapshot(year=year, taken_at=now, grants=grants)
        session.add(snapshot)
    snapshot.taken_at, snapshot.grants = now, grants
    session.flush()
    return snapshot


def facts(session: Session, f: ReportFilter) -> Subquery:
    """The grant facts of the report, with the columns of ``scope.grant_facts``: from the
    year's snapshot when it has one, else counted now."""
    if taken_at(session, f.year) is None:
        return grant_facts(session, f)
    return _saved_facts(f)


def beneficiaries(session: Session, f: ReportFilter) -> Subquery:
    """The report's beneficiaries (``scope.beneficiaries``): saved for a whole year with a
    snapshot, else grouped from the grant facts of the month (saved or live)."""
    if f.month is not None or taken_at(session, f.year) is None:
        return beneficiaries_of(facts(session, f))
    saved = ReportBeneficiary
    query = select(*(c for c in saved.__table__.c if c.name not in ("id", "year"))).where(
        saved.year == f.year
    )
    if f.district is not None:
        query = query.where(saved.district == f.district)
    return query.subquery("beneficiaries")


def _saved_facts(f: ReportFilter) -> Subquery:
    saved = ReportGrantFact
    query = select(*(c for c in saved.__table__.c if c.name != "year")).where(
        saved.year == f.year, saved.period.in_(f.labels)
    )
    if f.district is not None:
        query = query.where(saved.district == f.district)
    return query.subquery("facts")


def partner_use(session: Session, f: ReportFilter) -> Subquery:
    """(partner, scheme): how many redemptions of the grants in scope, and their amounts."""
    if taken_at(session, f.year) is None:
        live = grant_facts(session, f)
        return (
            select(
                Redemption.partner_id,
                live.c.scheme_id,
                func.count(Redemption.id).label("redemptions"),
                func.sum(Redemption.amount).label("redeemed"),
                func.sum(Redemption.reversed).label("reversed"),
            )
            .join(live, live.c.grant_id == Redemption.grant_id)
            .group_by(Redemption.partner_id, live.c.scheme_id)
            .subquery("use")
        )
    saved = ReportPartnerUse
    query = (
        select(
            saved.partner_id,
            saved.scheme_id,
            func.sum(saved.redemptions).label("redemptions"),
            func.sum(saved.redeemed).label("redeemed"),
            func.sum(saved.reversed).label("reversed"),
        )
        .where(saved.year == f.year, saved.period.in_(f.labels))
        .group_by(saved.partner_id, saved.scheme_id)
    )
    if f.district is not None:
        query = query.where(saved.district == f.district)
    return query.subquery("use")
