"""Who is eligible for what, as plain functions: ages, norm keys, income percentages, scheme rules.

Rounding, stated once: eligibility compares integers exactly (income x 100 <= limit x norm), so
exactly 110% or 120% is inside. The percentage shown to people is in hundredths of a percent,
rounded up, so a shown percentage never looks inside a limit that the income is not.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from almerepas.core.i18n import N_
from almerepas.core.money import ceil_div
from almerepas.income.errors import NoNorm
from almerepas.income.models import AgeBand, Children, HouseholdType
from almerepas.income.norms import NormKey
from almerepas.income.policy import YouthNorm
from almerepas.schemes.models import AgeRule, Terms
from almerepas.schemes.periods import add_months


def age_on(born: dt.date, day: dt.date) -> int:
    """Whole years; someone born on 29 February turns a year older on 1 March in other years."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


@dataclass(frozen=True)
class PensionCohort:
    """People born from ``born_from`` to ``born_to`` (both inclusive) reach the state pension
    (AOW) age of ``years`` and ``months`` in calendar ``year``, as AOW art. 7a fixes it."""

    born_from: dt.date
    born_to: dt.date
    year: int
    years: int
    months: int
    source: str

    def pension_date(self, born: dt.date) -> dt.date:
        return add_months(born, 12 * self.years + self.months)


@functools.cache
def pension_cohorts() -> tuple[PensionCohort, ...]:
    """The table in ``state_pension_age.csv``, checked: contiguous, each cohort in its year."""
    with (Path(__file__).with_name("state_pension_age.csv")).open(encoding="utf-8") as f:
        rows = [
            PensionCohort(
                born_from=dt.date.fromisoformat(r["born_from"]),
                born_to=dt.date.fromisoformat(r["born_to"]),
                year=int(r["year"]),
                years=int(r["years"]),
                months=int(r["months"]),
                source=r["source"],
            )
            for r in csv.DictReader(f)
        ]
    cohorts = tuple(sorted(rows, key=lambda c: c.born_from))
    for before, after in itertools.pairwise(cohorts):
        if after.born_from != before.born_to + dt.timedelta(days=1):
            raise ValueError(f"state_pension_age.csv: gap or overlap before {after.born_from}")
        if (after.years, after.months) < (before.years, before.months):
            raise ValueError(f"state_pension_age.csv: pension age goes down at {after.born_from}")
    for c in cohorts:
        years = {c.pension_date(c.born_from).year, c.pension_date(c.born_to).year}
        if not c.source or years != {c.year}:
            raise ValueError(f"state_pension_age.csv: cohort from {c.born_from} is not in {c.year}")
    return cohorts


@functools.cache
def _youngest_pension_age() -> int:
    """The lowest pension age in whole years in the table; later cohorts never have a lower one,
    and anyone born after the last has at least the last's."""
    return min(c.years for c in pension_cohorts())


_UNKNOWN_PENSION_AGE = N_(
    "Voor deze geboortedatum en deze datum staat de AOW-leeftijd niet in onze tabel."
)


def pension_date(born: dt.date) -> dt.date:
    """The day someone born on ``born`` reaches state pension (AOW) age: fixed by the birth date.

    :raises NoNorm: the birth date is outside the cohorts the law has fixed so far.
    """
    for cohort in pension_cohorts():
        if cohort.born_from <= born <= cohort.born_to:
            return cohort.pension_date(born)
    raise NoNorm(detail=_UNKNOWN_PENSION_AGE)


def has_pension_age(born: dt.date, day: dt.date) -> bool:
    """Whether someone has reached state pension (AOW) age on ``day``; once true, always true.

    Born before the first cohort: reached a lower pension age before that cohort's year (so
    known only from then on). Born after the last: the pension age is at least the last one
    fixed (art. 7a never lowers it), so not reached before that; after that it is not yet law.

    :raises NoNorm: the law does not yet say (or the table does not hold) the answer.
    """
    cohorts = pension_cohorts()
    first, last = cohorts[0], cohorts[-1]
    if born < first.born_from:
        if day >= dt.date(first.year, 1, 1):
            return True
        raise NoNorm(detail=_UNKNOWN_PENSION_AGE)
    if age_on(born, day) < _youngest_pension_age() - 1:
        return False  # years before any pension age in the table: most adults, decided cheaply
    if born > last.born_to:
        if day < last.pension_date(born):
            return False
        raise NoNorm(detail=_UNKNOWN_PENSION_AGE)
    return pension_date(born) <= day


def _band(born: dt.date, day: dt.date, youth_norm: YouthNorm) -> AgeBand:
    if has_pension_age(born, day):
        return AgeBand.pension
    if age_on(born, day) < 21 and youth_norm == YouthNorm.statutory:
        return AgeBand.young
    return AgeBand.adult


