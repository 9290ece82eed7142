"""Caseworker pages that change data: register a household, add a member, record an assessment.

Each form is checked as a whole on submit; every problem is named at its field and in the
summary on top, and what was typed comes back, except a BSN: that never goes into page HTML,
so the caseworker types it again. Nothing is written unless everything is right; a success
writes the same audit events as the API and goes back to the household page.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from almerepas.casework import operations as casework
from almerepas.core.errors import DomainError, ValidationFailed
from almerepas.core.money import parse_euros
from almerepas.core.session import get_keys, get_session, transactional
from almerepas.households import members as households
from almerepas.households.errors import (
    BsnInUse,
    HouseholdMovedOut,
    InvalidBsn,
    MovedInBeforeBirth,
    PostcodeOutsideAlmere,
    SecondApplicant,
    SecondPartner,
)
from almerepas.households.members import Address
from almerepas.households.models import Household, MemberRole, Person
from almerepas.http.guard import current_actor, require_role
from almerepas.http.reasons import format_percentage
from almerepas.income.errors import (
    AssessmentOutOfOrder,
    InvalidIncomeLines,
    MemberNotYetBorn,
    NoNorm,
)
from almerepas.income.lines import IncomeLineInput, income_kinds
from almerepas.income.models import Per
from almerepas.web.caseworker import (
    MEMBER_ROLE_LABELS,
    address_line,
    blp,
    record_view,
    show_day,
    today,
)
from almerepas.web.forms import Errors, is_plain, parse_day

HOUSEHOLD_FIELDS = ("street", "house_number", "house_number_suffix", "postcode")
PERSON_FIELDS = ("given_name", "family_name", "date_of_birth", "role", "valid_from", "bsn")
#: Rows for income per member and kind on the assessment page; blank rows are ignored.
INCOME_ROWS = 6
LINE_PARTS = ("person", "kind", "amount")
ASSESSMENT_FIELDS = (
    "assessed_on",
    *(f"line-{row}-{part}" for row in range(INCOME_ROWS) for part in LINE_PARTS),
    "net_income",
    "evidence_ref",
)
#: Above this a typed monthly income is a typing error (and it keeps the column in range).
MAX_MONTHLY_INCOME = 100_000_000


class Form:
    """What was typed, the errors found so far, and helpers that check one field each."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names
        self.values = {name: request.form.get(name, "").strip() for name in names}
        self.values.pop("bsn", None)  # never echoed back
        self.bsn = re.sub(r"[\s.]", "", request.form.get("bsn", ""))
        self.errors: Errors = []

    def error(self, name: str, message: str) -> None:
        if name not in dict(self.errors):
            self.errors.append((name, message))

    def text(self, name: str, max_length: int, missing: str | None) -> str:
        """Required text when ``missing`` is a message, otherwise optional."""
        value = self.values[name]
        if not value and missing:
            self.error(name, missing)
        elif not is_plain(value, max_length):
            self.error(name, _("Gebruik hoogstens %(n)s gewone tekens.", n=max_length))
        return value

    def day(self, name: str, missing: str, example: str) -> dt.date | None:
        if not self.values[name]:
            self.error(name, missing)
            return None
        try:
            return parse_day(self.values[name])
        except ValueError:
            message = _("Vul een datum in zoals %(example)s (dag-maand-jaar).", example=example)
            self.error(name, message)
            return None

    def sorted_errors(self) -> Errors:
        """In the order of the fields on the page, so the summary reads top to bottom."""
        return sorted(self.errors, key=lambda e: self.names.index(e[0]))

    def render(self, template: str, status: int, **context: Any) -> tuple[str, int]:
        if self.errors and self.bsn and "bsn" in self.names:
            self.error(
                "bsn",
                _(
                    "Vul het burgerservicenummer opnieuw in. "
                    "Wij zetten het niet terug in het formulier."
                ),
            )
        errors = self.sorted_errors()
        html = render_template(
            template, form=self.values, errors=errors, field_errors=dict(errors), **context
        )
        return html, status


