"""Who a grant run would give what: candidates with the scheme's verdict, without writing.

Planning reads plain rows, not ORM objects: a run looks at every resident of the city, and
loading tens of thousands of objects with their relationships costs more than the grants.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import NamedTuple

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from almerepas.core.money import half_up
from almerepas.households.models import Household, MemberRole, Membership, Person
from almerepas.income import rules as eligibility
from almerepas.income.errors import NoNorm
from almerepas.income.models import HouseholdType, IncomeAssessment, IncomeLine
from almerepas.income.norms import NormTable, norm_table
from almerepas.income.policy import STUDENT_FINANCE, OutsideFamily, Policy, Students, load_policy
from almerepas.income.rules import Facts, Reason, RuleResult
from almerepas.schemes.models import Beneficiary, MidPeriodEntry, Period, Scheme, SchemeKind
from almerepas.schemes.periods import PeriodSpan


@dataclass
class Candidate:
    beneficiary_key: str
    household_id: int
    person_id: int | None
    reference_date: dt.date
    amount: int
    results: list[RuleResult]
    #: the assessment the verdict rests on (None when there was none that day): its date and id
    assessed_on: dt.date | None = None
    assessment_id: int | None = None

    @property
    def queue_key(self) -> tuple[bool, dt.date, int, int, int]:
        """Place in a budget's queue: first come, first served.

        There are no applications yet, so "come" is the day the household was assessed: the
        ``assessed_on`` of the assessment the verdict rests on; ties by that assessment's id,
        then household id, then person id. A verdict without an assessment (a scheme with no
        income test) comes after every assessed one, by household and person id.
        """
        return (
            self.assessed_on is None,
            self.assessed_on or dt.date.max,
            self.assessment_id or 0,
            self.household_id,
            self.person_id or 0,
        )

    @functools.cached_property
    def eligible(self) -> bool:
        """Asked several times per candidate by a run (judging, the budget, the counts); the
        results never change after planning, so it is worked out once."""
        return eligibility.is_eligible(self.results)

    @property
    def deciding_reason(self) -> Reason | None:
        """Why not: the first rule that is not met, in the order of ``check``; None when every
        rule is. A missing assessment is named only when no other rule fails: someone too old
        for the scheme is refused for their age, assessed or not."""
        failing = [r.reason for r in self.results if not r.ok]
        known = [reason for reason in failing if reason.code != "no_assessment"]
        chosen = known or failing
        return chosen[0] if chosen else None


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

    def on(self, household_id: int, day: dt.date, supplement: bool = False) -> int | None:
        found = self._lookup(household_id, day, supplement)
        return found[0] if found else None

    def household_type(self, household_id: int, day: dt.date) -> HouseholdType | None:
        found = self._lookup(household_id, day, False)
        return found[1] if found else None

    def _lookup(
        self, household_id: int, day: dt.date, supplement: bool
    ) -> tuple[int, HouseholdType] | None:
        key = (household_id, day, supplement)
        if key not in self._known:
            self._known[key] = self._work_out(household_id, day, supplement)
        return self._known[key]

    def _work_out(
        self, household_id: int, day: dt.date, supplement: bool
    ) -> tuple[int, HouseholdType] | None:
        present = [m for m in self.households.get(household_id, []) if m.active_on(day)]
        adults = [
            m.born
            for m in sorted(present, key=lambda m: m.role != MemberRole.applicant)
            if m.role in (MemberRole.applicant, MemberRole.partner)
        ]
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
        amount = self.table.latest(key, day)
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
    for row in session.execute(query):
        by_household[row[0]].append(Member(*row))
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
    rows = session.execute(query).all()
    students = _students(session, [row.id for row in rows])
    by_household: dict[int, list[Income]] = defaultdict(list)
    for row in rows:
        by_household[row[0]].append(Income(*row[1:], students.get(row.id, frozenset())))
    return by_household


def _students(session: Session, assessment_ids: list[int]) -> dict[int, frozenset[int]]:
    """Per assessment, who has student finance on it: one query per run, in chunks."""
    found: dict[int, set[int]] = defaultdict(set)
    for start in range(0, len(assessment_ids), 5000):
        chunk = assessment_ids[start : start + 5000]
        query = select(IncomeLine.assessment_id, IncomeLine.person_id).where(
            IncomeLine.kind == STUDENT_FINANCE, IncomeLine.assessment_id.in_(chunk)
        )
        for assessment_id, person_id in session.execute(query):
            found[assessment_id].add(person_id)
    return {key: frozenset(value) for key, value in found.items()}


def _income_on(incomes: list[Income], day: dt.date) -> Income | None:
    """The assessment that holds on ``day``: of overlapping ones, the one that starts last."""
    valid = [i for i in incomes if i.valid_from <= day <= i.valid_to]
    return valid[-1] if valid else None


def _facts(
    member: Member,
    incomes: list[Income],
    norms: Norms,
    day: dt.date,
    span: PeriodSpan,
    *,
    person: bool = False,
    eligible_children: int = 0,
) -> Facts:
    """The income of the assessment valid on the day, against the norm of that day for the
    household as it is then (``Norms``); the norm seen at assessment only when the day has no
    norm (no applicant that day, or an age the pension-age table does not cover). For a person
    scheme (``person``), also whether the person may use the household's assessment at all."""
    income = _income_on(incomes, day)
    norm = asset_limit = None
    if income is not None:
        norm = norms.on(member.household_id, day, income.youth_supplement)
        norm = income.norm if norm is None else norm
        household_type = norms.household_type(member.household_id, day)
        if household_type is not None:
            asset_limit = norms.policy.asset_limit_for(household_type)
    return Facts(
        reference_date=day,
        in_almere=member.moved_out_on is None or member.moved_out_on >= day,
        born=member.born if person else None,
        net_income=income.net_income if income else None,
        norm=norm,
        eligible_children=eligible_children,
        period_end=span.end,
        assets=income.assets if income else None,
        asset_limit=asset_limit,
        outside_family=_outside_family(member, day, norms.policy) if person else None,
        student_excluded=person
        and income is not None
        and norms.policy.students == Students.not_eligible
        and member.person_id in income.students,
    )


