"""Waar heb ik recht op? An anonymous check of a described household, nothing stored.

The described household goes through the grant run's own verdict (``judge_household`` and
``judge_person`` in grants/planning.py) for the period that contains the day, exactly as the
caseworker's eligibility page asks it (grants/report.py): the same facts, norm table, age rule
and gemeente settings, so the check and the caseworker cannot disagree. It only reads.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from almerepas.grants.planning import (
    Candidate,
    Income,
    Member,
    Norms,
    judge_household,
    judge_person,
)
from almerepas.grants.report import running_schemes
from almerepas.households.models import MemberRole
from almerepas.income.errors import NoNorm
from almerepas.income.norms import norm_table
from almerepas.income.policy import load_policy
from almerepas.income.rules import Reason
from almerepas.schemes import periods
from almerepas.schemes.models import Beneficiary, Period, Scheme

#: the described household has no id; the planner needs one
_OWNER = 0
#: the reason codes of a member's age (income/rules.py)
_AGE = ("age_from", "age_between", "no_children_of_age")


@dataclass(frozen=True)
class Described:
    """One member as the resident describes them: role, birth date, student finance or not."""

    role: MemberRole
    born: dt.date
    student: bool = False


@dataclass(frozen=True)
class Verdict:
    """One beneficiary's verdict: ``member`` is the index in the description (None: the
    household); ``amount`` is per period, as the run would grant it."""

    member: int | None
    eligible: bool
    amount: int
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class SchemeAnswer:
    scheme: Scheme
    verdicts: tuple[Verdict, ...]

    @property
    def eligible(self) -> bool:
        return any(v.eligible for v in self.verdicts)

    @property
    def per_year(self) -> int:
        """What the eligible verdicts are worth in a year: cents, or units for a quota."""
        months = 12 if self.scheme.period == Period.month else 1
        return sum(v.amount for v in self.verdicts if v.eligible) * months

    @property
    def why_not(self) -> tuple[Reason, ...]:
        """The reasons of the verdicts that are not eligible, each once. A member's age is named
        only when nobody in the household has the age: "the income is too high" is the answer,
        not also "the parent is not 4 to 17"."""
        failing = [v.reasons for v in self.verdicts if not v.eligible]
        nobody_of_age = all(any(r.code in _AGE for r in reasons) for reasons in failing)
        seen: list[Reason] = []
        for reasons in failing:
            seen.extend(
                r for r in reasons if r not in seen and (nobody_of_age or r.code not in _AGE)
            )
        return tuple(seen)


def born_for_age(age: int, today: dt.date) -> dt.date:
    """The earliest birth date of someone who is ``age`` today: an age limit that falls earlier
    in the period is then already reached (a resident of 18 is 18 on the scheme's first day)."""
    year = today.year - age - 1
    try:
        before = today.replace(year=year)
    except ValueError:  # 29 February
        before = dt.date(year, 3, 1) - dt.timedelta(days=1)
    return before + dt.timedelta(days=1)


def members_of(household: list[Described]) -> list[Member]:
    """The planner's rows for a described household: everyone has lived there since birth."""
    return [
        Member(_OWNER, n + 1, m.role, m.born, None, m.born, None) for n, m in enumerate(household)
    ]


def check_household(
    session: Session,
    household: list[Described],
    net_income: int,
    day: dt.date,
    *,
    assets: int | None = None,
    youth_supplement: bool = False,
) -> list[SchemeAnswer]:
    """Per running scheme, the verdict the grant run gives this household for the period that
    contains ``day``, as if an assessment of ``net_income`` held for that whole period.

    :raises NoNorm: there is no norm for this household (no adult of 18 or older, an age the
    pension-age table does not cover).
    """
    members = members_of(household)
    norms = Norms(norm_table(session), {_OWNER: members}, load_policy(session))
    students = frozenset(n + 1 for n, m in enumerate(household) if m.student)
    answers = []
    for scheme in running_schemes(session, day):
        span = periods.span_for(scheme.period, periods.PeriodSpan(day, day, scheme.period))
        first = max(span.start, scheme.valid_from)
        norm = norms.on(_OWNER, first, youth_supplement)
        if norm is None:
            raise NoNorm(detail="Er is geen norm voor dit huishouden.")
        income = Income(
            span.start, span.end, net_income, norm, 0, span.start, assets, youth_supplement,
            students,
        )  # fmt: skip
        found: list[tuple[int | None, Candidate | None]]
        if scheme.beneficiary == Beneficiary.household:
            found = [(None, judge_household(scheme, span, norms, _OWNER, members, [income]))]
        else:
            found = [
                (n, judge_person(scheme, span, norms, _OWNER, member, [income]))
                for n, member in enumerate(members)
            ]
        verdicts = tuple(
            Verdict(n, c.eligible, c.amount, tuple(r.reason for r in c.results if not r.ok))
            for n, c in found
            if c is not None
        )
        answers.append(SchemeAnswer(scheme, verdicts))
    return answers
