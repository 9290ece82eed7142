"""The caseworker page that records an income assessment: per member and kind, or a total.

Checked as a whole on submit, like every caseworker form (household_forms.py): each problem at
its field and in the summary, what was typed comes back, nothing is written unless all is right.
The gemeente's choices decide what the form asks: the assets only under an asset limit, the
youth supplement only where the youth norm is used, and the period the income is averaged over.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from almerepas.casework import operations as casework
from almerepas.core.errors import DomainError, ValidationFailed
from almerepas.core.money import parse_euros
from almerepas.core.session import get_session, transactional
from almerepas.households import members as households
from almerepas.households.errors import HouseholdMovedOut
from almerepas.households.models import Household
from almerepas.http.guard import current_actor, require_role
from almerepas.http.reasons import format_percentage
from almerepas.income.errors import (
    AssessmentOutOfOrder,
    AssetLimitNotSet,
    InvalidIncomeLines,
    MemberNotYetBorn,
    NoNorm,
)
from almerepas.income.lines import IncomeLineInput, income_kinds
from almerepas.income.models import Per
from almerepas.income.policy import Policy, YouthNorm, load_policy
from almerepas.web.caseworker import address_line, blp, record_view, show_day, today
from almerepas.web.forms import Errors, Form, Refusals, attempt
from almerepas.web.household_forms import moved_out

#: Rows for income per member and kind on the assessment page; blank rows are ignored.
INCOME_ROWS = 6
LINE_PARTS = ("person", "kind", "amount")
ASSESSMENT_FIELDS = (
    "assessed_on",
    *(f"line-{row}-{part}" for row in range(INCOME_ROWS) for part in LINE_PARTS),
    "net_income",
    "assets",
    "youth_supplement",
    "evidence_ref",
)
#: Above this a typed monthly income is a typing error (and it keeps the column in range).
MAX_MONTHLY_INCOME = 100_000_000


@blp.route("/<int:household_id>/inkomenstoets", methods=["GET", "POST"])
@require_role("assessments.write")
@transactional
def new_assessment(household_id: int) -> ResponseReturnValue:
    """Record the household's income: per member and kind, or a total when only that is known.

    What counts is worked out by the domain (``income.lines``) and compared with the norm on
    the assessment date; the household page shows how.
    """
    household = households.get_household(get_session(), household_id)
    policy = load_policy(get_session())
    form = Form(ASSESSMENT_FIELDS)
    members = _member_options(household)
    context = {
        "household": household,
        "address": address_line(household),
        "rows": range(INCOME_ROWS),
        "members": members,
        "kinds": _kind_options(),
        "policy": policy,
        "asks_assets": policy.asset_limit is not None,
        "offers_supplement": policy.youth_norm == YouthNorm.statutory,
        "period_label": _period_label(policy),
    }
    if request.method == "GET":
        form.values["assessed_on"] = show_day(today())
        record_view(household)
        return form.render("caseworker/new_assessment.html", 200, **context)

    assessed_on = form.day("assessed_on", _("Vul de peildatum in."), "01-03-2026")
    rows = _income_rows(form, {key for key, _label in members})
    total = _income(form) if form.values["net_income"] else None
    if rows and form.values["net_income"]:
        form.error(
            "net_income",
            _(
                "Vul het inkomen per lid in, of alleen het totaal: niet allebei. "
                "Maak dit veld leeg als u de regels hierboven gebruikt."
            ),
        )
    elif not rows and not form.values["net_income"] and not _row_errors(form):
        form.error(
            "line-0-person",
            _(
                "Vul het inkomen in: per lid en soort, of alleen het totaal. "
                "Geen inkomen? Vul dan bij het totaal 0 in."
            ),
        )
    evidence = form.text("evidence_ref", 200, None)
    assets = _assets(form) if policy.asset_limit is not None else None
    offers_supplement = policy.youth_norm == YouthNorm.statutory
    supplement = offers_supplement and bool(request.form.get("youth_supplement"))
    assessment = None
    if not form.errors and assessed_on is not None:
        lines = [line for _row, line in rows] if rows else None

        def work() -> Any:
            return casework.assess(
                get_session(),
                household,
                net_income=total if lines is None else None,
                lines=lines,
                assessed_on=assessed_on,
                evidence_ref=evidence or None,
                assets=assets,
                youth_supplement=supplement,
                actor=current_actor(),
                policy=policy,
            )

        assessment = attempt(form, work, _assessment_refusals(household, [r for r, _ in rows]))
    if assessment is None:
        record_view(household)
        return form.render("caseworker/new_assessment.html", 400, **context)
    flash(
        _(
            "De inkomenstoets is vastgelegd. Het inkomen is %(pct)s van het sociaal minimum.",
            pct=format_percentage(assessment.percentage_bp),
        )
    )
    return redirect(url_for("caseworker.household", household_id=household.id), 303)


def _period_label(policy: Policy) -> str:
    """The income asked for, as the ``income_period`` setting defines it."""
    labels = {
        "month": _("het netto inkomen van de maand voor de peildatum"),
        "three_months": _(
            "het netto inkomen per maand, gemiddeld over de 3 maanden voor de peildatum"
        ),
        "twelve_months": _(
            "het netto inkomen per maand, gemiddeld over de 12 maanden voor de peildatum"
        ),
    }
    return str(labels[policy.income_period.value])


def _assets(form: Form) -> int | None:
    """The household's assets in euros: asked only while the gemeente has an asset limit."""
    typed = form.values["assets"]
    if not typed:
        form.error("assets", _("Vul het vermogen van het huishouden in. Geen vermogen? Vul 0 in."))
        return None
    try:
        cents = parse_euros(typed)
    except ValueError:
        form.error("assets", _("Vul een bedrag in euro's in, zoals 12.500,00."))
        return None
    if cents < 0:
        form.error("assets", _("Vul het vermogen in als 0 of meer; schulden zijn al afgetrokken."))
        return None
    return cents


