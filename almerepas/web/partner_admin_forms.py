"""Partner pages that make or change something: a partner, a location, a contract, an offer
(a partner user and a device are in almerepas.web.partner_admin_keys). Administrators only
(``partners.write``).

Each form is checked as a whole on submit: the page checks what was typed (dates, amounts,
choices), the domain checks the rest (the KvK number, the IBAN with schwifty, overlapping
contracts) and every refusal is shown at its field and in the summary on top, in Dutch, with
what was typed kept (never a password). A device's key and a manager's second factor are shown
on the page that answers the POST, once, and never again (almerepas.web.partner_admin_keys).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from almerepas.contracts import agreements, offers, partners
from almerepas.contracts.errors import (
    ContractOverlaps,
    InvalidBic,
    InvalidContract,
    InvalidDevice,
    InvalidIban,
    InvalidKvkNumber,
    InvalidLocation,
    InvalidOffer,
    InvalidPartner,
    InvalidPartnerUser,
    KvkNumberTaken,
    LocationOfAnotherPartner,
    PartnerInactive,
    SchemeNotContractable,
)
from almerepas.contracts.models import (
    Location,
    LocationKind,
    Partner,
    PayoutMethod,
    TariffKind,
)
from almerepas.core.errors import DomainError, ValidationFailed
from almerepas.core.money import parse_euros
from almerepas.core.session import get_session, transactional
from almerepas.households.members import normalise_postcode
from almerepas.http.guard import current_actor, require_role
from almerepas.http.i18n import translate
from almerepas.schemes.models import Scheme, SchemeKind
from almerepas.staff.errors import UsernameTaken
from almerepas.web.caseworker import scheme_name, show_day, today
from almerepas.web.forms import Errors, Form, Refusals, attempt, is_plain
from almerepas.web.partner_admin import (
    LOCATION_KIND_LABELS,
    PAYOUT_LABELS,
    TARIFF_KIND_LABELS,
    blp,
    grouped_iban,
)

PARTNER_FIELDS = ("name", "kvk_number", "iban", "bic", "payout_method", "stripe_account")
LOCATION_FIELDS = ("name", "street", "house_number", "postcode", "kind")
CONTRACT_FIELDS = ("scheme", "location_ids", "valid_from", "valid_to", "tariff_kind", "tariff")
OFFER_FIELDS = ("title_nl", "title_en", "description_nl", "description_en",
                "conditions_nl", "conditions_en", "valid_from", "valid_to")  # fmt: skip

#: The refusals of the contracts domain a form shows at a field; anything else is an error page.
FIELD_REFUSALS: tuple[type[DomainError], ...] = (
    InvalidPartner, InvalidKvkNumber, InvalidIban, InvalidBic, KvkNumberTaken, InvalidLocation,
    InvalidContract, LocationOfAnotherPartner, SchemeNotContractable, ContractOverlaps,
    InvalidPartnerUser, UsernameTaken, InvalidDevice, InvalidOffer, PartnerInactive,
    ValidationFailed,
)  # fmt: skip


def at_fields(form: Form, fallback: str) -> Callable[[DomainError], Errors]:
    """A refusal's ``errors`` at the fields they name (in Dutch), else at ``fallback``."""

    def errors(refusal: DomainError) -> Errors:
        listed = refusal.extensions.get("errors") or []
        found = [
            (e["field"] if e["field"] in form.names else fallback, translate(str(e["detail"])))
            for e in listed
        ]
        return found or [(fallback, translate(str(refusal.detail)))]

    return errors


def refusals(form: Form, fallback: str, first: Refusals | None = None) -> Refusals:
    """Every refusal of the domain at the field it names; ``first``: fixed messages that win."""
    chosen: Refusals = dict(first or {})
    for kind in FIELD_REFUSALS:
        chosen.setdefault(kind, at_fields(form, fallback))
    return chosen


