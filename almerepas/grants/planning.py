"""Who a grant run would give what: candidates with the scheme's verdict, without writing.

Planning reads plain rows, not ORM objects: a run looks at every resident of the city, and
loading tens of thousands of objects with their relationships costs more than the grants.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

from sqlalchemy.orm import Session

from almerepas.core.money import half_up
from almerepas.grants import collector
from almerepas.grants.population import Income as Income
from almerepas.grants.population import Member as Member
from almerepas.grants.population import Norms as Norms
from almerepas.grants.population import Population, read_population
from almerepas.households.models import MemberRole
from almerepas.income import rules as eligibility
from almerepas.income.norms import NormTable
from almerepas.income.policy import OutsideFamily, Policy, Students
from almerepas.income.rules import Facts, Reason, RuleResult
from almerepas.schemes.models import (
    Beneficiary,
    MidPeriodEntry,
    Period,
    Scheme,
    SchemeKind,
    SchemeTerms,
    Terms,
)
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
    #: every rule is met (``__post_init__``)
    eligible: bool = field(init=False, repr=False, compare=False)

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

    def __post_init__(self) -> None:
        """``eligible`` is asked several times per candidate by a run (judging, the budget, the
        counts); the results never change after planning, so it is worked out once, here (a
        cached_property took its lock on each of a city's first reads)."""
        self.eligible = eligibility.is_eligible(self.results)

    @property
    def deciding_reason(self) -> Reason | None:
        """Why not: the first rule that is not met, in the order of ``check``; None when every
        rule is. A missing assessment is named only when no other rule fails: someone too old
        for the scheme is refused for their age, assessed or not."""
        failing = [r.reason for r in self.results if not r.ok]
        known = [reason for reason in failing if reason.code != "no_assessment"]
        chosen = known or failing
        return chosen[0] if chosen else None


def _income_on(incomes: list[Income], day: dt.date) -> Income | None:
    """The assessment that holds on ``day``: of overlapping ones, the one that starts last."""
    valid = [i for i in incomes if i.valid_from <= day <= i.valid_to]
    return valid[-1] if valid else None


def _facts(
    member: Member,
    income: Income | None,
    norms: Norms,
    day: dt.date,
    span: PeriodSpan,
    *,
    person: bool = False,
    eligible_children: int = 0,
) -> Facts:
    """The income of the assessment valid on the day (``income``: ``_income_on``), against the
    norm of that day for the household as it is then (``Norms``); the norm seen at assessment
    only when the day has no norm (no applicant that day, or an age the pension-age table does
    not cover). For a person scheme (``person``), also whether the person may use the
    household's assessment at all."""
    norm = asset_limit = None
    if income is not None:
        found = norms.lookup(member.household_id, day, income.youth_supplement)
        norm = income.norm if found is None else found[0]
        if income.youth_supplement:  # the household type is looked up without the supplement
            found = norms.lookup(member.household_id, day)
        if found is not None:
            asset_limit = norms.policy.asset_limit_for(found[1])
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


def _amount(scheme: Terms, span: PeriodSpan, reference: dt.date, units: int = 1) -> int:
    amount = scheme.amount * units
    if (
        span.kind == Period.year
        and reference > span.start
        and scheme.mid_period_entry == MidPeriodEntry.pro_rata
    ):
        return half_up(Fraction(amount * span.months_from(reference), 12))
    return amount


def _age_fits(scheme: Terms, born: dt.date, day: dt.date, span: PeriodSpan) -> bool:
    return eligibility.age_fits(scheme, born, day, span.end)[0]


def _reference_days(
    first: dt.date, incomes: list[Income], span: PeriodSpan, lives_there: Callable[[dt.date], bool]
) -> list[dt.date]:
    """The first day, then every later day in the period on which a new assessment starts, as
    long as the beneficiary still lives in the household then."""
    end = span.end
    later = sorted({i.valid_from for i in incomes if first < i.valid_from <= end})
    if not later:  # most people: one day to judge
        return [first] if lives_there(first) else []
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
    scheme: Terms, span: PeriodSpan, norms: Norms, owner: int, members: list[Member],
    known: list[Income], day: dt.date,
) -> Candidate:  # fmt: skip
    children = (
        sum(1 for m in members if m.active_on(day) and _age_fits(scheme, m.born, day, span))
        if scheme.pooled
        else 0
    )
    income = _income_on(known, day)
    facts = _facts(members[0], income, norms, day, span, eligible_children=children)
    amount = _amount(scheme, span, day, children if scheme.pooled else 1)
    return Candidate(
        f"household:{owner}", owner, None, day, amount, eligibility.check(scheme, facts),
        income.assessed_on if income else None, income.id if income else None,
    )  # fmt: skip


def _person_candidate(
    scheme: Terms, span: PeriodSpan, norms: Norms, owner: int, member: Member,
    known: list[Income], day: dt.date,
) -> Candidate:  # fmt: skip
    income = _income_on(known, day)
    facts = _facts(member, income, norms, day, span, person=True)
    return Candidate(
        f"person:{member.person_id}", owner, member.person_id, day,
        _amount(scheme, span, day), eligibility.check(scheme, facts),
        income.assessed_on if income else None, income.id if income else None,
    )  # fmt: skip


def _opens(scheme: Terms, span: PeriodSpan) -> dt.date:
    return max(span.start, scheme.valid_from)


def judge_household(
    scheme: Terms, span: PeriodSpan, norms: Norms, owner: int, members: list[Member],
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
    scheme: Terms, span: PeriodSpan, norms: Norms, owner: int, member: Member,
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
    population: Population | None = None,
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
    the gemeente's choices (``load_policy``), likewise. ``population``: the period's residents
    as ``read_population`` read them, for a caller that judges them for several schemes (then
    ``household_id``, ``table`` and ``policy`` are the population's).
    """
    if scheme.kind == SchemeKind.offer or not scheme.active:
        return []  # offers are never granted; an inactive scheme is not running
    if _opens(scheme, span) > span.end:
        return []
    with collector.survivors_frozen(whole_city=household_id is None):
        people = population or read_population(
            session, span, household_id=household_id, table=table, policy=policy
        )
        return _plan(scheme, span, people)


def _plan(scheme: Scheme, span: PeriodSpan, people: Population) -> list[Candidate]:
    households, incomes, norms = people.households, people.incomes, people.norms
    candidates: list[Candidate] = []
    beneficiary, terms = scheme.beneficiary, SchemeTerms.of(scheme)  # read once, not per person
    if beneficiary == Beneficiary.household:
        for judged, (owner, members) in enumerate(households.items(), 1):
            if (
                found := judge_household(terms, span, norms, owner, members, incomes.get(owner, []))
            ) is not None:
                candidates.append(found)
            if judged % collector.EVERY == 0:
                collector.settle()  # the verdicts stay alive until the run ends
        return candidates
    by_person: dict[int, list[tuple[int, Member]]] = defaultdict(list)
    for owner, members in households.items():
        for member in members:
            by_person[member.person_id].append((owner, member))
    for judged, stays in enumerate(by_person.values(), 1):
        if judged % collector.EVERY == 0:
            collector.settle()  # the verdicts stay alive until the run ends
        verdicts = []
        for owner, member in sorted(stays, key=lambda stay: stay[1].valid_from):
            known = incomes.get(owner, [])
            if (found := judge_person(terms, span, norms, owner, member, known)) is not None:
                verdicts.append(found)
                if found.eligible:
                    break
        if (found := deciding(verdicts)) is not None:
            candidates.append(found)
    return candidates
