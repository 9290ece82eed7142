"""Who is on the outreach list: households with a budget, quota or discount of the running
period that nobody in it has used after ``weeks`` weeks, and households whose assessment (and
so their pass) ends soon. Read only; caseworkers see it, sending is ``outreach.sending``."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, replace

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from almerepas.applications import renewal
from almerepas.grants.models import Grant
from almerepas.households.models import Household, Membership
from almerepas.outreach.models import OptOut, OutreachContact, Reason
from almerepas.redemptions.models import Redemption
from almerepas.schemes import periods
from almerepas.schemes.models import Scheme, SchemeKind

#: Schemes with something to use up; a right (free buses) is not counted here.
USABLE = (SchemeKind.budget, SchemeKind.quota, SchemeKind.discount)
#: The default of ``ALMEREPAS_OUTREACH_WEEKS``: weeks into a period before a reminder.
DEFAULT_WEEKS = 8


@dataclass(frozen=True)
class Candidate:
    """One reminder to send: to a household, about a scheme's period or an ending assessment."""

    key: str
    reason: Reason
    household_id: int
    #: the last day the grant or the pass works
    until: dt.date
    scheme_id: int | None = None
    period: str | None = None
    assessment_id: int | None = None
    grant_ids: tuple[int, ...] = ()
    #: the persons whose grant is unused (none for a household's own grant)
    person_ids: tuple[int, ...] = ()
    opted_out: bool = False


def unused_key(household_id: int, scheme_id: int, period: str) -> str:
    return f"unused:household:{household_id}:scheme:{scheme_id}:{period}"


def expiring_key(assessment_id: int) -> str:
    return f"expiring:assessment:{assessment_id}"


def _unused(session: Session, today: dt.date, weeks: int) -> list[Candidate]:
    used = exists().where(Redemption.grant_id == Grant.id, Redemption.reversed < Redemption.amount)
    grants = session.execute(
        select(Grant.id, Grant.scheme_id, Grant.period, Grant.person_id, Grant.household_id)
        .join(Scheme, Scheme.id == Grant.scheme_id)
        .where(
            Scheme.kind.in_(USABLE),
            Grant.period.in_([f"{today:%Y}", f"{today:%Y-%m}"]),
            Grant.expired_at.is_(None),
            Grant.amount > 0,
            ~used,
        )
        .order_by(Grant.id)
    ).all()
    homes = _homes(session, {g.person_id for g in grants if g.person_id is not None}, today)
    found: dict[tuple[int, int, str], list[tuple[int, int | None]]] = defaultdict(list)
    ends: dict[str, dt.date] = {}
    for grant_id, scheme_id, period, person_id, household_id in grants:
        span = periods.parse(period)
        if today < span.start + dt.timedelta(weeks=weeks) or today > span.end:
            continue
        home = household_id if person_id is None else homes.get(person_id)
        if home is not None:
            found[(home, scheme_id, period)].append((grant_id, person_id))
            ends[period] = span.end
    living = _living(session, {h for h, _s, _p in found}, today)
    return [
        Candidate(
            key=unused_key(household_id, scheme_id, period),
            reason=Reason.unused,
            household_id=household_id,
            until=ends[period],
            scheme_id=scheme_id,
            period=period,
            grant_ids=tuple(g for g, _p in rows),
            person_ids=tuple(p for _g, p in rows if p is not None),
        )
        for (household_id, scheme_id, period), rows in found.items()
        if household_id in living
    ]


def _homes(session: Session, person_ids: set[int], today: dt.date) -> dict[int, int]:
    """Person -> the household they live in on ``today`` (the newest membership), in one query."""
    rows = session.execute(
        select(Membership.person_id, Membership.household_id)
        .where(
            Membership.person_id.in_(person_ids),
            Membership.valid_from <= today,
            Membership.valid_to.is_(None) | (Membership.valid_to >= today),
        )
        .order_by(Membership.valid_from, Membership.id)
    ).all()
    return dict(rows)  # a later membership overwrites an earlier one


def _living(session: Session, household_ids: set[int], today: dt.date) -> set[int]:
    """The households still in the gemeente on ``today``."""
    return set(
        session.scalars(
            select(Household.id).where(
                Household.id.in_(household_ids),
                Household.moved_out_on.is_(None) | (Household.moved_out_on > today),
            )
        )
    )


def _expiring(session: Session, today: dt.date) -> list[Candidate]:
    return [
        Candidate(
            key=expiring_key(assessment_id),
            reason=Reason.expiring,
            household_id=household_id,
            until=last_day,
            assessment_id=assessment_id,
        )
        for assessment_id, household_id, last_day in renewal.ending(session, today)
    ]


def outreach_list(session: Session, today: dt.date, *, weeks: int) -> list[Candidate]:
    """The reminders not sent yet, by household; opted-out households are on it, marked, so a
    caseworker sees them, and are never sent anything."""
    candidates = _unused(session, today, weeks) + _expiring(session, today)
    keys = [c.key for c in candidates]
    done = set(session.scalars(select(OutreachContact.key).where(OutreachContact.key.in_(keys))))
    opted_out = set(
        session.scalars(
            select(OptOut.household_id).where(
                OptOut.household_id.in_({c.household_id for c in candidates})
            )
        )
    )
    return sorted(
        (
            replace(c, opted_out=c.household_id in opted_out)
            for c in candidates
            if c.key not in done
        ),
        key=lambda c: (c.household_id, c.key),
    )