def domain_check(form: Form, name: str, check: Callable[[str], Any]) -> None:
    """Run one of the domain's own checks on a typed field, so every wrong field shows at once."""
    if not form.values[name] or name in dict(form.errors):
        return
    try:
        check(form.values[name])
    except DomainError as refusal:
        for field, message in at_fields(form, name)(refusal):
            form.error(field, message)


def choice(form: Form, name: str, options: Any, message: str) -> str:
    if form.values[name] not in {str(option) for option in options}:
        form.error(name, message)
    return form.values[name]


def back(partner: Partner, anchor: str = "") -> ResponseReturnValue:
    return redirect(url_for("partner_pages.partner_page", partner_id=partner.id) + anchor, 303)


# -- a partner ----------------------------------------------------------------------------------


def _partner_data(form: Form) -> dict[str, Any]:
    data = {
        "name": form.text("name", 200, _("Vul de naam van de partner in.")),
        "kvk_number": form.text("kvk_number", 20, _("Vul het KvK-nummer in: 8 cijfers.")),
        "iban": form.text("iban", 50, _("Vul het IBAN in, zoals NL91 ABNA 0417 1643 00.")),
        "bic": form.text("bic", 20, None) or None,
        "payout_method": choice(
            form, "payout_method", PayoutMethod, _("Kies hoe de partner betaald wordt.")
        ),
        "stripe_account": form.text("stripe_account", 64, None),
    }
    domain_check(form, "kvk_number", partners.check_kvk_number)
    domain_check(form, "iban", partners.check_iban)
    domain_check(form, "bic", partners.check_bic)
    domain_check(form, "stripe_account", partners.check_stripe_account)
    return data


def _partner_form(form: Form, status: int, partner: Partner | None) -> ResponseReturnValue:
    methods = list(PAYOUT_LABELS.items())
    return form.render("partner_admin/partner_form.html", status, partner=partner, methods=methods)


@blp.route("/nieuw", methods=["GET", "POST"])
@require_role("partners.write")
@transactional
def new_partner() -> ResponseReturnValue:
    """A new partner: name, KvK number, IBAN (checked), BIC and how it is paid."""
    form = Form(PARTNER_FIELDS)
    if request.method == "GET":
        form.values["payout_method"] = PayoutMethod.sepa.value
        return _partner_form(form, 200, None)
    data = _partner_data(form)
    if form.errors:
        return _partner_form(form, 400, None)
    made = attempt(
        form,
        lambda: partners.create_partner(get_session(), data, actor=current_actor()),
        refusals(form, "name"),
    )
    if made is None:
        return _partner_form(form, 400, None)
    flash(_("De partner %(name)s is gemaakt.", name=made.name))
    return back(made)


@blp.route("/<int:partner_id>/wijzigen", methods=["GET", "POST"])
@require_role("partners.write")
@transactional
def edit_partner(partner_id: int) -> ResponseReturnValue:
    """Change a partner's name, KvK number, bank account or way of payment."""
    partner = partners.get_partner(get_session(), partner_id)
    form = Form(PARTNER_FIELDS)
    if request.method == "GET":
        form.values.update(name=partner.name, kvk_number=partner.kvk_number,
                           iban=grouped_iban(partner.iban), bic=partner.bic or "",
                           payout_method=partner.payout_method.value,
                           stripe_account=partner.stripe_account or "")  # fmt: skip
        return _partner_form(form, 200, partner)
    data = _partner_data(form)
    if not form.errors:
        attempt(
            form,
            lambda: partners.update_partner(get_session(), partner, data, actor=current_actor()),
            refusals(form, "name"),
        )
    if form.errors:
        return _partner_form(form, 400, partner)
    flash(_("De gegevens van %(name)s zijn gewijzigd.", name=partner.name))
    return back(partner)


# -- a location ---------------------------------------------------------------------------------


