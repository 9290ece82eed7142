"""Who lives where during a period, on which assessment, against which norm: read once.

A grant run judges every resident, and a norm import judges them again for every running
scheme: the rows are read with Core (no ORM objects per row) once per period, and the norm of a
household on a day is worked out once, whatever the number of schemes judging it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from almerepas.grants import collector
from almerepas.households.models import Household, MemberRole, Membership, Person
from almerepas.income import rules as eligibility
from almerepas.income.errors import NoNorm
from almerepas.income.models import HouseholdType, IncomeAssessment, IncomeLine
from almerepas.income.norms import NormKey, NormTable, norm_table
from almerepas.income.policy import STUDENT_FINANCE, Policy, load_policy
from almerepas.schemes.periods import PeriodSpan


class Member(NamedTuple):
    household_id: int
    person_id: int
    role: MemberRole
    valid_from: dt.date
    valid_to: dt.date | None
    born: dt.date
    moved_out_on: dt.date | None

    def active_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class Income(NamedTuple):
    valid_from: dt.date
    valid_to: dt.date
    net_income: int
    norm: int  #: the norm the caseworker saw at assessment: used only when the day has none
    id: int
    assessed_on: dt.date
    assets: int | None
    youth_supplement: bool
    #: members with student finance on this assessment (for the ``students`` setting)
    students: frozenset[int] = frozenset()


class Norms:
    """The norm of a household on a day: its composition on that day (applicant, partner,
    children under 18) and the norm valid then, from a table read once per run, with the youth
    supplement when the assessment grants it and the gemeente's choices (``Policy``)."""

    def __init__(
        self, table: NormTable, households: dict[int, list[Member]], policy: Policy
    ) -> None:
        self.table = table
        self.households = households
        self.policy = policy
        self._known: dict[tuple[int, dt.date, bool], tuple[int, HouseholdType] | None] = {}
        #: the table's norm per (composition, day): a handful of keys for a whole city
        self._amounts: dict[tuple[NormKey, dt.date], int | None] = {}

    def on(self, household_id: int, day: dt.date, supplement: bool = False) -> int | None:
        found = self.lookup(household_id, day, supplement)
        return found[0] if found else None

    def household_type(self, household_id: int, day: dt.date) -> HouseholdType | None:
        found = self.lookup(household_id, day, False)
        return found[1] if found else None

    def lookup(
        self, household_id: int, day: dt.date, supplement: bool = False
    ) -> tuple[int, HouseholdType] | None:
        """``on`` and ``household_type`` at once (the type as ``supplement=False`` finds it)."""
        key = (household_id, day, supplement)
        try:  # one hash on the way: asked for every member of the household
            return self._known[key]
        except KeyError:
            found = self._known[key] = self._work_out(household_id, day, supplement)
            return found

    def _work_out(
        self, household_id: int, day: dt.date, supplement: bool
    ) -> tuple[int, HouseholdType] | None:
        present = [m for m in self.households.get(household_id, []) if m.active_on(day)]
        # the applicant first: asked once per household of a city, so two passes, not a sort
        adults = [m.born for m in present if m.role == MemberRole.applicant]
        adults += [m.born for m in present if m.role == MemberRole.partner]
        children = sum(
            1
            for m in present
            if m.role == MemberRole.child and eligibility.age_on(m.born, day) < 18
        )
        youth_norm = self.policy.youth_norm
        try:
            key = eligibility.norm_key(adults, children, day, youth_norm)
            extra = eligibility.supplement(adults, day, youth_norm, supplement)
        except NoNorm:
            return None
        if (key, day) not in self._amounts:  # the table is scanned once per key, not per home
            self._amounts[key, day] = self.table.latest(key, day)
        amount = self._amounts[key, day]
        return None if amount is None else (amount + extra, key[0])


def _members(
    session: Session, span: PeriodSpan, household_id: int | None = None
) -> dict[int, list[Member]]:
    """Everyone living in a household at some point in the period, grouped by household."""
    query = (
        select(
            Membership.household_id,
            Membership.person_id,
            Membership.role,
            Membership.valid_from,
            Membership.valid_to,
            Person.date_of_birth,
            Household.moved_out_on,
        )
        .join(Person, Person.id == Membership.person_id)
        .join(Household, Household.id == Membership.household_id)
        .where(Membership.valid_from <= span.end)
        .where(or_(Membership.valid_to.is_(None), Membership.valid_to >= span.start))
        .order_by(Membership.household_id, Membership.id)
    )
    if household_id is not None:
        query = query.where(Membership.household_id == household_id)
    by_household: dict[int, list[Member]] = defaultdict(list)
    for row in session.connection().execute(query):  # Core rows: no ORM loading per row
        by_household[row[0]].append(Member._make(row))  # one C call per row
    return by_household


def _incomes(
    session: Session, span: PeriodSpan, household_id: int | None = None
) -> dict[int, list[Income]]:
    query = (
        select(
            IncomeAssessment.household_id,
            IncomeAssessment.valid_from,
            IncomeAssessment.valid_to,
            IncomeAssessment.net_income,
            IncomeAssessment.norm_amount,
            IncomeAssessment.id,
            IncomeAssessment.assessed_on,
            IncomeAssessment.assets,
            IncomeAssessment.youth_supplement,
        )
        .where(IncomeAssessment.valid_from <= span.end, IncomeAssessment.valid_to >= span.start)
        .order_by(IncomeAssessment.valid_from, IncomeAssessment.id)
    )
    if household_id is not None:
        query = query.where(IncomeAssessment.household_id == household_id)
    rows = session.connection().execute(query).all()
    students = _students(session, span, household_id)
    by_household: dict[int, list[Income]] = defaultdict(list)
    for row in rows:
        by_household[row[0]].append(Income(*row[1:], students.get(row.id, frozenset())))
    return by_household


def _students(
    session: Session, span: PeriodSpan, household_id: int | None
) -> dict[int, frozenset[int]]:
    """Per assessment of the period, who has student finance on it: one query per run, joined
    rather than asked for by id (binding tens of thousands of ids cost more than the rows)."""
    query = (
        select(IncomeLine.assessment_id, IncomeLine.person_id)
        .join(IncomeAssessment, IncomeAssessment.id == IncomeLine.assessment_id)
        .where(IncomeLine.kind == STUDENT_FINANCE)
        .where(IncomeAssessment.valid_from <= span.end, IncomeAssessment.valid_to >= span.start)
    )
    if household_id is not None:
        query = query.where(IncomeAssessment.household_id == household_id)
    found: dict[int, set[int]] = defaultdict(set)
    for assessment_id, person_id in session.connection().execute(query):
        found[assessment_id].add(person_id)
    return {key: frozenset(value) for key, value in found.items()}


@dataclass(frozen=True)
class Population:
    """A period's households with their members, their assessments and their norms."""

    households: dict[int, list[Member]]
    incomes: dict[int, list[Income]]
    norms: Norms


def read_population(
    session: Session,
    span: PeriodSpan,
    *,
    household_id: int | None = None,
    table: NormTable | None = None,
    policy: Policy | None = None,
) -> Population:
    """Everyone living in Almere at some point in the period (or in one household), read once:
    every scheme judging the period may use it (``plan``'s ``population``)."""
    session.flush()  # the reads are Core statements, which do not flush by themselves
    incomes = _incomes(session, span, household_id)
    households = _members(session, span, household_id)
    collector.settle()  # a city's residents stay alive for the whole run
    norms = Norms(
        table if table is not None else norm_table(session),
        households,
        policy if policy is not None else load_policy(session),
    )
    return Population(households, incomes, norms)
