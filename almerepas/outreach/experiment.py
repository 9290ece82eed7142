"""Does a reminder help? Take-up four weeks after a run, in the reminded half and in the
comparison half, with the difference and its 95% confidence interval (docs/outreach.md).

The statistic is a ratio of counts, not money: it is computed with fractions, and a float only
for the square root and the interval (never for an amount of money, which stays integer cents).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.outreach.models import Group, OutreachContact, OutreachRun, Reason
from almerepas.redemptions.models import Redemption

#: Take-up is measured this long after the run.
FOLLOW_UP = dt.timedelta(weeks=4)
#: The normal distribution's 97.5% point: a two-sided 95% interval.
Z_95 = 1.959964


@dataclass(frozen=True)
class Half:
    size: int
    took_up: int

    @property
    def share(self) -> Fraction | None:
        return Fraction(self.took_up, self.size) if self.size else None


@dataclass(frozen=True)
class Interval:
    difference: float
    low: float
    high: float


def difference_interval(reminded: Half, comparison: Half) -> Interval | None:
    """The difference of two proportions with a 95% interval (normal approximation, Wald):
    p1 - p2 +/- 1.96 * sqrt(p1 (1 - p1) / n1 + p2 (1 - p2) / n2). None when a half is empty."""
    p1, p2 = reminded.share, comparison.share
    if p1 is None or p2 is None:
        return None
    variance = p1 * (1 - p1) / reminded.size + p2 * (1 - p2) / comparison.size
    margin = Z_95 * math.sqrt(variance)  # float only here: a statistic, not money
    difference = float(p1 - p2)
    return Interval(difference, difference - margin, difference + margin)


@dataclass(frozen=True)
class TakeUp:
    run: OutreachRun
    reminded: Half
    comparison: Half
    interval: Interval | None
    #: the day the four weeks are over; before it the numbers are not final
    final_on: dt.date


def take_up(session: Session, run_id: int) -> TakeUp:
    """Per half, how many households used (at least once, not wholly given back) one of the
    grants they were listed for, from the run's moment to four weeks after it."""
    run = session.get_one(OutreachRun, run_id)
    contacts = session.scalars(
        select(OutreachContact).where(
            OutreachContact.run_id == run.id, OutreachContact.reason == Reason.unused
        )
    ).all()
    grant_ids = {g for c in contacts for g in c.grant_ids}
    used = set(
        session.scalars(
            select(Redemption.grant_id).where(
                Redemption.grant_id.in_(grant_ids),
                Redemption.reversed < Redemption.amount,
                Redemption.created_at >= run.started_at,
                Redemption.created_at < run.started_at + FOLLOW_UP,
            )
        )
    )
    halves = {}
    for group in Group:
        mine = [c for c in contacts if c.group == group]
        halves[group] = Half(len(mine), sum(1 for c in mine if used & set(c.grant_ids)))
    reminded, comparison = halves[Group.reminded], halves[Group.comparison]
    return TakeUp(
        run=run,
        reminded=reminded,
        comparison=comparison,
        interval=difference_interval(reminded, comparison) if run.experiment else None,
        final_on=run.day + FOLLOW_UP,
    )


def runs(session: Session, limit: int = 20) -> list[OutreachRun]:
    """The newest runs first."""
    return list(session.scalars(select(OutreachRun).order_by(OutreachRun.id.desc()).limit(limit)))
