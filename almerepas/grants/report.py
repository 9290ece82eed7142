"""One household's eligibility for every scheme in the period of a day, with a reason per rule.

The verdict is the grant run's for the period that contains the day (``plan``), not a judgement
on the day itself: a page must not promise a budget the run then refuses."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from almerepas.grants.planning import plan
from almerepas.households.models import Household
from almerepas.schemes import periods
from almerepas.schemes.models import Scheme, SchemeKind


def running_schemes(session: Session, day: dt.date) -> list[Scheme]:
    """The schemes a verdict is asked for on ``day``: the caseworker's and the resident's check."""
    return list(
        session.scalars(
            select(Scheme)
            .where(Scheme.active.is_(True), Scheme.kind != SchemeKind.offer)
            .where(Scheme.valid_from <= day)
            .where(or_(Scheme.valid_to.is_(None), Scheme.valid_to >= day))
            .order_by(Scheme.code)
        )
    )


def household_eligibility(
    session: Session, household: Household, day: dt.date
) -> list[dict[str, Any]]:
    """Per scheme and beneficiary (a member, or the household): eligible or not, and why."""
    schemes = running_schemes(session, day)
    names = {
        m.person_id: f"{m.person.given_name} {m.person.family_name}" for m in household.memberships
    }
    rows: list[dict[str, Any]] = []
    for scheme in schemes:
        span = periods.span_for(scheme.period, periods.PeriodSpan(day, day, scheme.period))
        # The question the grant run asks for the period that contains the day: the same
        # reference days, the same age rule, the same amount.
        for candidate in plan(session, scheme, span, household_id=household.id):
            rows.append(
                {
                    "scheme": scheme.code,
                    "scheme_name": scheme.name_nl,
                    "person_id": candidate.person_id,
                    "person_name": names.get(candidate.person_id, "")
                    if candidate.person_id
                    else None,
                    "eligible": candidate.eligible,
                    "amount": candidate.amount,
                    "unit": scheme.unit,
                    "rules": [
                        {"rule": r.rule, "ok": r.ok, "reason": r.reason} for r in candidate.results
                    ],
                }
            )
    return rows
