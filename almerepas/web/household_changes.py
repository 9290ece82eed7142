"""Caseworker pages that change a household after it is registered: someone leaves, the
household moves within the gemeente or out of it, its contact details and preferences.

The same domain operations as the API (casework/operations.py), so a page and the API leave
the same audit row; what the domain refuses comes back at the field, with what was typed.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, validate

from almerepas.casework import operations as casework
from almerepas.core.errors import DomainError, NotFound
from almerepas.core.session import get_session, transactional
from almerepas.households import members as households
from almerepas.households.errors import AlreadyMovedOut, MoveOutBeforeMoveIn
from almerepas.households.models import Household, Membership
from almerepas.http.guard import current_actor, require_role
from almerepas.http.i18n import translate
from almerepas.http.schemas import MAX_EMAIL_LENGTH
from almerepas.web.caseworker import address_line, blp, record_view, show_day, today
from almerepas.web.forms import Errors, Form, attempt
from almerepas.web.household_forms import HOUSEHOLD_FIELDS, address_from

LANGUAGES = [("nl", _l("Nederlands")), ("en", _l("Engels"))]
CONTACT_FIELDS = ("email", "phone", "language", "letters_by_post")


def _at(field: str) -> Any:
    """A domain refusal shown at ``field`` with the domain's own words."""

    def refusal(exc: DomainError) -> Errors:
        return [(field, translate(str(exc.detail)))]

    return refusal


def _done(household: Household, message: str) -> ResponseReturnValue:
    flash(message)
    return redirect(url_for("caseworker.household", household_id=household.id), 303)


def _page(form: Form, template: str, household: Household, **context: Any) -> ResponseReturnValue:
    """The form again: it shows the address, so it is a household view in the audit log."""
    record_view(household)
    status = 400 if form.errors else 200
    return form.render(template, status, household=household, address=address_line(household),
                       **context)  # fmt: skip


# -- someone leaves the household -------------------------------------------------------------


def _current_membership(household: Household, person_id: int) -> Membership:
    """The person's membership that has not ended before today; 404 for anyone else."""
    for membership in household.memberships:
        if membership.person_id == person_id and (
            membership.valid_to is None or membership.valid_to >= today()
        ):
            return membership
    raise NotFound(detail="Deze persoon woont niet in dit huishouden.")


@blp.route("/<int:household_id>/leden/<int:person_id>/vertrek", methods=["GET", "POST"])
@require_role("households.write")
@transactional
def end_membership(household_id: int, person_id: int) -> ResponseReturnValue:
    """A member leaves the household: the last day they live here; their history stays."""
    household = households.get_household(get_session(), household_id)
    membership = _current_membership(household, person_id)
    person = membership.person
    name = f"{person.given_name} {person.family_name}"
    form = Form(("last_day",))
    context = {"membership": membership, "name": name}
    if request.method == "GET":
        form.values["last_day"] = show_day(today())
        return _page(form, "caseworker/end_membership.html", household, **context)
    last_day = form.day("last_day", _("Vul de laatste dag in."), "31-03-2026")
    if last_day is not None:

        def work() -> None:
            casework.record_departure(
                get_session(), household, membership, last_day=last_day, actor=current_actor()
            )

        attempt(form, work, {MoveOutBeforeMoveIn: _at("last_day")})
    if form.errors or last_day is None:
        return _page(form, "caseworker/end_membership.html", household, **context)
    return _done(household, _("%(name)s woont hier niet meer na %(day)s.", name=name,
                              day=show_day(last_day)))  # fmt: skip


# -- the household moves ----------------------------------------------------------------------


@blp.route("/<int:household_id>/adres", methods=["GET", "POST"])
@require_role("households.write")
@transactional
def change_address(household_id: int) -> ResponseReturnValue:
    """A move within the gemeente, or a corrected address: the district follows the postcode."""
    household = households.get_household(get_session(), household_id)
    form = Form(HOUSEHOLD_FIELDS)
    if request.method == "GET":
        form.values.update(
            street=household.street,
            house_number=str(household.house_number),
            house_number_suffix=household.house_number_suffix or "",
            postcode=f"{household.postcode[:4]} {household.postcode[4:]}",
        )
        return _page(form, "caseworker/change_address.html", household)
    address = address_from(form)
    if form.errors or address is None:
        return _page(form, "caseworker/change_address.html", household)
    casework.move_within_almere(get_session(), household, address=address, actor=current_actor())
    return _done(household, _("Het nieuwe adres is opgeslagen."))


@blp.route("/<int:household_id>/vertrek-uit-gemeente", methods=["GET", "POST"])
@require_role("households.write")
@transactional
def move_out(household_id: int) -> ResponseReturnValue:
    """The household leaves the gemeente: it keeps what it has, gets nothing new, all leave."""
    household = households.get_household(get_session(), household_id)
    form = Form(("day",))
    if request.method == "GET":
        form.values["day"] = show_day(today())
        return _page(form, "caseworker/move_out.html", household)
    day = form.day("day", _("Vul de dag van vertrek in."), "31-03-2026")
    if day is not None:

        def work() -> None:
            casework.move_out(get_session(), household, day=day, actor=current_actor())

        attempt(form, work, {MoveOutBeforeMoveIn: _at("day"), AlreadyMovedOut: _at("day")})
    if form.errors:
        return _page(form, "caseworker/move_out.html", household)
    return _done(household, _("Het huishouden is uit %(gemeente)s vertrokken."))


# -- contact details and preferences ----------------------------------------------------------


@blp.route("/<int:household_id>/contact", methods=["GET", "POST"])
@require_role("households.write")
@transactional
def change_contact(household_id: int) -> ResponseReturnValue:
    """E-mail, phone, the language of letters and messages, and letters by post or not."""
    household = households.get_household(get_session(), household_id)
    form = Form(CONTACT_FIELDS)
    context = {"languages": LANGUAGES}
    if request.method == "GET":
        form.values.update(
            email=household.email or "",
            phone=household.phone or "",
            language=household.language,
            letters_by_post="ja" if household.letters_by_post else "",
        )
        return _page(form, "caseworker/change_contact.html", household, **context)
    email = form.text("email", MAX_EMAIL_LENGTH, None)
    if email and "email" not in dict(form.errors):
        try:
            validate.Email()(email)  # the rule the API's schema uses
        except ValidationError:
            form.error("email", _("Vul een e-mailadres in zoals naam@voorbeeld.nl."))
    phone = form.text("phone", 30, None)
    language = form.values["language"]
    if language not in dict(LANGUAGES):
        form.error("language", _("Kies een taal."))
    if form.errors:
        return _page(form, "caseworker/change_contact.html", household, **context)
    casework.change_contact(
        get_session(),
        household,
        email=email or None,
        phone=phone or None,
        language=language,
        letters_by_post=form.values["letters_by_post"] == "ja",
        actor=current_actor(),
    )
    return _done(household, _("De contactgegevens zijn opgeslagen."))
