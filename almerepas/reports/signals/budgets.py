"""Signals 1 to 3: budgets taken whole, a spike before expiry, a day far above the usual."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import case, func, literal, or_, select
from sqlalchemy.orm import Session

from almerepas.contracts.models import Location
from almerepas.grants.models import Grant
from almerepas.ledger.models import Transfer
from almerepas.redemptions.models import Redemption
from almerepas.reports.days import day_of
from almerepas.reports.signals.evidence import (
    DEFAULTS,
    MONEY,
    ExpirySpike,
    Thresholds,
    UnusualDay,
    WholeBudgetDay,
    days_from,
    moment_of,
    partner_names,
)
from almerepas.schemes import periods
from almerepas.schemes.models import Scheme

# -- 1. whole budgets ---------------------------------------------------------------------------


def whole_budgets(
    session: Session, first: dt.date, last: dt.date, t: Thresholds = DEFAULTS
) -> list[WholeBudgetDay]:
    """Partner-days with at least ``whole_budget_per_day`` redemptions that each left their
    grant's money budget at zero (what was left, taken whole)."""
    account = Grant.account_id
    # The budget's balance right after the redemption: every transfer on its account up to and
    # including the redemption's entry. A redemption's balance update comes before its entry is
    # written, under the account's row lock, so entry ids follow the order of the balance.
    after = (
        select(
            func.sum(
                case(
                    (Transfer.credit_account_id == account, Transfer.amount), else_=-Transfer.amount
                )
            )
        )
        .where(or_(Transfer.debit_account_id == account, Transfer.credit_account_id == account))
        .where(Transfer.entry_id <= Redemption.entry_id)
        .correlate(Redemption, Grant)
        .scalar_subquery()
    )
    query = (
        select(
            Redemption.id,
            Redemption.partner_id,
            day_of(Redemption.created_at).label("day"),
            Redemption.amount,
            Location.name.label("location"),
        )
        .join(Grant, Grant.id == Redemption.grant_id)
        .join(Scheme, Scheme.id == Grant.scheme_id)
        .outerjoin(Location, Location.id == Redemption.location_id)
        .where(Scheme.unit == MONEY, Redemption.partner_id.is_not(None))
        .where(Redemption.created_at >= moment_of(first))
        .where(Redemption.created_at < moment_of(last + dt.timedelta(days=1)))
        .where(after == 0)
        .order_by(Redemption.id)
    )
    groups: dict[tuple[int, dt.date], list[tuple[int, int, str | None]]] = defaultdict(list)
    for row in session.execute(query):
        groups[row.partner_id, row.day].append((row.id, row.amount, row.location))
    flagged = {key: rows for key, rows in groups.items() if len(rows) >= t.whole_budget_per_day}
    names = partner_names(session, (partner for partner, _day in flagged))
    found = [
        WholeBudgetDay(
            partner_id=partner,
            partner=names[partner],
            day=day,
            count=len(rows),
            amount=sum(amount for _id, amount, _place in rows),
            locations=tuple(sorted({place for _id, _amount, place in rows if place})),
            redemption_ids=tuple(rid for rid, _amount, _place in rows),
        )
        for (partner, day), rows in flagged.items()
    ]
    return sorted(found, key=lambda s: (s.day, s.partner, s.partner_id))


# -- daily totals per partner, for signals 2 and 3 ---------------------------------------------


@dataclass
class _Day:
    count: int = 0
    amount: int = 0


def _daily(
    session: Session, first: dt.date, last: dt.date
) -> dict[int, dict[dt.date, dict[str, _Day]]]:
    """partner -> day -> grant period -> redemptions and their cents (money only), grouped in
    SQL: one row per partner, day and period."""
    day = day_of(Redemption.created_at)
    money = func.sum(case((Scheme.unit == MONEY, Redemption.amount), else_=literal(0)))
    query = (
        select(Redemption.partner_id, day, Grant.period, func.count(Redemption.id), money)
        .join(Grant, Grant.id == Redemption.grant_id)
        .join(Scheme, Scheme.id == Grant.scheme_id)
        .where(Redemption.partner_id.is_not(None))
        .where(Redemption.created_at >= moment_of(first))
        .where(Redemption.created_at < moment_of(last + dt.timedelta(days=1)))
        .group_by(Redemption.partner_id, day, Grant.period)
    )
    found: dict[int, dict[dt.date, dict[str, _Day]]] = defaultdict(dict)
    for partner, on, period, count, amount in session.execute(query).all():
        if partner is None:  # filtered out above; says so to the type checker
            continue
        found[partner].setdefault(on, {})[period] = _Day(count, int(amount or 0))
    return found