def _person(form: Form, *, with_role: bool) -> dict[str, Any]:
    """Check the fields of a person; returns what create_person and add_member need."""
    given = form.text("given_name", 100, _("Vul de voornaam in."))
    family = form.text("family_name", 150, _("Vul de achternaam in."))
    born = form.day("date_of_birth", _("Vul de geboortedatum in."), "15-03-1980")
    if born is not None and born > today():
        form.error("date_of_birth", _("De geboortedatum ligt in de toekomst. Controleer de datum."))
    role = MemberRole.applicant
    if with_role:
        try:
            role = MemberRole(form.values["role"])
        except ValueError:
            form.error("role", _("Kies wie deze persoon is in het huishouden."))
    since = form.day("valid_from", _("Vul in sinds wanneer deze persoon hier woont."), "01-03-2026")
    if form.bsn and not households.is_valid_bsn(form.bsn):
        form.error("bsn", _("Dit burgerservicenummer klopt niet. Controleer de 9 cijfers."))
    return {"given_name": given, "family_name": family, "date_of_birth": born, "role": role,
            "valid_from": since, "bsn": form.bsn or None}  # fmt: skip


def _add_person(household: Household, person: dict[str, Any]) -> Person:
    """Create the person and move them in (casework writes ``household.add_member``)."""
    return casework.add_person(
        get_session(),
        household,
        given_name=person["given_name"],
        family_name=person["family_name"],
        date_of_birth=person["date_of_birth"],
        role=person["role"],
        valid_from=person["valid_from"],
        bsn=person["bsn"],
        today=today(),
        keys=get_keys(),
        actor=current_actor(),
    )


def _attempt(form: Form, work: Callable[[], Any], fields: Refusals) -> Any:
    """Run the domain work; a known refusal becomes field errors and nothing is written.

    The first refusal in ``fields`` that the error is an instance of decides: a (field, message)
    pair, or a function that turns the error into several.
    """
    try:
        return work()
    except DomainError as exc:
        for kind, refusal in fields.items():
            if isinstance(exc, kind):
                get_session().rollback()
                for name, message in refusal(exc) if callable(refusal) else [refusal]:
                    form.error(name, message)
                return None
        raise


Refusals = dict[type[DomainError], tuple[str, str] | Callable[[DomainError], Errors]]


def _person_refusals() -> Refusals:
    """What add_member and create_person refuse, at the field to change."""
    in_use = _(
        "Dit burgerservicenummer hoort al bij iemand anders. Zoek die persoon op met het nummer."
    )
    return {
        BsnInUse: ("bsn", in_use),
        InvalidBsn: ("bsn", _("Dit burgerservicenummer klopt niet. Controleer de 9 cijfers.")),
        MovedInBeforeBirth: (
            "valid_from",
            _("Deze datum ligt voor de geboortedatum. Controleer de datum."),
        ),
    }


def _member_refusals(household: Household) -> Refusals:
    """Adding someone to an existing household: also who else lives there, and whether it left."""
    partner = _(
        "Dit huishouden heeft op die datum al een partner. "
        "Kies 'Ander lid van het huishouden' voor andere volwassenen."
    )
    return _person_refusals() | {
        SecondApplicant: (
            "role",
            _("Dit huishouden heeft op die datum al een aanvrager. Kies een andere rol."),
        ),
        SecondPartner: ("role", partner),
        HouseholdMovedOut: ("valid_from", _moved_out(household)),
    }


def _moved_out(household: Household) -> str:
    return str(
        _(
            "Dit huishouden is op %(day)s uit Almere vertrokken. "
            "Kies een datum op of voor die dag.",
            day=show_day(household.moved_out_on),
        )
    )


# -- register a household ---------------------------------------------------------------------


