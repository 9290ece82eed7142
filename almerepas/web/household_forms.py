"""Caseworker pages that change data: register a household, add a member (the assessment is in
assessment_forms.py).

Each form is checked as a whole on submit; every problem is named at its field and in the
summary on top, and what was typed comes back, except a BSN: that never goes into page HTML,
so the caseworker types it again. Nothing is written unless everything is right; a success
writes the same audit events as the API and goes back to the household page.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from almerepas.casework import operations as casework
from almerepas.core.errors import ValidationFailed
from almerepas.core.session import get_keys, get_session, transactional
from almerepas.households import members as households
from almerepas.households.errors import (
    BsnInUse,
    HouseholdMovedOut,
    InvalidBsn,
    MovedInBeforeBirth,
    PostcodeOutsideGemeente,
    SecondApplicant,
    SecondPartner,
)
from almerepas.households.members import Address
from almerepas.households.models import Household, MemberRole, Person
from almerepas.http.guard import current_actor, require_role
from almerepas.web.caseworker import (
    MEMBER_ROLE_LABELS,
    address_line,
    blp,
    record_view,
    show_day,
    today,
)
from almerepas.web.forms import Form, Refusals, attempt

HOUSEHOLD_FIELDS = ("street", "house_number", "house_number_suffix", "postcode")
PERSON_FIELDS = ("given_name", "family_name", "date_of_birth", "role", "valid_from", "bsn")


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
        HouseholdMovedOut: ("valid_from", moved_out(household)),
    }


def moved_out(household: Household) -> str:
    return str(
        _(
            "Dit huishouden is op %(day)s uit %(gemeente)s vertrokken. "
            "Kies een datum op of voor die dag.",
            day=show_day(household.moved_out_on),
        )
    )


# -- register a household ---------------------------------------------------------------------


@blp.route("/nieuw", methods=["GET", "POST"])
@require_role("households.write")
@transactional
def new_household() -> ResponseReturnValue:
    """Register a household at an address in the gemeente, with its applicant."""
    names = HOUSEHOLD_FIELDS + tuple(n for n in PERSON_FIELDS if n != "role")
    form = Form(names)
    if request.method == "GET":
        form.values["valid_from"] = show_day(today())
        return form.render("caseworker/new_household.html", 200)

    address = address_from(form)
    person = _person(form, with_role=False)
    if form.errors or address is None:
        return form.render("caseworker/new_household.html", 400)

    def work() -> Household:
        session = get_session()
        household = casework.register_household(session, address=address, actor=current_actor())
        _add_person(household, person)
        return household

    household = attempt(form, work, _person_refusals())
    if household is None:
        return form.render("caseworker/new_household.html", 400)
    flash(_("Het huishouden is ingeschreven."))
    return redirect(url_for("caseworker.household", household_id=household.id), 303)


def address_from(form: Form) -> Address | None:
    """Check street, number, suffix and postcode (in the gemeente); None when something is wrong."""
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
    postcode = _gemeente_postcode(form)
    if any(name in HOUSEHOLD_FIELDS for name, _message in form.errors):
        return None
    return Address(postcode=postcode, house_number=int(number), street=street,
                   house_number_suffix=suffix or None)  # fmt: skip


def _gemeente_postcode(form: Form) -> str:
    """A postcode in the gemeente, normalised; a clear error at the field for anything else."""
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
    except PostcodeOutsideGemeente:
        form.error(
            "postcode",
            _(
                "Deze postcode ligt niet in %(gemeente)s. "
                "Alleen inwoners van %(gemeente)s kunnen een %(pass_name)s krijgen."
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
        attempt(form, lambda: _add_person(household, person), _member_refusals(household))
    if form.errors:
        record_view(household)
        return form.render("caseworker/new_member.html", 400, **context)
    flash(_("%(name)s is toegevoegd aan het huishouden.", name=person["given_name"]))
    return redirect(url_for("caseworker.household", household_id=household.id), 303)


# -- record an income assessment --------------------------------------------------------------
