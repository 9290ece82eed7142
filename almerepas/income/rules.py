"""Who is eligible for what, as plain functions: ages, norm keys, income percentages, scheme rules.

Rounding, stated once: eligibility compares integers exactly (income x 100 <= limit x norm), so
exactly 110% or 120% is inside. The percentage shown to people is in hundredths of a percent,
rounded up, so a shown percentage never looks inside a limit that the income is not.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from flask_babel import LazyString
from flask_babel import lazy_gettext as _

from almerepas.core.errors import NoNorm
from almerepas.core.money import ceil_div
from almerepas.income.models import AgeBand, Children, HouseholdType
from almerepas.income.norms import NormKey
from almerepas.schemes.models import Scheme
from almerepas.schemes.periods import add_months


def age_on(born: dt.date, day: dt.date) -> int:
    """Whole years; someone born on 29 February turns a year older on 1 March in other years."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


@functools.cache
def _pension_ages() -> tuple[tuple[dt.date, int, int], ...]:
    with (Path(__file__).with_name("state_pension_age.csv")).open(encoding="utf-8") as f:
        rows = [
            (dt.date.fromisoformat(r["valid_from"]), int(r["years"]), int(r["months"]))
            for r in csv.DictReader(f)
        ]
    return tuple(sorted(rows))


def has_pension_age(born: dt.date, day: dt.date) -> bool:
    """Whether someone has reached the state pension (AOW) age on ``day`` (data: seed CSV)."""
    applicable = [(y, m) for start, y, m in _pension_ages() if start <= day]
    years, months = applicable[-1] if applicable else _pension_ages()[0][1:]
    return add_months(born, 12 * years + months) <= day


def _band(born: dt.date, day: dt.date) -> AgeBand:
    if has_pension_age(born, day):
        return AgeBand.pension
    return AgeBand.young if age_on(born, day) < 21 else AgeBand.adult


def norm_key(adults: Sequence[dt.date], children: int, day: dt.date) -> NormKey:
    """The norm that fits a household: its adults' birth dates and its number of minor children."""
    if not adults or any(age_on(born, day) < 18 for born in adults):
        raise NoNorm(detail=_("Er is geen norm voor een aanvrager jonger dan 18 jaar."))
    kids = Children.one_or_more if children else Children.none
    if len(adults) == 1:
        band = _band(adults[0], day)
        if children:
            return (HouseholdType.single_parent, band, Children.one_or_more)
        return (HouseholdType.single, band, Children.any)
    bands = {_band(born, day) for born in adults[:2]}
    if AgeBand.pension in bands:
        return (HouseholdType.couple, AgeBand.pension, Children.any)
    if bands == {AgeBand.adult}:
        return (HouseholdType.couple, AgeBand.adult, Children.any)
    if bands == {AgeBand.young}:
        return (HouseholdType.couple, AgeBand.young, kids)
    return (HouseholdType.couple_mixed, AgeBand.mixed, kids)


def percentage_bp(net_income: int, norm: int) -> int:
    """Income as a percentage of the norm, in hundredths of a percent, rounded up."""
    return ceil_div(net_income * 10_000, norm)


def within_limit(net_income: int, norm: int, max_percent: int) -> bool:
    """Exact: is the income at most ``max_percent`` % of the norm? The limit itself is inside."""
    return net_income * 100 <= max_percent * norm


def format_percentage(bp: int) -> str:
    whole, rest = divmod(bp, 100)
    return f"{whole}%" if rest == 0 else f"{whole},{rest:02d}".rstrip("0") + "%"


@dataclass(frozen=True)
class RuleResult:
    """One rule of a scheme, whether it is met, and why, in words a resident understands."""

    rule: str
    ok: bool
    #: lazy: formatted (and translated) only when someone reads it
    reason: LazyString | str


@dataclass(frozen=True)
class Facts:
    """What eligibility looks at, gathered by the caller; no database access here."""

    reference_date: dt.date
    in_almere: bool
    born: dt.date | None = None  #: the person's birth date, for person schemes
    net_income: int | None = None  #: from the assessment valid on the reference date
    norm: int | None = None
    eligible_children: int = 0  #: for pooled budgets


def check(scheme: Scheme, facts: Facts) -> list[RuleResult]:
    """Every rule of the scheme with its outcome; eligible when all are ok."""
    day = facts.reference_date
    results = [
        RuleResult(
            "valid",
            scheme.valid_from <= day and (scheme.valid_to is None or day <= scheme.valid_to),
            _("De regeling geldt op %(day)s.", day=day.strftime("%d-%m-%Y"))
            if scheme.valid_from <= day and (scheme.valid_to is None or day <= scheme.valid_to)
            else _("De regeling geldt niet op %(day)s.", day=day.strftime("%d-%m-%Y")),
        ),
        RuleResult(
            "residence",
            facts.in_almere,
            _("Woont in Almere.") if facts.in_almere else _("Woont niet (meer) in Almere."),
        ),
    ]
    if scheme.max_income_percent is not None:
        results.append(_income_rule(scheme.max_income_percent, facts))
    if scheme.min_age is not None or scheme.max_age is not None:
        if scheme.pooled:
            ok = facts.eligible_children > 0
            results.append(
                RuleResult(
                    "age",
                    ok,
                    _("Er zijn %(n)s kinderen van de goede leeftijd.", n=facts.eligible_children)
                    if ok
                    else _("Er zijn geen kinderen van de goede leeftijd in het huishouden."),
                )
            )
        else:
            results.append(_age_rule(scheme, facts))
    return results


def _income_rule(max_percent: int, facts: Facts) -> RuleResult:
    if facts.net_income is None or facts.norm is None:
        return RuleResult("income", False, _("Er is geen geldige inkomenstoets op deze datum."))
    shown = format_percentage(percentage_bp(facts.net_income, facts.norm))
    if within_limit(facts.net_income, facts.norm, max_percent):
        return RuleResult(
            "income",
            True,
            _(
                "Het inkomen is %(pct)s van het sociaal minimum. De grens is %(max)s%%.",
                pct=shown,
                max=max_percent,
            ),
        )
    return RuleResult(
        "income",
        False,
        _(
            "Het inkomen is %(pct)s van het sociaal minimum. Dat is boven de grens van %(max)s%%.",
            pct=shown,
            max=max_percent,
        ),
    )


def _age_rule(scheme: Scheme, facts: Facts) -> RuleResult:
    if facts.born is None:
        return RuleResult("age", False, _("De geboortedatum is niet bekend."))
    age = age_on(facts.born, facts.reference_date)
    low = scheme.min_age if scheme.min_age is not None else 0
    high = scheme.max_age
    ok = age >= low and (high is None or age <= high)
    if high is None:
        rule = _("Vanaf %(low)s jaar.", low=low)
    else:
        rule = _("Voor %(low)s tot en met %(high)s jaar.", low=low, high=high)
    return RuleResult("age", ok, _("%(rule)s Deze persoon is %(age)s.", rule=rule, age=age))


def is_eligible(results: Sequence[RuleResult]) -> bool:
    return all(r.ok for r in results)