@blp.route("/nieuw", methods=["GET", "POST"])
@require_role("households.write")
@transactional
def new_household() -> ResponseReturnValue:
    """Register a household at an address in Almere, with its applicant."""
    names = HOUSEHOLD_FIELDS + tuple(n for n in PERSON_FIELDS if n != "role")
    form = Form(names)
    if request.method == "GET":
        form.values["valid_from"] = show_day(today())
        return form.render("caseworker/new_household.html", 200)

    street = form.text("street", 200, _("Vul de straat in."))
    number = form.values["house_number"]
    if not number:
        form.error("house_number", _("Vul het huisnummer in."))
    elif not (number.isdigit() and 1 <= int(number) <= 99999):
        form.error(
            "house_number",
            _("Vul alleen het nummer in, bijvoorbeeld 12. Een letter gaat bij 'toevoeging'."),
        )
    suffix = form.text("house_number_suffix", 10, None)
    postcode = _almere_postcode(form)
    person = _person(form, with_role=False)
    if form.errors:
        return form.render("caseworker/new_household.html", 400)

    def work() -> Household:
        session = get_session()
        address = Address(postcode=postcode, house_number=int(number), street=street,
                          house_number_suffix=suffix or None)  # fmt: skip
        household = casework.register_household(session, address=address, actor=current_actor())
        _add_person(household, person)
        return household

    household = _attempt(form, work, _person_refusals())
    if household is None:
        return form.render("caseworker/new_household.html", 400)
    flash(_("Het huishouden is ingeschreven."))
    return redirect(url_for("caseworker.household", household_id=household.id), 303)


def _almere_postcode(form: Form) -> str:
    """A postcode in Almere, normalised; a clear error at the field for anything else."""
    typed = form.values["postcode"]
    if not typed:
        form.error("postcode", _("Vul de postcode in, bijvoorbeeld 1315 AB."))
        return ""
    try:
        postcode = households.normalise_postcode(typed)
        households.district_for(get_session(), postcode)
    except ValidationFailed:
        form.error("postcode", _("Vul een postcode in zoals 1315 AB: 4 cijfers en 2 letters."))
        return ""
    except PostcodeOutsideAlmere:
        form.error(
            "postcode",
            _(
                "Deze postcode ligt niet in Almere. "
                "Alleen inwoners van Almere kunnen een Almerepas krijgen."
            ),
        )
        return ""
    return postcode


# -- add a member -----------------------------------------------------------------------------


@blp.route("/<int:household_id>/leden/nieuw", methods=["GET", "POST"])
@require_role("households.write")
@transactional
def new_member(household_id: int) -> ResponseReturnValue:
    """Add someone to a household from a date: a partner, a child, another member."""
    household = households.get_household(get_session(), household_id)
    form = Form(PERSON_FIELDS)
    roles = list(MEMBER_ROLE_LABELS.items())
    context = {"household": household, "address": address_line(household), "roles": roles}
    if request.method == "GET":
        form.values["valid_from"] = show_day(today())
        record_view(household)
        return form.render("caseworker/new_member.html", 200, **context)

    person = _person(form, with_role=True)
    if not form.errors:
        _attempt(form, lambda: _add_person(household, person), _member_refusals(household))
    if form.errors:
        record_view(household)
        return form.render("caseworker/new_member.html", 400, **context)
    flash(_("%(name)s is toegevoegd aan het huishouden.", name=person["given_name"]))
    return redirect(url_for("caseworker.household", household_id=household.id), 303)


# -- record an income assessment --------------------------------------------------------------


@blp.route("/<int:household_id>/inkomenstoets", methods=["GET", "POST"])
@require_role("assessments.write")
@transactional
def new_assessment(household_id: int) -> ResponseReturnValue:
    """Record the household's income: per member and kind, or a total when only that is known.

    What counts is worked out by the domain (``income.lines``) and compared with the norm on
    the assessment date; the household page shows how.
    """
    household = households.get_household(get_session(), household_id)
    form = Form(ASSESSMENT_FIELDS)
    members = _member_options(household)
    context = {
        "household": household,
        "address": address_line(household),
        "rows": range(INCOME_ROWS),
        "members": members,
        "kinds": _kind_options(),
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
                actor=current_actor(),
            )

        assessment = _attempt(form, work, _assessment_refusals(household, [r for r, _ in rows]))
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

    return {
        InvalidIncomeLines: lines_refused,
        MemberNotYetBorn: ("assessed_on", unborn),
        HouseholdMovedOut: ("assessed_on", _moved_out(household)),
        NoNorm: ("assessed_on", no_norm),
        AssessmentOutOfOrder: ("assessed_on", later),
        ValidationFailed: ("assessed_on", no_applicant),
    }