def _outside_family(member: Member, day: dt.date, policy: Policy) -> str | None:
    """ "lodger" or "adult_child" when the settings say this person needs their own assessment."""
    if member.role == MemberRole.other and policy.lodgers == OutsideFamily.own_assessment:
        return "lodger"
    if (
        member.role == MemberRole.child
        and eligibility.age_on(member.born, day) >= 18
        and policy.adult_children == OutsideFamily.own_assessment
    ):
        return "adult_child"
    return None


def _amount(scheme: Scheme, span: PeriodSpan, reference: dt.date, units: int = 1) -> int:
    amount = scheme.amount * units
    if (
        span.kind == Period.year
        and reference > span.start
        and scheme.mid_period_entry == MidPeriodEntry.pro_rata
    ):
        return half_up(Fraction(amount * span.months_from(reference), 12))
    return amount


def _age_fits(scheme: Scheme, born: dt.date, day: dt.date, span: PeriodSpan) -> bool:
    return eligibility.age_fits(scheme, born, day, span.end)[0]


def _reference_days(
    first: dt.date, incomes: list[Income], span: PeriodSpan, lives_there: Callable[[dt.date], bool]
) -> list[dt.date]:
    """The first day, then every later day in the period on which a new assessment starts, as
    long as the beneficiary still lives in the household then."""
    later = sorted({i.valid_from for i in incomes if first < i.valid_from <= span.end})
    return [day for day in [first, *later] if lives_there(day)]


def _anyone_on(members: list[Member], day: dt.date) -> bool:
    return any(m.active_on(day) for m in members)


def _lacks_assessment(candidate: Candidate) -> bool:
    return any(not r.ok and r.reason.code == "no_assessment" for r in candidate.results)


def deciding(verdicts: list[Candidate]) -> Candidate | None:
    """The verdict that decides, from verdicts in date order (reference days, households).

    The first eligible verdict, if any. Otherwise the first verdict made with an income
    assessment in hand: a day on which there was no assessment yet does not decide when a later
    day of the period has one, because an application from that day would be judged on that
    assessment (its income above the limit, say). Only when no verdict has an assessment (or
    the scheme has no income test) is it the first verdict.
    """
    for candidate in verdicts:
        if candidate.eligible:
            return candidate
    chosen = [c for c in verdicts if not _lacks_assessment(c)] or verdicts
    return chosen[0] if chosen else None


def _judge(days: list[dt.date], candidate_on: Callable[[dt.date], Candidate]) -> Candidate | None:
    """The deciding verdict over the reference days: see ``deciding``."""
    verdicts = []
    for day in days:
        verdicts.append(candidate_on(day))
        if verdicts[-1].eligible:
            break
    return deciding(verdicts)


def _household_candidate(
    scheme: Scheme, span: PeriodSpan, norms: Norms, owner: int, members: list[Member],
    known: list[Income], day: dt.date,
) -> Candidate:  # fmt: skip
    children = (
        sum(1 for m in members if m.active_on(day) and _age_fits(scheme, m.born, day, span))
        if scheme.pooled
        else 0
    )
    facts = _facts(members[0], known, norms, day, span, eligible_children=children)
    amount = _amount(scheme, span, day, children if scheme.pooled else 1)
    income = _income_on(known, day)
    return Candidate(
        f"household:{owner}", owner, None, day, amount, eligibility.check(scheme, facts),
        income.assessed_on if income else None, income.id if income else None,
    )  # fmt: skip


