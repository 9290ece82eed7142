"""Partners and their locations: create, change, deactivate; every change audited.

Domain operations: they take the session, flush and never commit; the actor is a parameter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.contracts.errors import (
    InvalidBic,
    InvalidIban,
    InvalidKvkNumber,
    InvalidLocation,
    InvalidPartner,
    KvkNumberTaken,
    PartnerInactive,
    field_error,
)
from almerepas.contracts.models import Location, LocationKind, Partner, PayoutMethod
from almerepas.core.errors import NotFound
from almerepas.core.text import is_plain
from almerepas.households.members import normalise_postcode

KVK_NUMBER = re.compile(r"[0-9]{8}")
PARTNER_FIELDS = (
    "name", "kvk_number", "iban", "bic", "payout_method", "stripe_account", "active"
)  # fmt: skip
#: Stripe's connected-account ids: ``acct_`` and letters and digits
STRIPE_ACCOUNT = re.compile(r"acct_[A-Za-z0-9]{6,58}")
LOCATION_FIELDS = ("name", "street", "house_number", "postcode", "kind", "active")


def _plain(value: Any) -> Any:
    return getattr(value, "value", value)


def _snapshot(row: Partner | Location, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: _plain(getattr(row, name)) for name in names}


def _text(
    value: Any, field: str, max_length: int, error: type[InvalidPartner | InvalidLocation]
) -> str:
    if not isinstance(value, str) or not value.strip() or not is_plain(value.strip(), max_length):
        detail = f"Vul een tekst in van hoogstens {max_length} tekens."
        raise error(detail, **field_error(field, detail))
    return value.strip()


def check_kvk_number(raw: Any) -> str:
    """A KvK number: 8 digits (spaces and dots as people type them are dropped), not all zero."""
    value = re.sub(r"[ .]", "", raw) if isinstance(raw, str) else ""
    if not KVK_NUMBER.fullmatch(value) or value == "00000000":
        detail = "Een KvK-nummer heeft 8 cijfers, zoals 12345678."
        raise InvalidKvkNumber(detail, **field_error("kvk_number", detail))
    return value


def check_iban(raw: Any) -> str:
    """The IBAN in its compact form, checked by schwifty (country, length, check digits)."""
    try:
        if not isinstance(raw, str) or len(raw) > 50:
            raise ValueError
        return str(IBAN(raw).compact)
    except (SchwiftyException, ValueError):
        detail = "Dit IBAN klopt niet. Controleer het nummer, zoals NL91 ABNA 0417 1643 00."
        raise InvalidIban(detail, **field_error("iban", detail)) from None


def check_bic(raw: Any) -> str | None:
    if raw is None or raw == "":
        return None
    try:
        if not isinstance(raw, str) or len(raw) > 20:
            raise ValueError
        return str(BIC(raw).compact)
    except (SchwiftyException, ValueError):
        detail = "Deze BIC klopt niet: 8 of 11 tekens, zoals ABNANL2A."
        raise InvalidBic(detail, **field_error("bic", detail)) from None


def _partner_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """The checked values of the partner fields present in ``data``."""
    values: dict[str, Any] = {}
    if "name" in data:
        values["name"] = _text(data["name"], "name", 200, InvalidPartner)
    if "kvk_number" in data:
        values["kvk_number"] = check_kvk_number(data["kvk_number"])
    if "iban" in data:
        values["iban"] = check_iban(data["iban"])
    if "bic" in data:
        values["bic"] = check_bic(data["bic"])
    if "payout_method" in data:
        try:
            values["payout_method"] = PayoutMethod(data["payout_method"])
        except ValueError:
            detail = "Kies sepa of stripe."
            raise InvalidPartner(detail, **field_error("payout_method", detail)) from None
    if "stripe_account" in data:
        values["stripe_account"] = check_stripe_account(data["stripe_account"])
    if "active" in data:
        values["active"] = bool(data["active"])
    return values


def check_stripe_account(raw: Any) -> str | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or not STRIPE_ACCOUNT.fullmatch(raw.strip()):
        detail = "Dit Stripe-account klopt niet: het begint met acct_, zoals acct_1Nv0FGQ9RK."
        raise InvalidPartner(detail, **field_error("stripe_account", detail))
    return raw.strip()


def _refuse_taken_kvk(session: Session, kvk_number: str, partner_id: int | None) -> None:
    other = session.scalar(select(Partner.id).where(Partner.kvk_number == kvk_number))
    if other is not None and other != partner_id:
        raise KvkNumberTaken(**field_error("kvk_number", "Er is al een partner met dit nummer."))


def get_partner(session: Session, partner_id: int) -> Partner:
    partner = session.get(Partner, partner_id)
    if partner is None:
        raise NotFound(detail=f"Er is geen partner met nummer {partner_id}.")
    return partner


def create_partner(session: Session, data: Mapping[str, Any], *, actor: Actor) -> Partner:
    """A new partner from name, KvK number, IBAN, BIC (optional) and payout method."""
    missing = [f for f in ("name", "kvk_number", "iban", "payout_method") if f not in data]
    if missing:
        detail = "Dit veld is verplicht."
        raise InvalidPartner(errors=[{"field": f, "in": "json", "detail": detail} for f in missing])
    values = _partner_values(data)
    values.setdefault("active", True)
    _refuse_taken_kvk(session, values["kvk_number"], None)
    partner = Partner(**values)
    session.add(partner)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="partner.create",
        entity_type="partner",
        entity_id=partner.id,
        changes=audit.changes_between({}, _snapshot(partner, PARTNER_FIELDS)),
    )
    return partner


def update_partner(
    session: Session, partner: Partner, data: Mapping[str, Any], *, actor: Actor
) -> Partner:
    """Change the fields in ``data``; ``active: false`` deactivates (see deactivate_partner)."""
    values = _partner_values(data)
    if "kvk_number" in values:
        _refuse_taken_kvk(session, values["kvk_number"], partner.id)
    before = _snapshot(partner, PARTNER_FIELDS)
    for name, value in values.items():
        setattr(partner, name, value)
    session.flush()
    changes = audit.changes_between(before, _snapshot(partner, PARTNER_FIELDS))
    if changes:
        audit.record(
            session,
            actor=actor,
            action="partner.update",
            entity_type="partner",
            entity_id=partner.id,
            changes=changes,
        )
    return partner


def deactivate_partner(session: Session, partner: Partner, *, actor: Actor) -> Partner:
    """The partner stops taking part: its devices no longer authenticate; its history stays."""
    return update_partner(session, partner, {"active": False}, actor=actor)


def require_active(partner: Partner) -> None:
    if not partner.active:
        raise PartnerInactive()


def _location_values(data: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "name" in data:
        values["name"] = _text(data["name"], "name", 200, InvalidLocation)
    if "street" in data:
        values["street"] = _text(data["street"], "street", 200, InvalidLocation)
    if "house_number" in data:
        values["house_number"] = _text(data["house_number"], "house_number", 20, InvalidLocation)
    if "postcode" in data:
        values["postcode"] = normalise_postcode(
            data["postcode"] if isinstance(data["postcode"], str) else ""
        )
    if "kind" in data:
        try:
            values["kind"] = LocationKind(data["kind"])
        except ValueError:
            detail = "Kies een soort: " + ", ".join(k.value for k in LocationKind) + "."
            raise InvalidLocation(detail, **field_error("kind", detail)) from None
    if "active" in data:
        values["active"] = bool(data["active"])
    return values


def get_location(session: Session, partner: Partner, location_id: int) -> Location:
    location = session.get(Location, location_id)
    if location is None or location.partner_id != partner.id:
        raise NotFound(detail=f"Deze partner heeft geen locatie met nummer {location_id}.")
    return location


def add_location(
    session: Session, partner: Partner, data: Mapping[str, Any], *, actor: Actor
) -> Location:
    """A new location of ``partner``: name, street, house number, postcode and kind."""
    require_active(partner)
    missing = [f for f in ("name", "street", "house_number", "postcode", "kind") if f not in data]
    if missing:
        raise InvalidLocation(
            errors=[{"field": f, "in": "json", "detail": "Dit veld is verplicht."} for f in missing]
        )
    values = _location_values(data)
    values.setdefault("active", True)
    location = Location(partner=partner, **values)
    session.add(location)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="partner.location_add",
        entity_type="partner_location",
        entity_id=location.id,
        changes={
            "partner_id": [None, partner.id],
            **audit.changes_between({}, _snapshot(location, LOCATION_FIELDS)),
        },
    )
    return location


def update_location(
    session: Session, location: Location, data: Mapping[str, Any], *, actor: Actor
) -> Location:
    values = _location_values(data)
    before = _snapshot(location, LOCATION_FIELDS)
    for name, value in values.items():
        setattr(location, name, value)
    session.flush()
    changes = audit.changes_between(before, _snapshot(location, LOCATION_FIELDS))
    if changes:
        audit.record(
            session,
            actor=actor,
            action="partner.location_update",
            entity_type="partner_location",
            entity_id=location.id,
            changes=changes,
        )
    return location
