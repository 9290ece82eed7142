"""Waar heb ik recht op? The anonymous check: a form, and the answer per scheme.

Nothing is stored and nothing is logged: the typed income lives in this request only. The
verdicts are the caseworker's (applications/check.py); this module only reads the form and
words the answer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

from almerepas.applications.check import (
    Described,
    SchemeAnswer,
    born_for_age,
    check_household,
)
from almerepas.core import clock
from almerepas.core.money import format_cents, parse_euros
from almerepas.core.session import get_session, transactional
from almerepas.core.text import western_digits
from almerepas.households.models import MemberRole
from almerepas.http.reasons import reason_text
from almerepas.income.errors import NoNorm
from almerepas.income.rules import age_on
from almerepas.schemes.models import Scheme, SchemeKind

blp = Blueprint("desk", __name__)

FIELDS = ("huishouden", "leeftijd", "leeftijd_partner", "kinderen", "inkomen")
MAX_AGE = 120
MAX_CHILDREN = 15
MAX_INCOME = 100_000_00  #: € 100.000 a month: beyond it a check makes no sense


def _age(text: str) -> int | None:
    """A whole number of years, 0 to 120; None for anything else (a minus, a year of birth)."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_AGE:
        return None
    return int(text)


class CheckForm:
    """What was typed, kept as typed, and the errors per field."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = {name: western_digits(values.get(name, "").strip()[:200]) for name in FIELDS}
        self.errors: dict[str, str] = {}

    def household(self, today: dt.date) -> tuple[list[Described], int] | None:
        together = self.values["huishouden"] == "samen"
        if self.values["huishouden"] not in ("alleen", "samen"):
            self.errors["huishouden"] = _("Kies of u alleen woont of samen met een partner.")
        members: list[Described] = []
        age = _age(self.values["leeftijd"])
        if age is None:
            self.errors["leeftijd"] = _("Vul uw leeftijd in, in hele jaren. Bijvoorbeeld: 35.")
        elif age < 18:
            self.errors["leeftijd"] = _("Deze check is voor wie 18 jaar of ouder is.")
        else:
            members.append(Described(MemberRole.applicant, born_for_age(age, today)))
        if together:
            partner = _age(self.values["leeftijd_partner"])
            if partner is None or partner < 18:
                self.errors["leeftijd_partner"] = _(
                    "Vul de leeftijd van uw partner in, in hele jaren: 18 of ouder."
                )
            else:
                members.append(Described(MemberRole.partner, born_for_age(partner, today)))
        children = [part for part in self.values["kinderen"].replace(";", ",").split(",")]
        children = [part.strip() for part in children if part.strip()]
        ages = [_age(part) for part in children]
        if len(ages) > MAX_CHILDREN or any(a is None for a in ages):
            self.errors["kinderen"] = _(
                "Vul de leeftijden van de kinderen in, in hele jaren, met een komma ertussen. "
                "Bijvoorbeeld: 4, 11."
            )
        else:
            members += [Described(MemberRole.child, born_for_age(a or 0, today)) for a in ages]
        income = self._income()
        if self.errors or income is None:
            return None
        return members, income

    def _income(self) -> int | None:
        text = self.values["inkomen"]
        if not text:
            self.errors["inkomen"] = _(
                "Vul het netto inkomen per maand in. Heeft u niets? Vul 0 in."
            )
            return None
        try:
            cents = parse_euros(text)
        except ValueError:
            cents = -1
        if not 0 <= cents <= MAX_INCOME:
            self.errors["inkomen"] = _(
                "Vul een bedrag in euro's in, zoals 1.234,56 of 1234. Zonder min-teken."
            )
            return None
        return cents

    def sorted_errors(self) -> list[tuple[str, str]]:
        return [(name, self.errors[name]) for name in FIELDS if name in self.errors]


def _english() -> bool:
    return str(get_locale() or "nl") == "en"


def _who(index: int | None, members: list[Described], today: dt.date) -> str:
    if index is None:
        return str(_("het hele huishouden"))
    member = members[index]
    if member.role == MemberRole.applicant:
        return str(_("u"))
    if member.role == MemberRole.partner:
        return str(_("uw partner"))
    years = age_on(member.born, today)
    return str(ngettext("uw kind van %(num)s jaar", "uw kind van %(num)s jaar", years))


def worth(answer: SchemeAnswer) -> str:
    """What a scheme is worth in a year, in words: the check's answer and the queue's proposal."""
    scheme: Scheme = answer.scheme
    per_year = answer.per_year
    match scheme.kind:
        case SchemeKind.right:
            return str(_("Gratis, zo vaak als u wilt."))
        case SchemeKind.quota:
            return str(ngettext("%(num)s pak per jaar.", "%(num)s pakken per jaar.", per_year))
        case SchemeKind.discount:
            return str(
                _(
                    "%(percent)s%% korting, samen tot %(amount)s per jaar.",
                    percent=scheme.discount_percent or 0,
                    amount=format_cents(per_year),
                )
            )
    return str(_("%(amount)s per jaar.", amount=format_cents(per_year)))


def _shown(
    answers: list[SchemeAnswer], members: list[Described], today: dt.date
) -> list[dict[str, Any]]:
    english = _english()
    shown = []
    for answer in answers:
        scheme = answer.scheme
        reasons: list[str] = []
        for reason in answer.why_not:
            if (text := reason_text(reason)) not in reasons:
                reasons.append(text)
        shown.append(
            {
                "code": scheme.code,
                "name": scheme.name_en if english else scheme.name_nl,
                "description": scheme.description_en if english else scheme.description_nl,
                "eligible": answer.eligible,
                "worth": worth(answer) if answer.eligible else "",
                "for": [_who(v.member, members, today) for v in answer.verdicts if v.eligible],
                "reasons": reasons,
            }
        )
    return shown


@blp.route("/recht")
def form() -> str:
    return render_template("desk/check.html", form=CheckForm({}).values, errors=[], field_errors={})


@blp.route("/recht", methods=["POST"])
@transactional
def result() -> tuple[str, int]:
    """The answer; with an error, the form again as it was typed. Reads only."""
    today = clock.today()
    checked = CheckForm(request.form.to_dict())
    described = checked.household(today)
    answers = None
    if described is not None:
        members, income = described
        try:
            answers = check_household(get_session(), members, income, today)
        except NoNorm:
            checked.errors["leeftijd"] = _(
                "Voor deze leeftijd kunnen wij het niet uitrekenen. Vraag het de gemeente."
            )
    if answers is None:
        errors = checked.sorted_errors()
        html = render_template(
            "desk/check.html", form=checked.values, errors=errors, field_errors=dict(errors)
        )
        return html, 400
    shown = _shown(answers, members, today)
    return render_template(
        "desk/result.html",
        schemes=[s for s in shown if s["eligible"]],
        not_eligible=[s for s in shown if not s["eligible"]],
        form=checked.values,
    ), 200