def norm_key(
    adults: Sequence[dt.date],
    children: int,
    day: dt.date,
    youth_norm: YouthNorm = YouthNorm.statutory,
) -> NormKey:
    """The norm that fits a household: its adults' birth dates and its number of minor children.

    The age band follows the birthday: an 18-20 year old is measured against the norm of 21
    and older from the day they turn 21, not from their next assessment. With the ``adult``
    youth norm (a gemeente's choice) nobody is measured against the youth norms.
    """
    if not adults or any(age_on(born, day) < 18 for born in adults):
        raise NoNorm(detail=N_("Er is geen norm voor een aanvrager jonger dan 18 jaar."))
    kids = Children.one_or_more if children else Children.none
    if len(adults) == 1:
        band = _band(adults[0], day, youth_norm)
        if children:
            return (HouseholdType.single_parent, band, Children.one_or_more)
        return (HouseholdType.single, band, Children.any)
    bands = {_band(born, day, youth_norm) for born in adults[:2]}
    if AgeBand.pension in bands:
        return (HouseholdType.couple, AgeBand.pension, Children.any)
    if bands == {AgeBand.adult}:
        return (HouseholdType.couple, AgeBand.adult, Children.any)
    if bands == {AgeBand.young}:
        return (HouseholdType.couple, AgeBand.young, kids)
    return (HouseholdType.couple_mixed, AgeBand.mixed, kids)


@functools.cache
def youth_supplements() -> tuple[tuple[dt.date, int, str], ...]:
    """The art. 20(3) amounts from ``youth_supplement.csv``: (valid from, cents, source)."""
    with (Path(__file__).with_name("youth_supplement.csv")).open(encoding="utf-8") as f:
        rows = [
            (dt.date.fromisoformat(r["valid_from"]), int(r["amount"]), r["source"])
            for r in csv.DictReader(f)
        ]
    if not rows or any(amount <= 0 or not source for _, amount, source in rows):
        raise ValueError("youth_supplement.csv: every row needs a positive amount and a source")
    return tuple(sorted(rows))


def youth_supplement_on(day: dt.date) -> int:
    """The monthly supplement for an 18-20 year old whose parents cannot support them.

    Each row holds until the next one; the last until a newer one is shipped.

    :raises NoNorm: the day is before the first amount in the table.
    """
    known = [amount for valid_from, amount, _ in youth_supplements() if valid_from <= day]
    if not known:
        raise NoNorm(
            detail=N_("Voor deze datum staat de aanvulling voor jongeren niet in onze tabel.")
        )
    return known[-1]


def young_adults(adults: Sequence[dt.date], day: dt.date) -> int:
    """How many of the applicant and partner are 18, 19 or 20 on ``day``."""
    return sum(1 for born in adults[:2] if 18 <= age_on(born, day) < 21)


def supplement(
    adults: Sequence[dt.date], day: dt.date, youth_norm: YouthNorm, granted: bool
) -> int:
    """What art. 20(3) adds to the norm on ``day``: one supplement per 18-20 year old adult, when
    the assessment grants it and the gemeente uses the youth norms at all."""
    if not granted or youth_norm != YouthNorm.statutory:
        return 0
    young = young_adults(adults, day)
    return young * youth_supplement_on(day) if young else 0


def percentage_bp(net_income: int, norm: int) -> int:
    """Income as a percentage of the norm, in hundredths of a percent, rounded up."""
    return ceil_div(net_income * 10_000, norm)


def within_limit(net_income: int, norm: int, max_percent: int) -> bool:
    """Exact: is the income at most ``max_percent`` % of the norm? The limit itself is inside."""
    return net_income * 100 <= max_percent * norm


@dataclass(frozen=True)
class Reason:
    """Why a rule is met or not, as a code with parameters; the faces word it (http/reasons.py).

    Codes: valid_on, not_valid_on (day), lives_in_almere, not_in_almere, children_of_age (n),
    no_children_of_age, no_assessment, income_within, income_above (bp: basis points of the
    norm, max: the scheme's limit in percent), own_assessment_needed (who: lodger or
    adult_child), student, assets_within, assets_above (limit: cents), assets_not_assessed,
    no_birth_date, age_from (low, age), age_between (low, high, age); and for grant runs
    nothing_to_grant, budget_exhausted.
    """

    code: str
    params: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, code: str, **params: Any) -> Reason:
        return cls(code, tuple(sorted(params.items())))

    def param(self, name: str) -> Any:
        return dict(self.params)[name]


@dataclass(frozen=True)
class RuleResult:
    """One rule of a scheme, whether it is met, and why."""

    rule: str
    ok: bool
    reason: Reason


class Facts(NamedTuple):
    """What eligibility looks at, gathered by the caller; no database access here. A named
    tuple, not a frozen dataclass: a grant run builds one per person, four times faster."""

    reference_date: dt.date
    in_almere: bool
    born: dt.date | None = None  #: the person's birth date, for person schemes
    net_income: int | None = None  #: from the assessment valid on the reference date
    norm: int | None = None
    eligible_children: int = 0  #: for pooled budgets
    #: the last day of the period judged; a scheme whose ``age_rule`` is ``any_day`` looks at
    #: every day from ``reference_date`` to it (None: the reference date only)
    period_end: dt.date | None = None
    #: the assessment's asset figure, and the gemeente's limit for the household (None: none)
    assets: int | None = None
    asset_limit: int | None = None
    #: "lodger" or "adult_child" when the person may not use the household's assessment for a
    #: person scheme (the ``lodgers`` and ``adult_children`` settings)
    outside_family: str | None = None
    #: receives student finance while the ``students`` setting excludes students
    student_excluded: bool = False