@blp.route("/<int:partner_id>/locaties/nieuw", methods=["GET", "POST"])
@require_role("partners.write")
@transactional
def new_location(partner_id: int) -> ResponseReturnValue:
    """A place where the partner works: name, address and kind."""
    partner = partners.get_partner(get_session(), partner_id)
    form = Form(LOCATION_FIELDS)
    context = {"partner": partner, "kinds": list(LOCATION_KIND_LABELS.items())}
    if request.method == "GET":
        return form.render("partner_admin/location_form.html", 200, **context)
    data = {
        "name": form.text("name", 200, _("Vul de naam van de locatie in.")),
        "street": form.text("street", 200, _("Vul de straat in.")),
        "house_number": form.text("house_number", 20, _("Vul het huisnummer in.")),
        "postcode": form.values["postcode"],
        "kind": choice(form, "kind", LocationKind, _("Kies wat voor locatie het is.")),
    }
    if not form.values["postcode"]:
        form.error("postcode", _("Vul de postcode in, bijvoorbeeld 1315 AB."))
    else:
        try:
            normalise_postcode(form.values["postcode"])
        except ValidationFailed:
            form.error("postcode", _("Vul een postcode in zoals 1315 AB: 4 cijfers en 2 letters."))
    if not form.errors:
        attempt(
            form,
            lambda: partners.add_location(get_session(), partner, data, actor=current_actor()),
            refusals(form, "name"),
        )
    if form.errors:
        return form.render("partner_admin/location_form.html", 400, **context)
    flash(_("De locatie %(name)s is toegevoegd.", name=data["name"]))
    return back(partner, "#locaties")


def active_locations(partner: Partner) -> list[Location]:
    query = select(Location).where(Location.partner_id == partner.id, Location.active)
    return list(get_session().scalars(query.order_by(Location.name, Location.id)))


# -- a contract ---------------------------------------------------------------------------------


def _tariff(form: Form, kind: str) -> int | None:
    """The figure for the kind: euros as cents, a percentage as basis points, or none."""
    typed = form.values["tariff"]
    if kind == TariffKind.amount_redeemed:
        if typed:
            form.error("tariff", _("Laat het tarief leeg: de gemeente betaalt het bedrag zelf."))
        return None
    if kind not in {k.value for k in TariffKind}:
        return None
    percent = kind == TariffKind.discount_reimbursed
    try:
        figure = parse_euros(typed.removesuffix("%").strip() if percent else typed)
    except ValueError:
        figure = -1
    if percent and not 1 <= figure <= agreements.MAX_BASIS_POINTS:
        form.error("tariff", _("Vul een percentage in van 0,01 tot en met 100, zoals 75."))
    elif not percent and not 0 <= figure <= agreements.MAX_CENTS:
        form.error("tariff", _("Vul een bedrag in euro in, zoals 2,50."))
    return figure


