"""Caseworker pages for passes: issue, block, replace and reissue, each with a confirmation.

Every button on the household page is a POST form with its CSRF token. The first POST shows
what will happen, in plain Dutch, and asks to confirm (for a block: why); only the confirmed
POST changes anything, through the same domain operations as the API, which write the audit
rows. A refusal (someone moved out, a pass that changed meanwhile) comes back on the
confirmation page. No JavaScript.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from almerepas.core import clock
from almerepas.core.session import get_session, transactional
from almerepas.households import members as households
from almerepas.households.models import Household, Person
from almerepas.http.guard import current_actor, require_role
from almerepas.http.i18n import translate
from almerepas.passes import errors as pass_errors
from almerepas.passes import numbers
from almerepas.passes import operations as passes
from almerepas.passes.models import BlockReason, Pass
from almerepas.web.caseworker import address_line, blp, record_view, today

BLOCK_REASONS = [
    (BlockReason.lost.value, _l("Kwijt")),
    (BlockReason.stolen.value, _l("Gestolen")),
    (BlockReason.other.value, _l("Iets anders")),
]
PASS_BUTTONS = {
    "issue": _l("Pas geven"),
    "block": _l("Pas blokkeren"),
    "replace": _l("Pas vervangen"),
    "reissue": _l("Nieuwe pas maken"),
}
PASS_ENDPOINTS = {
    "block": "caseworker.block_pass",
    "replace": "caseworker.replace_pass",
    "reissue": "caseworker.reissue_pass",
}
STATUS_LABELS = {
    "active": _l("Werkt"),
    "blocked": _l("Geblokkeerd"),
    "replaced": _l("Vervangen"),
    "expired": _l("Verlopen"),
}
REASON_LABELS = dict(BLOCK_REASONS)
#: The refusals a confirmation page shows; anything else is an error page.
REFUSALS = (
    pass_errors.PassExists,
    pass_errors.NotLivingInGemeente,
    pass_errors.PassNotActive,
    pass_errors.PassNotReissuable,
)


@blp.context_processor
def _pass_helpers() -> dict[str, Any]:
    return {
        "pass_number": numbers.grouped,
        "pass_status": pass_status,
        "pass_buttons": PASS_BUTTONS,
        "pass_endpoints": PASS_ENDPOINTS,
    }


def pass_status(pass_: Pass, day: dt.date) -> str:
    """The status as a caseworker says it: "Geblokkeerd (kwijt)", "Verlopen"."""
    status = pass_.status.value
    if status == "active" and pass_.valid_until < day:
        status = "expired"  # the nightly expiry has not run yet
    label = str(STATUS_LABELS[status])
    if status == "blocked" and pass_.block_reason in REASON_LABELS:
        return f"{label} ({str(REASON_LABELS[pass_.block_reason]).lower()})"
    return label


def _member(household: Household, person_id: int) -> Person:
    """A person who lives in the household today; 404 for anyone else."""
    for membership in households.members_on(household, today()):
        if membership.person_id == person_id:
            return membership.person
    abort(404)


def _pass_of(household: Household, pass_id: int) -> Pass:
    pass_ = get_session().get(Pass, pass_id)
    if pass_ is None:
        abort(404)
    _member(household, pass_.person_id)
    return pass_


def _confirm(
    household: Household,
    action: str,
    person: Person,
    pass_: Pass | None,
    work: Callable[[], Pass],
    done: Callable[[Pass], str],
    *,
    errors: list[tuple[str, str]] | None = None,
) -> ResponseReturnValue:
    """The confirmation page on the first POST (or with errors); the change on the second."""
    errors = list(errors or [])
    if request.form.get("bevestigd") == "ja" and not errors:
        try:
            result = work()
        except REFUSALS as refusal:
            get_session().rollback()
            errors.append(("bevestigd", translate(str(refusal.detail))))
        else:
            flash(done(result))
            return redirect(url_for("caseworker.household", household_id=household.id), 303)
    record_view(household)
    html = render_template(
        "caseworker/pass_confirm.html",
        household=household,
        address=address_line(household),
        action=action,
        person=person,
        pass_=pass_,
        grouped=numbers.grouped,
        new_until=passes.valid_until_for(today()),
        reasons=BLOCK_REASONS,
        form={"reason": request.form.get("reason", "")},
        errors=errors,
        field_errors=dict(errors),
        post_url=request.path,
    )
    return html, 400 if errors else 200


def _name(person: Person) -> str:
    return f"{person.given_name} {person.family_name}"


@blp.route("/<int:household_id>/personen/<int:person_id>/pas", methods=["POST"])
@require_role("passes.write")
@transactional
def issue_pass(household_id: int, person_id: int) -> ResponseReturnValue:
    """Give someone who lives here a pass."""
    household = households.get_household(get_session(), household_id)
    person = _member(household, person_id)

    def work() -> Pass:
        return passes.issue_pass(get_session(), person, actor=current_actor(), now=clock.now())

    def done(new: Pass) -> str:
        return str(
            _("%(name)s heeft een pas gekregen: %(number)s.", name=_name(person),
              number=numbers.grouped(new.number))
        )  # fmt: skip

    return _confirm(household, "issue", person, None, work, done)


@blp.route("/<int:household_id>/passen/<int:pass_id>/blokkeren", methods=["POST"])
@require_role("passes.write")
@transactional
def block_pass(household_id: int, pass_id: int) -> ResponseReturnValue:
    """Block a lost or stolen pass: it stops working at once."""
    household = households.get_household(get_session(), household_id)
    pass_ = _pass_of(household, pass_id)
    errors: list[tuple[str, str]] = []
    typed = request.form.get("reason", "")
    if request.form.get("bevestigd") == "ja" and typed not in {r.value for r in BlockReason}:
        errors.append(("reason", _("Kies waarom de pas geblokkeerd wordt.")))

    def work() -> Pass:
        return passes.block_pass(
            get_session(),
            pass_,
            reason=BlockReason(typed),
            actor=current_actor(),
            now=clock.now(),
        )

    def done(_blocked: Pass) -> str:
        return str(
            _("De pas van %(name)s is geblokkeerd. Hij werkt nu niet meer.",
              name=_name(pass_.person))
        )  # fmt: skip

    return _confirm(household, "block", pass_.person, pass_, work, done, errors=errors)


@blp.route("/<int:household_id>/passen/<int:pass_id>/vervangen", methods=["POST"])
@require_role("passes.write")
@transactional
def replace_pass(household_id: int, pass_id: int) -> ResponseReturnValue:
    """A new pass (new number) for one that is still valid; the old one stops at once."""
    household = households.get_household(get_session(), household_id)
    pass_ = _pass_of(household, pass_id)

    def work() -> Pass:
        return passes.replace_pass(get_session(), pass_, actor=current_actor(), now=clock.now())

    def done(new: Pass) -> str:
        return str(
            _("De pas van %(name)s is vervangen. Het nieuwe pasnummer is %(number)s.",
              name=_name(pass_.person), number=numbers.grouped(new.number))
        )  # fmt: skip

    return _confirm(household, "replace", pass_.person, pass_, work, done)


@blp.route("/<int:household_id>/passen/<int:pass_id>/opnieuw", methods=["POST"])
@require_role("passes.write")
@transactional
def reissue_pass(household_id: int, pass_id: int) -> ResponseReturnValue:
    """A new pass after an expired or blocked one, valid on the schedule from today."""
    household = households.get_household(get_session(), household_id)
    pass_ = _pass_of(household, pass_id)

    def work() -> Pass:
        return passes.reissue_pass(get_session(), pass_, actor=current_actor(), now=clock.now())

    def done(new: Pass) -> str:
        return str(
            _("%(name)s heeft een nieuwe pas: %(number)s.", name=_name(pass_.person),
              number=numbers.grouped(new.number))
        )  # fmt: skip

    return _confirm(household, "reissue", pass_.person, pass_, work, done)


def pass_rows(household: Household, passes_by_person: dict[int, Pass]) -> list[dict[str, Any]]:
    """Per member living here today: their newest pass, and what a caseworker can do with it."""
    day = today()
    rows = []
    for membership in households.members_on(household, day):
        pass_ = passes_by_person.get(membership.person_id)
        can: list[str] = []
        if pass_ is None:
            can = ["issue"]
        elif pass_.status.value == "active" and pass_.valid_until >= day:
            can = ["block", "replace"]
        elif pass_.status.value == "blocked" and pass_.valid_until >= day:
            can = ["replace"]  # a new card on the same validity (the API may also reissue)
        elif pass_.status.value in ("blocked", "expired", "active"):
            can = ["reissue"]
        rows.append({"person": membership.person, "pass": pass_, "can": can})
    return rows