def _row_errors(form: Form) -> bool:
    return any(name.startswith("line-") for name, _message in form.errors)


def _member_options(household: Household) -> list[tuple[str, str]]:
    """Everyone who lives or lived here, once each: the domain refuses who is not a member on
    the assessment date, which the caseworker may still change on the same form."""
    options: dict[str, str] = {}
    for m in household.memberships:
        person = m.person
        options.setdefault(
            str(person.id),
            str(
                _(
                    "%(name)s, geboren %(day)s",
                    name=f"{person.given_name} {person.family_name}",
                    day=show_day(person.date_of_birth),
                )
            ),
        )
    return list(options.items())


def _kind_options() -> list[tuple[str, str]]:
    """The kinds of income_kinds.csv with their Dutch labels; a yearly one says so."""
    return [
        (k.kind, str(_("%(label)s (per jaar)", label=k.label)) if k.per == Per.year else k.label)
        for k in income_kinds().values()
    ]


def _income_rows(form: Form, members: set[str]) -> list[tuple[int, IncomeLineInput]]:
    """The rows that were filled in, checked, with the number of the row they came from."""
    rows: list[tuple[int, IncomeLineInput]] = []
    for row in range(INCOME_ROWS):
        person, kind, amount = (f"line-{row}-{part}" for part in LINE_PARTS)
        values = [form.values[name] for name in (person, kind, amount)]
        if not any(values):
            continue
        if not values[0]:
            form.error(person, _("Kies van wie dit inkomen is."))
        elif values[0] not in members:
            form.error(person, _("Kies een lid van het huishouden uit de lijst."))
        if not values[1]:
            form.error(kind, _("Kies de soort inkomen."))
        elif values[1] not in income_kinds():
            form.error(kind, _("Kies een soort inkomen uit de lijst."))
        cents = _amount(form, amount)
        if cents is not None and values[0] in members and values[1] in income_kinds():
            rows.append((row, IncomeLineInput(int(values[0]), values[1], cents)))
    return rows