def age_fits(
    scheme: Terms, born: dt.date, day: dt.date, period_end: dt.date | None
) -> tuple[bool, int]:
    """Whether the scheme's age range holds, as its ``age_rule`` says, and the age to show.

    ``reference_day``: the age on ``day``. ``any_day``: the range holds on some day from ``day``
    to ``period_end``; ages only grow, so that is when the age on the last day is not below the
    range and the age on the first is not above it. The age shown is the first that fits, or
    when none does the one closest to the range (the oldest when too young, else the youngest).
    """
    low = scheme.min_age if scheme.min_age is not None else 0
    high = scheme.max_age
    first = age_on(born, day)
    last = first
    if scheme.age_rule == AgeRule.any_day and period_end is not None and period_end > day:
        last = age_on(born, period_end)
    ok = last >= low and (high is None or first <= high)
    if ok:
        return True, max(first, low)
    return False, last if last < low else first


def check(scheme: Terms, facts: Facts) -> list[RuleResult]:
    """Every rule of the scheme with its outcome; eligible when all are ok."""
    day = facts.reference_date
    valid_to = scheme.valid_to
    valid = scheme.valid_from <= day and (valid_to is None or day <= valid_to)
    results = [
        _result("valid", valid, "valid_on" if valid else "not_valid_on", (("day", day),)),
        _IN_ALMERE if facts.in_almere else _NOT_IN_ALMERE,
    ]
    max_income_percent = scheme.max_income_percent
    if max_income_percent is not None:
        results.append(_income_rule(max_income_percent, facts))
        if facts.asset_limit is not None and facts.net_income is not None:
            results.append(_asset_rule(facts.asset_limit, facts.assets))
    low, high = scheme.min_age, scheme.max_age
    if low is not None or high is not None:
        if scheme.pooled:
            n = facts.eligible_children
            results.append(
                _result("age", True, "children_of_age", (("n", n),)) if n > 0 else _NO_CHILDREN
            )
        else:
            results.append(_age_rule(scheme, facts))
    return results


@functools.lru_cache(maxsize=4096)
def _result(rule: str, ok: bool, code: str, params: tuple[tuple[str, Any], ...]) -> RuleResult:
    """A rule's outcome, ``params`` sorted by name as ``Reason.of`` sorts them. Both are frozen,
    so a run shares the few distinct ones (a day, an age, a household's income for each of its
    members) instead of building two objects per rule per person."""
    return RuleResult(rule, ok, Reason(code, params))


_IN_ALMERE = RuleResult("residence", True, Reason.of("lives_in_almere"))
_NOT_IN_ALMERE = RuleResult("residence", False, Reason.of("not_in_almere"))
_NO_CHILDREN = RuleResult("age", False, Reason.of("no_children_of_age"))
_STUDENT = RuleResult("income", False, Reason.of("student"))
_NO_ASSESSMENT = RuleResult("income", False, Reason.of("no_assessment"))
_ASSETS_NOT_ASSESSED = RuleResult("assets", True, Reason.of("assets_not_assessed"))
_NO_BIRTH_DATE = RuleResult("age", False, Reason.of("no_birth_date"))


def _income_rule(max_percent: int, facts: Facts) -> RuleResult:
    if facts.outside_family is not None:
        return _result("income", False, "own_assessment_needed", (("who", facts.outside_family),))
    if facts.student_excluded:
        return _STUDENT
    if facts.net_income is None or facts.norm is None:
        return _NO_ASSESSMENT
    bp = percentage_bp(facts.net_income, facts.norm)
    ok = within_limit(facts.net_income, facts.norm, max_percent)
    return _result(
        "income", ok, "income_within" if ok else "income_above", (("bp", bp), ("max", max_percent))
    )


def _asset_rule(limit: int, assets: int | None) -> RuleResult:
    """An assessment made before the limit was set has no asset figure: it is not refused for
    it (a wrong "no" is worse); the next assessment asks for the assets."""
    if assets is None:
        return _ASSETS_NOT_ASSESSED
    ok = assets <= limit
    return _result("assets", ok, "assets_within" if ok else "assets_above", (("limit", limit),))


def _age_rule(scheme: Terms, facts: Facts) -> RuleResult:
    if facts.born is None:
        return _NO_BIRTH_DATE
    ok, age = age_fits(scheme, facts.born, facts.reference_date, facts.period_end)
    low = scheme.min_age if scheme.min_age is not None else 0
    high = scheme.max_age
    if high is None:
        return _result("age", ok, "age_from", (("age", age), ("low", low)))
    return _result("age", ok, "age_between", (("age", age), ("high", high), ("low", low)))


def is_eligible(results: Sequence[RuleResult]) -> bool:
    return all(r.ok for r in results)
