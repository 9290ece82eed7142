"""Partners for staff, as pages: the list, one partner with everything it has, and the buttons
that end something (deactivate a partner, revoke a device). The forms that make or change a
partner and its parts are in almerepas.web.partner_admin_forms, on the same blueprint.

They do what the staff API in almerepas.api.partners does, for people: plain HTML without
JavaScript, the same domain operations in almerepas.contracts, which check every change and write
its audit row. ``partners.read`` (administrator, finance, policy, auditor) sees; only
``partners.write`` (administrator) gets the forms and buttons.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from almerepas.contracts import devices, partners
from almerepas.contracts.models import (
    Contract,
    Device,
    Location,
    LocationKind,
    Offer,
    Partner,
    PartnerRole,
    PartnerUser,
    PayoutMethod,
    TariffKind,
)
from almerepas.core.money import format_cents
from almerepas.core.session import get_session, transactional
from almerepas.http.guard import current_actor, require_role
from almerepas.http.reasons import format_percentage
from almerepas.web.caseworker import may, show_day, when

blp = Blueprint("partner_pages", __name__, url_prefix="/medewerkers/partners")

LOCATION_KIND_LABELS = {
    LocationKind.sport: _l("Sport"),
    LocationKind.culture: _l("Cultuur"),
    LocationKind.shop: _l("Winkel"),
    LocationKind.transport: _l("Vervoer"),
    LocationKind.other: _l("Iets anders"),
}
PAYOUT_LABELS = {
    PayoutMethod.sepa: _l("SEPA-overboeking"),
    PayoutMethod.stripe: _l("Stripe"),
}
PARTNER_ROLE_LABELS = {
    PartnerRole.cashier: _l("Kassamedewerker"),
    PartnerRole.manager: _l("Leidinggevende"),
}
TARIFF_KIND_LABELS = {
    TariffKind.amount_redeemed: _l("Het bedrag dat is afgeschreven (geen tarief invullen)"),
    TariffKind.per_unit: _l("Een bedrag per eenheid, zoals een pak (tarief in euro)"),
    TariffKind.per_ride: _l("Een bedrag per rit (tarief in euro)"),
    TariffKind.flat_per_holder_month: _l(
        "Een vast bedrag per pashouder per maand (tarief in euro)"
    ),
    TariffKind.discount_reimbursed: _l("Een deel van de gegeven korting (tarief in procent)"),
}


def init_app(app: Flask) -> None:
    app.register_blueprint(blp)


@blp.after_request
def _no_store(response: Response) -> Response:
    """Bank accounts, device keys and second factors must not stay behind in a cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "may": may,
        "when": when,
        "day": show_day,
        "tariff_text": tariff_text,
        "location_kind_label": lambda v: LOCATION_KIND_LABELS.get(LocationKind(v), v),
        "payout_label": lambda v: PAYOUT_LABELS.get(PayoutMethod(v), v),
        "partner_role_label": lambda v: PARTNER_ROLE_LABELS.get(PartnerRole(v), v),
        "grouped_iban": grouped_iban,
    }


def tariff_text(contract: Contract) -> str:
    """What the gemeente pays, in words: "€ 2,50 per rit", "75% van de gegeven korting"."""
    figure = contract.tariff or 0
    match contract.tariff_kind:
        case TariffKind.amount_redeemed:
            return str(_("het bedrag dat is afgeschreven"))
        case TariffKind.per_unit:
            return str(_("%(amount)s per eenheid", amount=format_cents(figure)))
        case TariffKind.per_ride:
            return str(_("%(amount)s per rit", amount=format_cents(figure)))
        case TariffKind.flat_per_holder_month:
            return str(_("%(amount)s per pashouder per maand", amount=format_cents(figure)))
        case TariffKind.discount_reimbursed:
            return str(_("%(share)s van de gegeven korting", share=format_percentage(figure)))
    return str(figure)  # pragma: no cover - every kind is matched above


def grouped_iban(iban: str) -> str:
    """An IBAN as people read it: NL91 ABNA 0417 1643 00."""
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


# -- the list -----------------------------------------------------------------------------------


def _counts(model: type[Location] | type[Contract]) -> dict[int, int]:
    query = select(model.partner_id, func.count()).group_by(model.partner_id)
    return {partner_id: count for partner_id, count in get_session().execute(query)}


@blp.route("")
@require_role("partners.read")
@transactional
def list_partners() -> str:
    """Every partner by name: KvK number, whether it takes part, its locations and contracts."""
    session = get_session()
    found = list(session.scalars(select(Partner).order_by(Partner.name, Partner.id)))
    return render_template(
        "partner_admin/list.html",
        partners=found,
        locations=_counts(Location),
        contracts=_counts(Contract),
    )


# -- one partner --------------------------------------------------------------------------------


def partner_parts(partner: Partner) -> dict[str, Any]:
    """Everything a partner has, each kind in one query."""
    session = get_session()
    of = partner.id
    return {
        "locations": list(
            session.scalars(select(Location).where(Location.partner_id == of).order_by(Location.id))
        ),
        "contracts": list(
            session.scalars(
                select(Contract)
                .where(Contract.partner_id == of)
                .options(selectinload(Contract.locations), selectinload(Contract.scheme))
                .order_by(Contract.valid_from, Contract.id)
            )
        ),
        "users": list(
            session.scalars(
                select(PartnerUser).where(PartnerUser.partner_id == of).order_by(PartnerUser.id)
            )
        ),
        "devices": list(
            session.scalars(
                select(Device)
                .where(Device.partner_id == of)
                .options(selectinload(Device.location))
                .order_by(Device.id)
            )
        ),
        "offers": list(
            session.scalars(
                select(Offer).where(Offer.partner_id == of).order_by(Offer.valid_from, Offer.id)
            )
        ),
    }


@blp.route("/<int:partner_id>")
@require_role("partners.read")
@transactional
def partner_page(partner_id: int) -> str:
    """One partner: its details, locations, contracts, users, devices and offers."""
    partner = partners.get_partner(get_session(), partner_id)
    return render_template("partner_admin/partner.html", partner=partner, **partner_parts(partner))


# -- ending things ------------------------------------------------------------------------------


@blp.route("/<int:partner_id>/deactiveren", methods=["GET", "POST"])
@require_role("partners.write")
@transactional
def deactivate(partner_id: int) -> ResponseReturnValue:
    """Ask first what deactivating means; the confirmed POST stops the partner taking part."""
    session = get_session()
    partner = partners.get_partner(session, partner_id)
    if request.method == "GET" or not partner.active:
        return render_template("partner_admin/deactivate.html", partner=partner)
    partners.deactivate_partner(session, partner, actor=current_actor())
    flash(_("%(name)s doet niet meer mee. De apparaten werken niet meer.", name=partner.name))
    return redirect(url_for("partner_pages.partner_page", partner_id=partner.id), 303)


@blp.route("/<int:partner_id>/apparaten/<int:device_id>/intrekken", methods=["POST"])
@require_role("partners.write")
@transactional
def revoke_device(partner_id: int, device_id: int) -> ResponseReturnValue:
    """Withdraw a device's key: it stops working at once."""
    session = get_session()
    device = devices.get_device(session, partners.get_partner(session, partner_id), device_id)
    devices.revoke_device(session, device, actor=current_actor())
    flash(_("De sleutel van apparaat %(name)s is ingetrokken. Hij werkt niet meer.",
            name=device.name))  # fmt: skip
    return redirect(
        url_for("partner_pages.partner_page", partner_id=partner_id) + "#apparaten", 303
    )
