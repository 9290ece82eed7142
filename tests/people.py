"""Factories for households, persons and assessments; reference data as a fixture."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from almerepas.households import members as households
from almerepas.households.members import Address
from almerepas.income import assessments, norms
from almerepas.income import rules as eligibility
from almerepas.models import Household, IncomeAssessment, MemberRole
from almerepas.reference.loaders import load_norms, load_postcodes, load_schemes

_numbers = itertools.count(1)


@pytest.fixture
def reference(db: Session, app: Flask) -> Session:
    """Postcodes, norms and the seed schemes, inside the test's transaction."""
    with app.app_context():
        load_postcodes(db)
        load_norms(db)
        load_schemes(db)
    return db


def make_household(
    session: Session,
    members: list[tuple[MemberRole, dt.date]],
    *,
    postcode: str = "1315 AB",
    since: dt.date = dt.date(2020, 1, 1),
) -> Household:
    """A household at a numbered address with members (role, birth date) living there since."""
    household = households.create_household(
        session,
        address=Address(postcode=postcode, house_number=next(_numbers), street="Stadhuisplein"),
    )
    for n, (role, born) in enumerate(members):
        person = households.create_person(
            session, given_name=f"Lid{n}", family_name="Test", date_of_birth=born
        )
        households.add_member(session, household, person, role=role, valid_from=max(since, born))
    session.refresh(household)
    return household


def assess(
    session: Session,
    household: Household,
    percent_of_norm: tuple[int, int],
    *,
    on: dt.date = dt.date(2026, 1, 1),
) -> IncomeAssessment:
    """Assess at numerator/denominator of the applicable norm, in cents rounded down."""
    adults, children = assessments.composition(household, on)
    norm = norms.norm_for(session, eligibility.norm_key(adults, children, on), on)
    numerator, denominator = percent_of_norm
    income = norm.amount * numerator // denominator
    return assessments.record_assessment(
        session, household, net_income=income, assessed_on=on, assessed_by="test"
    )


def born(years_before: int, on: dt.date = dt.date(2026, 1, 1)) -> dt.date:
    """A birth date that makes someone exactly ``years_before`` years old on ``on``."""
    return on.replace(year=on.year - years_before)