def _amount(form: Form, name: str) -> int | None:
    """An amount in euros in one row: whole cents, not negative, not absurdly high."""
    typed = form.values[name]
    if not typed:
        form.error(name, _("Vul het bedrag in. Geen inkomen van deze soort? Maak de regel leeg."))
        return None
    try:
        cents = parse_euros(typed)
    except ValueError:
        form.error(
            name,
            _(
                "Vul een bedrag in euro's in, zoals 1.234,56. "
                "Gebruik hoogstens 2 cijfers achter de komma."
            ),
        )
        return None
    if cents < 0:
        form.error(name, _("Een bedrag kan niet negatief zijn."))
        return None
    if cents > MAX_MONTHLY_INCOME:
        form.error(name, _("Dit bedrag is te hoog. Controleer het bedrag."))
        return None
    return cents


def _income(form: Form) -> int | None:
    """The household's total per month, when only that is known (typed: not empty)."""
    typed = form.values["net_income"]
    try:
        cents = parse_euros(typed)
    except ValueError:
        form.error(
            "net_income",
            _(
                "Vul een bedrag in euro's in, zoals 1.234,56. "
                "Gebruik hoogstens 2 cijfers achter de komma."
            ),
        )
        return None
    if cents < 0:
        form.error(
            "net_income", _("Het inkomen kan niet negatief zijn. Geen inkomen? Vul dan 0 in.")
        )
    elif cents > MAX_MONTHLY_INCOME:
        form.error(
            "net_income",
            _("Dit bedrag is te hoog voor een inkomen per maand. Controleer het bedrag."),
        )
    return cents


def _assessment_refusals(household: Household, rows: list[int]) -> Refusals:
    """``rows``: the form row of each line sent, so a refused line is named at its row."""
    no_norm = _(
        "Voor deze peildatum is er geen sociaal minimum (norm) bekend. "
        "Kies een andere datum, of vraag de beheerder om de normen aan te vullen."
    )
    later = _(
        "Er is al een inkomenstoets die op of na deze datum begint. Kies een latere peildatum."
    )
    no_applicant = _(
        "Op deze datum woont er geen aanvrager in het huishouden. "
        "Kies een andere datum of voeg eerst de aanvrager toe."
    )
    unborn = _(
        "Op deze peildatum woont er volgens de gegevens een lid dat dan nog niet geboren is. "
        "Kies een latere peildatum, of laat de datum van inwonen verbeteren."
    )

    def lines_refused(error: DomainError) -> Errors:
        messages = {
            "person_id": _(
                "Deze persoon woont op de peildatum niet in dit huishouden. "
                "Kies een ander lid of een andere peildatum."
            ),
            "kind": _("Kies een soort inkomen uit de lijst."),
            "amount": _("Dit bedrag is te hoog. Controleer het bedrag."),
        }
        found: Errors = []
        for item in error.extensions.get("errors", []):
            parts = str(item.get("field", "")).split(".")
            known = len(parts) == 3 and parts[2] in messages
            if known and parts[1].isdigit() and int(parts[1]) < len(rows):
                part = {"person_id": "person", "kind": "kind", "amount": "amount"}[parts[2]]
                found.append((f"line-{rows[int(parts[1])]}-{part}", messages[parts[2]]))
        return found or [("line-0-person", str(error.detail))]

    def field_refused(error: DomainError) -> Errors:
        """A refusal that names its field (assets, youth_supplement); otherwise no applicant."""
        named = [str(item.get("field")) for item in error.extensions.get("errors", [])]
        for field in ("assets", "youth_supplement"):
            if field in named:
                return [(field, str(error.detail))]
        return [("assessed_on", no_applicant)]

    return {
        InvalidIncomeLines: lines_refused,
        AssetLimitNotSet: ("assets", _("De gemeente heeft geen vermogensgrens. Laat het leeg.")),
        MemberNotYetBorn: ("assessed_on", unborn),
        HouseholdMovedOut: ("assessed_on", moved_out(household)),
        NoNorm: ("assessed_on", no_norm),
        AssessmentOutOfOrder: ("assessed_on", later),
        ValidationFailed: field_refused,
    }
