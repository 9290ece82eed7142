"""Caseworker pages that read: find households, open one, see what it is entitled to and why.

They do what the JSON API in almerepas.api.households does, for people: plain HTML without
JavaScript, the same domain functions and the same audit events (every page that shows a
household's personal data writes ``household.view``). A BSN is only ever POSTed and only shown
masked. The pages that change data are in almerepas.caseworker_forms, on the same blueprint.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask import Blueprint, Flask, Response, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_date, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import func, or_, select

from almerepas import audit, casework, clock, households
from almerepas.api.household_schemas import household_detail, household_summary
from almerepas.api.pagination import paginate
from almerepas.auth import allowed, current_staff, require_role
from almerepas.db import get_session, transactional
from almerepas.eligibility import format_percentage
from almerepas.eligibility_report import household_eligibility
from almerepas.errors import InvalidBsn, ValidationFailed
from almerepas.models import (
    District,
    Household,
    HouseholdType,
    MemberRole,
    Membership,
    Person,
    Scheme,
)
from almerepas.money import format_cents

blp = Blueprint("caseworker", __name__, url_prefix="/medewerkers/huishoudens")

Errors = list[tuple[str, str]]
PAGE_SIZE = 20
SEARCH_FIELDS = ("naam", "postcode", "geboortedatum")

DISTRICT_LABELS = {
    District.stad: _l("Almere Stad"),
    District.haven: _l("Almere Haven"),
    District.buiten: _l("Almere Buiten"),
    District.poort: _l("Almere Poort"),
    District.hout: _l("Almere Hout"),
    District.pampus: _l("Almere Pampus"),
    District.unknown: _l("Onbekend stadsdeel"),
}
MEMBER_ROLE_LABELS = {
    MemberRole.applicant: _l("Aanvrager"),
    MemberRole.partner: _l("Partner"),
    MemberRole.child: _l("Kind"),
    MemberRole.other: _l("Ander lid van het huishouden"),
}
HOUSEHOLD_TYPE_LABELS = {
    HouseholdType.single: _l("alleenstaande"),
    HouseholdType.single_parent: _l("alleenstaande ouder"),
    HouseholdType.couple: _l("paar"),
    HouseholdType.couple_mixed: _l("paar, één partner jonger dan 21"),
}


def init_app(app: Flask) -> None:
    """Register the caseworker pages (reading here, changing in caseworker_forms)."""
    from almerepas import caseworker_forms  # noqa: F401 - adds its routes to blp

    app.register_blueprint(blp)


@blp.after_request
def _no_store(response: Response) -> Response:
    """Personal data must not stay behind in a browser cache or a shared proxy."""
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "may": may,
        "district_label": lambda value: DISTRICT_LABELS.get(District(value), value),
        "member_role_label": lambda value: MEMBER_ROLE_LABELS.get(MemberRole(value), value),
        "household_type_label": lambda v: HOUSEHOLD_TYPE_LABELS.get(HouseholdType(v), v),
        "euros": format_cents,
        "quantity": quantity,
        "percentage": format_percentage,
        "day": show_day,
        "when": when,
        "period_label": period_label,
    }


# -- small helpers, also used by caseworker_forms ---------------------------------------------


def may(permission: str) -> bool:
    """Whether the logged-in staff member has ``permission``: pages hide what a role may not do."""
    user = current_staff()
    return user is not None and allowed(user.role, permission)


def today() -> dt.date:
    """Today in Almere, not in UTC: a form filled in at 00:30 defaults to the right date."""
    return clock.today()


def show_day(day: dt.date | None) -> str:
    """A date as Dutch forms write it (15-03-2026), the same format the forms ask for."""
    return day.strftime("%d-%m-%Y") if day else ""


def when(day: dt.date | None) -> Markup:
    """A date for display: machine-readable, and never broken over two lines at a hyphen."""
    if day is None:
        return Markup("")
    return Markup('<time datetime="{}">{}</time>').format(day.isoformat(), show_day(day))


def period_label(period: str) -> str:
    """A grant period for people: ``2026-03`` is "maart 2026", a year stays a year."""
    if len(period) == 7:
        return str(format_date(dt.date.fromisoformat(f"{period}-01"), "MMMM yyyy"))
    return period


_DMY = re.compile(r"([0-9]{1,2})[-/.]([0-9]{1,2})[-/.]([0-9]{4})")
_YMD = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")


def parse_day(text: str) -> dt.date:
    """A date typed as 15-03-2026 (also 15/3/2026 or 2026-03-15); ValueError otherwise."""
    text = text.strip()
    if match := _DMY.fullmatch(text):
        day, month, year = (int(part) for part in match.groups())
    elif match := _YMD.fullmatch(text):
        year, month, day = (int(part) for part in match.groups())
    else:
        raise ValueError(f"not a date: {text!r}")
    if not 1900 <= year <= 2200:
        raise ValueError(f"year out of range: {year}")
    return dt.date(year, month, day)


def is_plain(value: str, max_length: int) -> bool:
    """Text that may be stored or searched: not too long, no control characters."""
    return len(value) <= max_length and not any(ord(c) < 32 or ord(c) == 127 for c in value)


def quantity(amount: int, unit: str) -> str:
    """An amount in its unit for people: ``€ 1.234,50``, ``3 pakken``."""
    if unit == "EUR":
        return format_cents(amount)
    if unit == "PACK":
        return str(ngettext("%(num)s pak", "%(num)s pakken", amount))
    return f"{amount} {unit}"


def address_line(household: Household) -> str:
    suffix = f" {household.house_number_suffix}" if household.house_number_suffix else ""
    return f"{household.street} {household.house_number}{suffix}"


def scheme_name(scheme: Scheme) -> str:
    return scheme.name_en if str(get_locale() or "nl") == "en" else scheme.name_nl


def record_view(household: Household) -> None:
    """Every page that shows a household's personal data is in the audit log, as in the API."""
    casework.viewed(get_session(), household)


