"""The partner API: scan a pass, redeem, list and reverse redemptions (docs/redemption.md).

Every view runs for a partner's device or user only (``@require_partner``) and sees only that
partner's data. Changes of money carry an ``Idempotency-Key`` (``@idempotent``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app
from flask_babel import gettext
from sqlalchemy import Select, select

from almerepas.contracts.models import Location
from almerepas.core import clock
from almerepas.core.paging import paginate
from almerepas.core.session import get_keys, get_session, transactional
from almerepas.grants.models import Grant
from almerepas.http.api_doc import PAGE_HEADERS
from almerepas.http.metrics import count_redemption
from almerepas.http.pagination import link_header
from almerepas.http.rest import Blueprint
from almerepas.http.words import english, quantity
from almerepas.partners import schemas
from almerepas.partners.auth import Principal, require_partner
from almerepas.partners.idempotency import idempotent
from almerepas.redemptions import at_partner
from almerepas.redemptions.models import Redemption, Ride
from almerepas.redemptions.scan import scan_pass
from almerepas.schemes.models import Scheme, SchemeKind

blp = Blueprint(
    "partner", __name__, description="Voor partners: scannen, afschrijven, terugdraaien"
)


@blp.route("/partner/me", operation_id="getOwnPartner")
@transactional
@require_partner()
@blp.response(200, schemas.MeSchema)
def me(principal: Principal) -> dict[str, Any]:
    """Wie u bent voor de stadspas: de partner, de locatie van dit apparaat, uw rol."""
    location = principal.location
    return {
        "partner": {"id": principal.partner.id, "name": principal.partner.name},
        "location": {"id": location.id, "name": location.name} if location else None,
        "role": principal.user.role.value if principal.user else "device",
    }


@blp.route("/partner/scans", methods=["POST"], operation_id="createScan")
@transactional
@require_partner()
@blp.arguments(schemas.ScanInSchema())
@blp.response(201, schemas.ScanOutSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def scan(principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
    """Controleer een pas: geldig, en wat de houder hier mag gebruiken en hoeveel er over is.

    Het antwoord noemt niets anders: geen inkomen, leeftijd, adres of andere regelingen.
    """
    location = principal.location_for(body.get("location_id"))
    outcome = scan_pass(
        get_session(),
        partner=principal.partner,
        location=location,
        device=principal.device,
        code=body.get("code"),
        pass_number=body.get("pass_number"),
        now=clock.now(),
        keys=get_keys(),
    )
    return {
        "valid": True,
        "message": gettext("Geldige %(pass_name)s"),
        "scan_reference": outcome.scan.reference,
        "expires_at": outcome.scan.expires_at,
        "entitlements": [
            {
                "scheme": r.scheme_code,
                "name": r.name_en if english() else r.name_nl,
                "kind": r.kind.value,
                "unit": r.unit,
                "left": r.left,
                "discount_percent": r.discount_percent,
            }
            for r in outcome.redeemables
        ],
        "offers": [
            {
                "title": o.title_en if english() else o.title_nl,
                "conditions": o.conditions_en if english() else o.conditions_nl,
            }
            for o in outcome.offers
        ],
    }


def _quantity(body: dict[str, Any]) -> tuple[int, str | None]:
    """The number sent and the field it came in; a ride sends none (one ride)."""
    for field in ("amount", "units", "basket_amount"):
        if field in body:
            return int(body[field]), field
    return 1, None


@blp.route("/partner/redemptions", methods=["POST"], operation_id="createRedemption")
@transactional
@require_partner()
@idempotent
@blp.arguments(schemas.RedeemInSchema())
@blp.response(201, schemas.PartnerRedemptionSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def redeem(principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
    """Schrijf af na een scan: een bedrag (budget), stuks (aantal), boodschappen (korting) of
    een rit (recht). Met een Idempotency-Key: hetzelfde verzoek nog eens schrijft niets af."""
    location = principal.location_for(body.get("location_id"))
    session = get_session()
    quantity, given = _quantity(body)
    done = at_partner.redeem_scanned(
        session,
        partner=principal.partner,
        location=location,
        reference=body["scan_reference"],
        scheme_code=body["scheme"],
        quantity=quantity,
        given=given,
        now=clock.now(),
        actor=principal.actor,
    )
    count_redemption()
    if isinstance(done, Ride):
        return _ride_out(done, body["scheme"], location)
    return _redemption_out(done, left=at_partner.left_after(done))


def _window() -> dt.timedelta:
    return dt.timedelta(days=int(current_app.config["REVERSAL_DAYS"]))


def _redemption_out(redemption: Redemption, *, left: int | None = None) -> dict[str, Any]:
    scheme = redemption.grant.scheme
    location = redemption.location
    taken = quantity(redemption.amount, scheme.unit)
    return {
        "type": "redemption",
        "id": redemption.id,
        "scheme": scheme.code,
        "kind": scheme.kind.value,
        "amount": redemption.amount,
        "reversed": redemption.reversed,
        "basket_amount": redemption.basket_amount,
        "left": left,
        "location": {"id": location.id, "name": location.name} if location else None,
        "created_at": redemption.created_at,
        "reversible_until": redemption.created_at + _window(),
        "message": gettext("%(amount)s afgeschreven", amount=taken),
    }


def _ride_out(ride: Ride, scheme_code: str, location: Location) -> dict[str, Any]:
    return {
        "type": "ride",
        "id": ride.id,
        "scheme": scheme_code,
        "kind": SchemeKind.right.value,
        "amount": 1,
        "reversed": 0,
        "basket_amount": None,
        "left": None,
        "location": {"id": location.id, "name": location.name},
        "created_at": ride.ridden_at,
        "reversible_until": None,
        "message": gettext("Rit geregistreerd"),
    }


def redemptions_query(principal: Principal, filters: dict[str, Any]) -> Select[Any]:
    """The partner's own redemptions, newest first, filtered by day, location and scheme."""
    query = select(Redemption).where(Redemption.partner_id == principal.partner.id)
    if principal.location is not None:  # a device sees what happened at its own location
        query = query.where(Redemption.location_id == principal.location.id)
    if (start := filters.get("start")) is not None:
        query = query.where(Redemption.created_at >= clock.local_moment(start))
    if (end := filters.get("end")) is not None:
        query = query.where(Redemption.created_at < clock.local_moment(end + dt.timedelta(days=1)))
    if (location_id := filters.get("location_id")) is not None:
        query = query.where(Redemption.location_id == location_id)
    if (code := filters.get("scheme")) is not None:
        query = (
            query.join(Grant, Grant.id == Redemption.grant_id)
            .join(Scheme, Scheme.id == Grant.scheme_id)
            .where(Scheme.code == code)
        )
    return query.order_by(Redemption.created_at.desc(), Redemption.id.desc())


