"""Caseworker pages that read: find households, open one, see what it is entitled to and why.

They do what the JSON API in almerepas.api.households does, for people: plain HTML without
JavaScript, the same domain functions and the same audit events (every page that shows a
household's personal data writes ``household.view``). A BSN is only ever POSTed and only shown
masked. The pages that change data are in almerepas.web.household_forms, on the same blueprint.
"""

from __future__ import annotations

import re
from typing import Any

from flask import render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from almerepas.core.elfproef import contains_bsn
from almerepas.core.errors import ValidationFailed
from almerepas.core.session import get_keys, get_session, transactional
from almerepas.grants.queries import household_detail, household_summary
from almerepas.grants.report import household_eligibility
from almerepas.households import members as households
from almerepas.households import search as household_search
from almerepas.households.errors import InvalidBsn
from almerepas.households.search import Criteria, search_households
from almerepas.http.guard import current_actor, require_role
from almerepas.http.reasons import worded
from almerepas.passes.queries import household_passes, latest_per_person
from almerepas.schemes.models import Scheme
from almerepas.web.caseworker import (
    PAGE_SIZE,
    SEARCH_FIELDS,
    address_line,
    blp,
    may,
    record_view,
    scheme_name,
    show_day,
    today,
)
from almerepas.web.forms import Errors, is_plain, page_number, parse_day
from almerepas.web.pass_forms import pass_rows

# -- finding a household ----------------------------------------------------------------------


@blp.route("")
@require_role("households.read")
@transactional
def search() -> ResponseReturnValue:
    """Search by name, postcode or date of birth (GET, so results can be paged and linked)."""
    form = {key: request.args.get(key, "").strip() for key in SEARCH_FIELDS}
    if not any(key in request.args for key in SEARCH_FIELDS):
        return _search_page(form, [])

    errors = _bsn_typed(form)
    if errors:
        return _search_page(form, errors, status=400)
    if not is_plain(form["naam"], 100):
        errors.append(("naam", _("Gebruik hoogstens %(n)s gewone tekens.", n=100)))
    postcode = None
    if form["postcode"]:
        try:
            postcode = households.normalise_postcode(form["postcode"])
        except ValidationFailed:
            errors.append(("postcode", _("Vul een postcode in zoals 1315 AB.")))
    born = None
    if form["geboortedatum"]:
        try:
            born = parse_day(form["geboortedatum"])
        except ValueError:
            errors.append(
                ("geboortedatum", _("Vul de geboortedatum in zoals 15-03-1980 (dag-maand-jaar)."))
            )
    if not errors and not (form["naam"] or postcode or born):
        errors.append(("naam", _("Vul een naam, een postcode of een geboortedatum in.")))
    if errors:
        return _search_page(form, errors, status=400)

    result = search_households(
        get_session(),
        Criteria(name=form["naam"] or None, postcode=postcode, date_of_birth=born),
        page=page_number(request.args.get("pagina", "1")),
        page_size=PAGE_SIZE,
        today=today(),
        actor=current_actor(),
    )

    def page_url(number: int) -> str:
        args: dict[str, Any] = {**form, "pagina": number}
        return url_for("caseworker.search", **args)

    return _search_page(
        form,
        [],
        results=[household_summary(h) for h in result.items],
        result=result,
        page_url=page_url,
    )


def _bsn_typed(form: dict[str, str]) -> Errors:
    """A BSN typed into a search field: refused at that field and blanked, so that it is not
    shown again nor carried on in a link (households/search.py refuses it in a name, too)."""
    if may("households.search_bsn"):
        message = _(
            "Dit lijkt een burgerservicenummer. Zoek daarop hieronder, bij 'Zoeken op "
            "burgerservicenummer': dan komt het nummer niet in de adresbalk."
        )
    else:
        message = _("Dit lijkt een burgerservicenummer. Daarop kunt u hier niet zoeken.")
    errors: Errors = []
    for key in SEARCH_FIELDS:
        if contains_bsn(form[key]):
            form[key] = ""
            errors.append((key, message))
    return errors


@blp.route("/bsn", methods=["POST"])
@require_role("households.search_bsn")
@transactional
def search_by_bsn() -> ResponseReturnValue:
    """Find a person by BSN: POSTed so the number never lands in a URL, a log or the history."""
    bsn = re.sub(r"[\s.]", "", request.form.get("bsn", ""))
    if not bsn:
        return _search_page({}, [("bsn", _("Vul het burgerservicenummer in (9 cijfers)."))], 400)
    try:
        found = household_search.search_by_bsn(
            get_session(), bsn, keys=get_keys(), today=today(), actor=current_actor()
        )
    except InvalidBsn:
        error = _("Dit burgerservicenummer klopt niet. Controleer de 9 cijfers.")
        return _search_page({}, [("bsn", error)], status=400)
    return _search_page({}, [], results=[household_summary(h) for h in found], by_bsn=True)


def _search_page(
    form: dict[str, str], errors: Errors, status: int = 200, **context: Any
) -> tuple[str, int]:
    context.setdefault("results", None)
    html = render_template(
        "caseworker/search.html", form=form, errors=errors, field_errors=dict(errors), **context
    )
    return html, status


# -- one household ----------------------------------------------------------------------------


@blp.route("/<int:household_id>")
@require_role("households.read")
@transactional
def household(household_id: int) -> str:
    """The household: address, members and their passes, income assessments and grants."""
    session = get_session()
    found = households.get_household(session, household_id)
    record_view(found)
    detail = household_detail(session, found, keys=get_keys())
    schemes = {s.code: s for s in session.scalars(select(Scheme))}
    names = {
        m["person_id"]: f"{m['given_name']} {m['family_name']}" for m in detail["member_history"]
    }

    def beneficiary(key: str) -> str:
        kind, _sep, number = key.partition(":")
        if kind == "person" and number.isdigit():
            return names.get(int(number), key)
        return str(_("Het hele huishouden"))

    passes = None
    if may("passes.read"):
        latest = latest_per_person(household_passes(session, found.id, today()))
        passes = pass_rows(found, latest)
    return render_template(
        "caseworker/household.html",
        household=found,
        detail=detail,
        passes=passes,
        address=address_line(found),
        schemes=schemes,
        scheme_name=scheme_name,
        beneficiary=beneficiary,
        names=names,
        on=today(),
    )


@blp.route("/<int:household_id>/regelingen")
@require_role("eligibility.read")
@transactional
def eligibility(household_id: int) -> ResponseReturnValue:
    """Which schemes each member is entitled to on a day, and the reason for every unmet rule."""
    session = get_session()
    found = households.get_household(session, household_id)
    typed = request.args.get("datum", "").strip()
    errors: Errors = []
    day = today()
    if typed:
        try:
            day = parse_day(typed)
        except ValueError:
            errors.append(("datum", _("Vul een datum in zoals 15-03-2026 (dag-maand-jaar).")))
    record_view(found)
    rows = [] if errors else worded(household_eligibility(session, found, day))
    schemes = {s.code: s for s in session.scalars(select(Scheme))}
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(row["scheme"], []).append(row)
    html = render_template(
        "caseworker/eligibility.html",
        household=found,
        address=address_line(found),
        form={"datum": typed or show_day(day)},
        errors=errors,
        field_errors=dict(errors),
        on=day,
        grouped=grouped,
        schemes=schemes,
        scheme_name=scheme_name,
    )
    return html, 400 if errors else 200