# -- finding a household ----------------------------------------------------------------------


@blp.route("")
@require_role("households.read")
@transactional
def search() -> ResponseReturnValue:
    """Search by name, postcode or date of birth (GET, so results can be paged and linked)."""
    form = {key: request.args.get(key, "").strip() for key in SEARCH_FIELDS}
    if not any(key in request.args for key in SEARCH_FIELDS):
        return _search_page(form, [])

    errors: Errors = []
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

    query = select(Household).order_by(Household.street, Household.house_number, Household.id)
    if form["naam"] or born:
        people = select(Membership.household_id).join(Person, Person.id == Membership.person_id)
        if form["naam"]:
            name = form["naam"].lower()  # % and _ are letters here, not wildcards
            people = people.where(
                or_(
                    func.lower(Person.family_name).contains(name, autoescape=True),
                    func.lower(Person.given_name).contains(name, autoescape=True),
                    func.lower(Person.given_name + " " + Person.family_name).contains(
                        name, autoescape=True
                    ),
                )
            )
        if born:
            people = people.where(Person.date_of_birth == born)
        query = query.where(Household.id.in_(people))
    if postcode:
        query = query.where(Household.postcode == postcode)
    number = request.args.get("pagina", "1")
    page = int(number) if number.isdigit() and 0 < int(number) <= 100_000 else 1
    result = paginate(get_session(), query, page=page, page_size=PAGE_SIZE)
    audit.record(
        get_session(),
        action="household.search",
        changes={
            "criteria": {
                "name": bool(form["naam"]),
                "postcode": postcode,
                "date_of_birth": bool(born),
            }
        },
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


@blp.route("/bsn", methods=["POST"])
@require_role("households.search_bsn")
@transactional
def search_by_bsn() -> ResponseReturnValue:
    """Find a person by BSN: POSTed so the number never lands in a URL, a log or the history."""
    bsn = re.sub(r"[\s.]", "", request.form.get("bsn", ""))
    if not bsn:
        return _search_page({}, [("bsn", _("Vul het burgerservicenummer in (9 cijfers)."))], 400)
    try:
        person = households.find_person_by_bsn(get_session(), bsn)
    except InvalidBsn:
        error = _("Dit burgerservicenummer klopt niet. Controleer de 9 cijfers.")
        return _search_page({}, [("bsn", error)], status=400)
    found = [m.household for m in person.memberships] if person else []
    audit.record(get_session(), action="household.search_bsn", changes={"found": len(found)})
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
    """The household: address, members, income assessments and what it was granted."""
    session = get_session()
    found = households.get_household(session, household_id)
    record_view(found)
    detail = household_detail(session, found)
    schemes = {s.code: s for s in session.scalars(select(Scheme))}
    names = {
        m["person_id"]: f"{m['given_name']} {m['family_name']}" for m in detail["member_history"]
    }

    def beneficiary(key: str) -> str:
        kind, _sep, number = key.partition(":")
        if kind == "person" and number.isdigit():
            return names.get(int(number), key)
        return str(_("Het hele huishouden"))

    return render_template(
        "caseworker/household.html",
        household=found,
        detail=detail,
        address=address_line(found),
        schemes=schemes,
        scheme_name=scheme_name,
        beneficiary=beneficiary,
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
    rows = [] if errors else household_eligibility(session, found, day)
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