@blp.route("/partner/redemptions", operation_id="listOwnRedemptions")
@transactional
@require_partner()
@blp.arguments(schemas.RedemptionQuerySchema, location="query", as_kwargs=True)
@blp.response(200, schemas.RedemptionPageSchema, headers=PAGE_HEADERS)
def list_redemptions(
    principal: Principal, page: int, page_size: int, **filters: Any
) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Uw eigen afschrijvingen, de nieuwste eerst, te filteren op dag, locatie en regeling."""
    result = paginate(
        get_session(), redemptions_query(principal, filters), page=page, page_size=page_size
    )
    body = {
        "items": [_redemption_out(r) for r in result.items],
        "page": result.page,
        "page_size": result.page_size,
        "total": result.total,
    }
    return body, 200, {"Link": link_header(result)}


@blp.route(
    "/partner/redemptions/<int:redemption_id>/reversals",
    methods=["POST"],
    operation_id="createReversal",
)
@transactional
@require_partner()
@idempotent
@blp.arguments(schemas.ReversalInSchema)
@blp.response(201, schemas.PartnerReversalSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def reverse(principal: Principal, body: dict[str, Any], redemption_id: int) -> dict[str, Any]:
    """Draai een afschrijving terug, helemaal of voor een deel, binnen de termijn."""
    redemption, entry = at_partner.reverse_at_partner(
        get_session(),
        partner=principal.partner,
        redemption_id=redemption_id,
        amount=body.get("amount"),
        location=principal.location,
        now=clock.now(),
        actor=principal.actor,
        window_days=int(current_app.config["REVERSAL_DAYS"]),
    )
    given = sum(t.amount for t in entry.transfers) if entry.transfers else 0
    to_grant = any(t.credit_account_id == redemption.grant.account_id for t in entry.transfers)
    return {
        "redemption_id": redemption.id,
        "amount": given,
        "left_to_reverse": redemption.amount - redemption.reversed,
        "to": "grant" if to_grant else "scheme",
        "message": gettext(
            "%(amount)s teruggezet", amount=quantity(given, redemption.grant.scheme.unit)
        ),
    }
