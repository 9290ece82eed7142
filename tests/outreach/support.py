"""A hand-made town for the outreach tests: families with a child's yearly budget for 2026."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.core import clock
from almerepas.grants import runs as grants
from almerepas.models import Grant, Household, MemberRole, Redemption
from almerepas.redemptions import ledger as redemptions
from almerepas.schemes import catalogue as schemes
from tests.factories import TEST_ACTOR, assess, born, make_household
from tests.fixtures import FrozenClock

#: Eight weeks and four days into 2026: the default list names unused yearly budgets.
MARCH = dt.date(2026, 3, 2)


def on(frozen_clock: FrozenClock, day: dt.date) -> None:
    frozen_clock.set(clock.local_moment(day, dt.time(9)))


def family(
    db: Session,
    name: str,
    *,
    email: str | None = None,
    phone: str | None = None,
    by_post: bool = False,
    language: str = "nl",
) -> Household:
    """A parent (the applicant, called ``name``) and a child of 10, assessed at the norm."""
    household = make_household(db, [(MemberRole.applicant, born(38)), (MemberRole.child, born(10))])
    parent, child = (m.person for m in household.memberships)
    parent.given_name, child.given_name = name, f"Kind van {name}"
    household.email, household.phone = email, phone
    household.letters_by_post, household.language = by_post, language
    assess(db, household, (100, 100))
    return household


def grant_budgets(db: Session) -> None:
    """Every family's child gets the 2026 stadsfonds budget, as January's grant run does."""
    grants.issue(
        db, period="2026", actor=TEST_ACTOR, today=dt.date(2026, 1, 5), schemes=["stadsfonds"]
    )


def budget_of(db: Session, household: Household) -> Grant:
    child = household.memberships[1].person
    return db.scalars(select(Grant).where(Grant.person_id == child.id)).one()


def redeem(db: Session, household: Household, amount: int = 25_00, ref: str = "") -> Redemption:
    grant = budget_of(db, household)
    payee = redemptions.payee_account(db, "sportclub", unit=grant.scheme.unit)
    return redemptions.redeem(
        db, grant, amount, payee_account=payee, actor=TEST_ACTOR,
        reference=ref or f"r-{household.id}-{clock.now():%j%H%M%S}", now=clock.now(),
    )  # fmt: skip


def stadsfonds_id(db: Session) -> int:
    return schemes.get_scheme(db, "stadsfonds").id


def cli(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["outreach", *args])
    assert result.exit_code == 0, result.output
    return result.output