def _person_candidate(
    scheme: Scheme, span: PeriodSpan, norms: Norms, owner: int, member: Member,
    known: list[Income], day: dt.date,
) -> Candidate:  # fmt: skip
    facts = _facts(member, known, norms, day, span, person=True)
    income = _income_on(known, day)
    return Candidate(
        f"person:{member.person_id}", owner, member.person_id, day,
        _amount(scheme, span, day), eligibility.check(scheme, facts),
        income.assessed_on if income else None, income.id if income else None,
    )  # fmt: skip


def _opens(scheme: Scheme, span: PeriodSpan) -> dt.date:
    return max(span.start, scheme.valid_from)


def judge_household(
    scheme: Scheme, span: PeriodSpan, norms: Norms, owner: int, members: list[Member],
    known: list[Income],
) -> Candidate | None:  # fmt: skip
    """The verdict of a household scheme for one household: the run's, and the anonymous
    check's for a described household (applications/check.py), so they cannot differ."""
    first = max(_opens(scheme, span), min(m.valid_from for m in members))
    days = _reference_days(first, known, span, functools.partial(_anyone_on, members))
    return _judge(
        days, functools.partial(_household_candidate, scheme, span, norms, owner, members, known)
    )


def judge_person(
    scheme: Scheme, span: PeriodSpan, norms: Norms, owner: int, member: Member,
    known: list[Income],
) -> Candidate | None:  # fmt: skip
    """The verdict of a person scheme for one stay of a person in a household (see
    ``judge_household`` for why this is one function)."""
    first = max(_opens(scheme, span), member.valid_from)
    days = _reference_days(first, known, span, member.active_on)
    return _judge(
        days, functools.partial(_person_candidate, scheme, span, norms, owner, member, known)
    )


def plan(
    session: Session,
    scheme: Scheme,
    span: PeriodSpan,
    *,
    household_id: int | None = None,
    table: NormTable | None = None,
    policy: Policy | None = None,
) -> list[Candidate]:
    """Everyone who lives in the gemeente at some point in the period, with the scheme's verdict.

    The reference date is the first day of the period, or the day the scheme or the person's
    membership starts if that is later (a newcomer during a yearly period). Someone who is not
    eligible then but becomes so through an assessment that starts later in the period (a first
    application in March) is judged on that assessment's first day instead, if they still live
    there. A person who moved during the period is judged in each household in date order; the
    first in which they are eligible counts. Someone eligible on none of these days gets the
    verdict that decides (``deciding``): the first made with an income assessment, so the
    reason is "above the limit" rather than "no assessment" on a day before the assessment
    started. Age is judged as the scheme's ``age_rule`` says, over the reference day and the
    rest of the period. The eligibility page and API ask this same question for the period that
    contains the day asked about (``grants/report.py``), so they never promise what the run
    refuses.

    Income is measured against the norm valid on the reference day for the household as it is
    composed that day, not the norm copied onto the assessment. ``table`` is the norm table
    (``norm_table``), read here when not given: one query, never one per person; ``policy``
    the gemeente's choices (``load_policy``), likewise.
    """
    if scheme.kind == SchemeKind.offer or not scheme.active:
        return []  # offers are never granted; an inactive scheme is not running
    if _opens(scheme, span) > span.end:
        return []
    incomes = _incomes(session, span, household_id)
    households = _members(session, span, household_id)
    norms = Norms(
        table if table is not None else norm_table(session),
        households,
        policy if policy is not None else load_policy(session),
    )
    candidates: list[Candidate] = []
    if scheme.beneficiary == Beneficiary.household:
        for owner, members in households.items():
            if (
                found := judge_household(
                    scheme, span, norms, owner, members, incomes.get(owner, [])
                )
            ) is not None:
                candidates.append(found)
        return candidates
    by_person: dict[int, list[tuple[int, Member]]] = defaultdict(list)
    for owner, members in households.items():
        for member in members:
            by_person[member.person_id].append((owner, member))
    for stays in by_person.values():
        verdicts = []
        for owner, member in sorted(stays, key=lambda stay: stay[1].valid_from):
            known = incomes.get(owner, [])
            if (found := judge_person(scheme, span, norms, owner, member, known)) is not None:
                verdicts.append(found)
                if found.eligible:
                    break
        if (found := deciding(verdicts)) is not None:
            candidates.append(found)
    return candidates