@blp.route("/<int:partner_id>/contracten/nieuw", methods=["GET", "POST"])
@require_role("partners.write")
@transactional
def new_contract(partner_id: int) -> ResponseReturnValue:
    """A contract: which scheme, at which locations, from when to when, at what tariff."""
    session = get_session()
    partner = partners.get_partner(session, partner_id)
    schemes = list(
        session.scalars(
            select(Scheme)
            .where(Scheme.active, Scheme.kind != SchemeKind.offer)
            .order_by(Scheme.name_nl)
        )
    )
    locations = active_locations(partner)
    form = Form(CONTRACT_FIELDS)
    chosen = request.form.getlist("location_ids")
    context = {
        "partner": partner,
        "schemes": [(s.code, scheme_name(s)) for s in schemes],
        "locations": [(loc.id, loc.name) for loc in locations],
        "chosen": chosen,
        "kinds": list(TARIFF_KIND_LABELS.items()),
    }
    if request.method == "GET":
        form.values["valid_from"] = show_day(today())
        return form.render("partner_admin/contract_form.html", 200, **context)

    code = choice(form, "scheme", [s.code for s in schemes], _("Kies een regeling."))
    # the domain refuses a location of another partner, or one that no longer takes part
    location_ids = [int(i) for i in chosen if i.isascii() and i.isdigit() and len(i) < 10]
    if not location_ids or len(location_ids) != len(chosen):
        form.error("location_ids", _("Kies minstens één locatie."))
    valid_from = form.day("valid_from", _("Vul de eerste dag van het contract in."), "01-01-2027")
    valid_to = None
    if form.values["valid_to"]:
        valid_to = form.day("valid_to", "", "31-12-2027")
    if valid_from and valid_to and valid_to < valid_from:
        form.error("valid_to", _("De laatste dag ligt voor de eerste dag."))
    kind = choice(form, "tariff_kind", TariffKind, _("Kies hoe de gemeente betaalt."))
    tariff = _tariff(form, kind)
    if form.errors:
        return form.render("partner_admin/contract_form.html", 400, **context)

    def work() -> Any:
        assert valid_from is not None  # noqa: S101 - checked above
        return agreements.create_contract(
            session, partner, scheme=next(s for s in schemes if s.code == code),
            location_ids=location_ids, valid_from=valid_from, valid_to=valid_to,
            tariff_kind=kind, tariff=tariff, actor=current_actor(),
        )  # fmt: skip

    overlaps = _(
        "Deze partner heeft in deze periode al een contract voor deze regeling op een van "
        "deze locaties. Laat het andere contract eerder eindigen, of kies andere dagen."
    )
    if attempt(form, work, refusals(form, "scheme", {ContractOverlaps: ("valid_from", overlaps)})):
        flash(_("Het contract is gemaakt."))
        return back(partner, "#contracten")
    return form.render("partner_admin/contract_form.html", 400, **context)


# -- an offer -----------------------------------------------------------------------------------


def _long_text(form: Form, name: str, missing: str | None) -> str | None:
    value = form.values[name]
    if not value:
        if missing:
            form.error(name, missing)
        return None
    if not is_plain(value, 2000, multiline=True):
        form.error(name, _("Gebruik hoogstens %(n)s gewone tekens.", n=2000))
    return value


@blp.route("/<int:partner_id>/aanbiedingen/nieuw", methods=["GET", "POST"])
@require_role("partners.write")
@transactional
def new_offer(partner_id: int) -> ResponseReturnValue:
    """The partner's own discount for every resident, in Dutch and English."""
    partner = partners.get_partner(get_session(), partner_id)
    form = Form(OFFER_FIELDS)
    if request.method == "GET":
        form.values["valid_from"] = show_day(today())
        return form.render("partner_admin/offer_form.html", 200, partner=partner)
    missing_nl = _("Vul de beschrijving in het Nederlands in.")
    missing_en = _("Vul de beschrijving in het Engels in.")
    first = form.day("valid_from", _("Vul de eerste dag van de aanbieding in."), "01-01-2027")
    data: dict[str, Any] = {
        "title_nl": form.text("title_nl", 200, _("Vul de titel in het Nederlands in.")),
        "title_en": form.text("title_en", 200, _("Vul de titel in het Engels in.")),
        "description_nl": _long_text(form, "description_nl", missing_nl),
        "description_en": _long_text(form, "description_en", missing_en),
        "conditions_nl": _long_text(form, "conditions_nl", None),
        "conditions_en": _long_text(form, "conditions_en", None),
        "valid_from": first,
        "valid_to": form.day("valid_to", "", "31-12-2027") if form.values["valid_to"] else None,
    }
    start, end = data["valid_from"], data["valid_to"]
    if isinstance(start, dt.date) and isinstance(end, dt.date) and end < start:
        form.error("valid_to", _("De laatste dag ligt voor de eerste dag."))
    if not form.errors:
        attempt(
            form,
            lambda: offers.create_offer(get_session(), partner, data, actor=current_actor()),
            refusals(form, "title_nl"),
        )
    if form.errors:
        return form.render("partner_admin/offer_form.html", 400, partner=partner)
    flash(_("De aanbieding %(title)s is toegevoegd.", title=data["title_nl"]))
    return back(partner, "#aanbiedingen")
