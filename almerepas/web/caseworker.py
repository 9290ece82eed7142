"""The caseworker pages' blueprint and what its reading and changing pages share.

Labels for enums, the Dutch date format the forms use, and small checks on typed text.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Response
from flask_babel import format_date, get_locale, ngettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from almerepas.casework import operations as casework
from almerepas.core import clock, gemeente
from almerepas.core.money import format_cents
from almerepas.core.session import get_session
from almerepas.households.models import Household, MemberRole
from almerepas.http.guard import current_actor, current_staff
from almerepas.http.reasons import format_percentage, income_kind_label, income_line_reason
from almerepas.income.models import HouseholdType
from almerepas.schemes.models import Scheme
from almerepas.staff.permissions import allowed

blp = Blueprint("caseworker", __name__, url_prefix="/medewerkers/huishoudens")

PAGE_SIZE = 20
SEARCH_FIELDS = ("naam", "postcode", "geboortedatum")

UNKNOWN_DISTRICT_LABEL = _l("Onbekend stadsdeel")


def district_label(code: str) -> str:
    """The district's name from the gemeente's data folder; the unknown bucket's is text."""
    return gemeente.current().district_label(code) or str(UNKNOWN_DISTRICT_LABEL)


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


def no_store(response: Response) -> Response:
    """Personal data must not stay behind in a browser cache or a shared proxy."""
    response.headers["Cache-Control"] = "no-store"
    return response


blp.after_request(no_store)


@blp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "may": may,
        "district_label": district_label,
        "member_role_label": lambda value: MEMBER_ROLE_LABELS.get(MemberRole(value), value),
        "household_type_label": lambda v: HOUSEHOLD_TYPE_LABELS.get(HouseholdType(v), v),
        "euros": format_cents,
        "quantity": quantity,
        "percentage": format_percentage,
        "day": show_day,
        "when": when,
        "period_label": period_label,
        "income_kind_label": income_kind_label,
        "income_line_reason": income_line_reason,
    }


# -- small helpers, for the reading and the changing pages -------------------------------------


def may(permission: str) -> bool:
    """Whether the logged-in staff member has ``permission``: pages hide what a role may not do."""
    user = current_staff()
    return user is not None and allowed(user.role, permission)


def today() -> dt.date:
    """Today (local time), not in UTC: a form filled in at 00:30 defaults to the right date."""
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
    casework.viewed(get_session(), household, actor=current_actor())
