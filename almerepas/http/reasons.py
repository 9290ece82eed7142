"""The words for the domain's reasons: why a rule is met or not, in the request's language.

The domain says *why* as a code with parameters (almerepas.income.rules.Reason); the pages, the
API and the CLI word it here, so they all say the same. The Dutch text is the message id.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from flask_babel import gettext

from almerepas.core import gemeente
from almerepas.core.money import format_cents
from almerepas.income.lines import income_kinds
from almerepas.income.models import LineReason
from almerepas.income.rules import Reason


def _(msgid: str, **params: Any) -> str:
    return str(gettext(msgid, **params))


def format_percentage(bp: int) -> str:
    """Basis points as people write a percentage in Dutch: 125,3% (no trailing zeros)."""
    whole, rest = divmod(bp, 100)
    return f"{whole}%" if rest == 0 else f"{whole},{rest:02d}".rstrip("0") + "%"


def reason_text(reason: Reason) -> str:
    """One reason in words a resident understands."""
    p = dict(reason.params)
    day = p["day"].strftime("%d-%m-%Y") if isinstance(p.get("day"), dt.date) else None
    match reason.code:
        case "valid_on":
            return _("De regeling geldt op %(day)s.", day=day)
        case "not_valid_on":
            return _("De regeling geldt niet op %(day)s.", day=day)
        case "lives_in_almere":
            return _("Woont in %(gemeente)s.", gemeente=gemeente.current().name)
        case "not_in_almere":
            return _("Woont niet (meer) in %(gemeente)s.", gemeente=gemeente.current().name)
        case "children_of_age":
            return _("Er zijn %(n)s kinderen van de goede leeftijd.", n=p["n"])
        case "no_children_of_age":
            return _("Er zijn geen kinderen van de goede leeftijd in het huishouden.")
        case "no_assessment":
            return _("Er is geen geldige inkomenstoets op deze datum.")
        case "income_within":
            return _(
                "Het inkomen is %(pct)s van het sociaal minimum. De grens is %(max)s%%.",
                pct=format_percentage(p["bp"]),
                max=p["max"],
            )
        case "income_above":
            return _(
                "Het inkomen is %(pct)s van het sociaal minimum. "
                "Dat is boven de grens van %(max)s%%.",
                pct=format_percentage(p["bp"]),
                max=p["max"],
            )
        case "own_assessment_needed" if p["who"] == "lodger":
            return _(
                "Woont in het huishouden, maar hoort niet bij het gezin. "
                "Daarvoor is een eigen inkomenstoets nodig."
            )
        case "own_assessment_needed":
            return _("Is 18 jaar of ouder. Daarvoor is een eigen inkomenstoets nodig.")
        case "student":
            return _("Krijgt studiefinanciering. Studenten krijgen deze regeling niet.")
        case "assets_within":
            return _(
                "Het vermogen is niet hoger dan de grens van %(limit)s.",
                limit=format_cents(p["limit"]),
            )
        case "assets_above":
            return _(
                "Het vermogen is hoger dan de grens van %(limit)s.", limit=format_cents(p["limit"])
            )
        case "assets_not_assessed":
            return _("Het vermogen is bij deze toets niet gevraagd.")
        case "no_birth_date":
            return _("De geboortedatum is niet bekend.")
        case "age_from":
            rule = _("Vanaf %(low)s jaar.", low=p["low"])
            return _("%(rule)s Deze persoon is %(age)s.", rule=rule, age=p["age"])
        case "age_between":
            rule = _("Voor %(low)s tot en met %(high)s jaar.", low=p["low"], high=p["high"])
            return _("%(rule)s Deze persoon is %(age)s.", rule=rule, age=p["age"])
        case "budget_exhausted":
            return _("Het budget van deze regeling is op.")
        case "nothing_to_grant":
            return _("Er is niets toe te kennen.")
    raise KeyError(f"no wording for reason {reason.code!r}")


def worded(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Eligibility rows (almerepas.grants.report) with every rule's reason in words."""
    return [
        row | {"rules": [rule | {"reason": reason_text(rule["reason"])} for rule in row["rules"]]}
        for row in rows
    ]


def counted(reasons: Counter[Reason]) -> Counter[str]:
    """A grant run's reasons for not granting, in words, with how often each occurred."""
    worded_reasons: Counter[str] = Counter()
    for reason, count in reasons.items():
        worded_reasons[reason_text(reason)] += count
    return worded_reasons


def income_kind_label(kind: str) -> str:
    """The Dutch label of a kind of income (income_kinds.csv); the code of one no longer there."""
    found = income_kinds().get(kind)
    return found.label if found else kind


def income_line_reason(reason: LineReason | str, kind: str) -> str:
    """Why a line of income counts as it does (``income.lines``), short, for the household page."""
    label = income_kind_label(kind)
    match LineReason(reason):
        case LineReason.counts:
            return _("Telt mee.")
        case LineReason.excluded_kind:
            # "kinderbijslag telt niet als inkomen"; an abbreviation (AOW) keeps its capitals
            name = label[:1].lower() + label[1:] if label[1:2].islower() else label
            return _("Telt niet mee: %(kind)s telt niet als inkomen.", kind=name)
        case LineReason.spread_over_year:
            return _("Per jaar ingevuld: 1/12 telt mee per maand.")
        case LineReason.minor_earnings:
            return _("Telt niet mee: verdiensten van een kind onder 18 tellen niet.")
        case LineReason.not_in_family:
            return _(
                "Telt niet mee: deze persoon hoort niet bij het gezin "
                "(een kamerhuurder, of een kind van 18 jaar of ouder)."
            )