def _total(periods_of_day: dict[str, _Day] | None) -> _Day:
    days = (periods_of_day or {}).values()
    return _Day(sum(d.count for d in days), sum(d.amount for d in days))


def _far_above(value: int, usual: int, minimum: int, factor: int) -> bool:
    """At least ``minimum`` and at least ``factor`` times the usual level (integers only)."""
    return value >= minimum and value >= factor * usual


# -- 2. a spike before expiry -------------------------------------------------------------------


def expiry_spikes(
    session: Session, first: dt.date, last: dt.date, t: Thresholds = DEFAULTS
) -> list[ExpirySpike]:
    """For every grant period that ends from ``first`` to ``last``: partners whose redemptions
    of those grants in its last ``expiry_days`` days, per day, were far above all their
    redemptions per day in the ``baseline_days`` before."""
    earliest = first - dt.timedelta(days=t.expiry_days - 1 + t.baseline_days)
    daily = _daily(session, earliest, last)
    found = []
    for partner, by_day in daily.items():
        ends = {periods.parse(p).end for day in by_day.values() for p in day}
        for end in sorted(e for e in ends if first <= e <= last):
            start = end - dt.timedelta(days=t.expiry_days - 1)
            window = [
                d
                for on in days_from(start, end)
                for p, d in by_day.get(on, {}).items()
                if periods.parse(p).end == end
            ]
            before = [
                _total(by_day.get(on))
                for on in days_from(
                    start - dt.timedelta(days=t.baseline_days), start - dt.timedelta(days=1)
                )
            ]
            count, amount = sum(d.count for d in window), sum(d.amount for d in window)
            usual_count, usual_amount = sum(d.count for d in before), sum(d.amount for d in before)
            # Per day, in whole numbers: count / expiry_days >= factor * usual / baseline_days.
            by_count = count >= t.min_count and count * t.baseline_days >= (
                t.factor * usual_count * t.expiry_days
            )
            by_amount = amount >= t.min_amount and amount * t.baseline_days >= (
                t.factor * usual_amount * t.expiry_days
            )
            if by_count or by_amount:
                found.append((partner, end, start, count, amount, usual_count, usual_amount))
    names = partner_names(session, (row[0] for row in found))
    spikes = [
        ExpirySpike(
            partner_id=partner, partner=names[partner], expires_on=end, first_day=start,
            days=t.expiry_days, count=count, amount=amount, baseline_count=usual_count,
            baseline_amount=usual_amount, baseline_days=t.baseline_days,
        )
        for partner, end, start, count, amount, usual_count, usual_amount in found
    ]  # fmt: skip
    return sorted(spikes, key=lambda s: (s.expires_on, s.partner, s.partner_id))


# -- 3. a day far above the usual ---------------------------------------------------------------


def unusual_days(
    session: Session, first: dt.date, last: dt.date, t: Thresholds = DEFAULTS
) -> list[UnusualDay]:
    """Partner-days whose number of redemptions, or cents redeemed, was far above the median
    of the partner's days with redemptions in the ``baseline_days`` before."""
    daily = _daily(session, first - dt.timedelta(days=t.baseline_days), last)
    found = []
    for partner, by_day in daily.items():
        totals = {on: _total(periods_of_day) for on, periods_of_day in by_day.items()}
        for on in sorted(d for d in totals if first <= d <= last):
            today = totals[on]
            before = [
                totals[d]
                for d in days_from(
                    on - dt.timedelta(days=t.baseline_days), on - dt.timedelta(days=1)
                )
                if d in totals
            ]
            median_count = statistics.median_low([d.count for d in before]) if before else 0
            median_amount = statistics.median_low([d.amount for d in before]) if before else 0
            above = tuple(
                name
                for name, hit in (
                    ("count", _far_above(today.count, median_count, t.min_count, t.factor)),
                    ("amount", _far_above(today.amount, median_amount, t.min_amount, t.factor)),
                )
                if hit
            )
            if above:
                found.append((partner, on, today, median_count, median_amount, len(before), above))
    names = partner_names(session, (row[0] for row in found))
    days = [
        UnusualDay(
            partner_id=partner, partner=names[partner], day=on, count=today.count,
            amount=today.amount, median_count=median_count, median_amount=median_amount,
            baseline_days_used=used, above=above,
        )
        for partner, on, today, median_count, median_amount, used, above in found
    ]  # fmt: skip
    return sorted(days, key=lambda s: (s.day, s.partner, s.partner_id))
