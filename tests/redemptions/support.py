"""Grants to redeem from, made the way a grant run makes them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.audit.log import Actor
from almerepas.grants import runs as grants
from almerepas.models import Grant, MemberRole
from almerepas.schemes import catalogue as schemes
from tests.factories import TEST_ACTOR, assess, born, make_household

#: A moment in the middle of 2026, when yearly and June grants run.
JUNE = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC)


def child_budget(session: Session, amount: int = 300_00) -> Grant:
    """A child's yearly sport and culture budget for 2026 (stadsfonds), of ``amount`` cents."""
    schemes.update_scheme(
        session, schemes.get_scheme(session, "stadsfonds"), {"amount": amount}, actor=TEST_ACTOR
    )
    family = make_household(
        session, [(MemberRole.applicant, born(40)), (MemberRole.child, born(12))]
    )
    assess(session, family, (100, 100), on=dt.date(2026, 3, 1))
    grants.issue(
        session, period="2026", actor=Actor("test"), today=dt.date(2026, 6, 1),
        schemes=["stadsfonds"],
    )  # fmt: skip
    return _grant_of(session, "stadsfonds", "2026")


def monthly_grant(
    session: Session, code: str, period: str = "2026-06", today: dt.date = dt.date(2026, 6, 1)
) -> Grant:
    """A grant of a monthly scheme (``supermarkt``: € 50 discount; ``menstruatie``: 3 packs)."""
    family = make_household(session, [(MemberRole.applicant, born(40))])
    assess(session, family, (100, 100), on=dt.date(2026, 3, 1))
    grants.issue(session, period=period, actor=Actor("test"), today=today, schemes=[code])
    return _grant_of(session, code, period)


def _grant_of(session: Session, code: str, period: str) -> Grant:
    """The newest grant of the scheme for the period: the one the last run made."""
    scheme = schemes.get_scheme(session, code)
    grant = session.scalars(
        select(Grant)
        .where(Grant.scheme_id == scheme.id, Grant.period == period)
        .order_by(Grant.id.desc())
    ).first()
    assert grant is not None and grant.account is not None
    return grant
