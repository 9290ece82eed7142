"""Offers: a partner's own discount for every resident, the basic Stadspas catalogue.

An offer needs no contract and is never settled: the partner gives it at its own cost.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import Date, Select, Table, bindparam, select
from sqlalchemy.orm import Session

from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.contracts.errors import InvalidOffer, field_error
from almerepas.contracts.models import Offer, Partner
from almerepas.contracts.partners import require_active
from almerepas.core.errors import NotFound
from almerepas.core.inserted import columns_of, loaded
from almerepas.core.text import is_plain

OFFER_FIELDS = (
    "title_nl",
    "title_en",
    "description_nl",
    "description_en",
    "conditions_nl",
    "conditions_en",
    "valid_from",
    "valid_to",
)


def _snapshot(offer: Offer) -> dict[str, Any]:
    values = {name: getattr(offer, name) for name in OFFER_FIELDS}
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in values.items()}


def _text(data: Mapping[str, Any], field: str, max_length: int, *, required: bool) -> str | None:
    value = data.get(field)
    if value is None and not required:
        return None
    multiline = not field.startswith("title")
    if (
        not isinstance(value, str)
        or not value.strip()
        or not is_plain(value.strip(), max_length, multiline=multiline)
    ):
        detail = f"Vul een tekst in van hoogstens {max_length} tekens."
        raise InvalidOffer(detail, **field_error(field, detail))
    return value.strip()


def get_offer(session: Session, partner: Partner, offer_id: int) -> Offer:
    offer = session.get(Offer, offer_id)
    if offer is None or offer.partner_id != partner.id:
        raise NotFound(detail=f"Deze partner heeft geen aanbieding met nummer {offer_id}.")
    return offer


def create_offer(
    session: Session, partner: Partner, data: Mapping[str, Any], *, actor: Actor
) -> Offer:
    """A new offer: titles and descriptions in Dutch and English, conditions, validity."""
    require_active(partner)
    valid_from = data.get("valid_from")
    valid_to = data.get("valid_to")
    if not isinstance(valid_from, dt.date):
        detail = "Vul een begindatum in."
        raise InvalidOffer(detail, **field_error("valid_from", detail))
    if valid_to is not None and (not isinstance(valid_to, dt.date) or valid_to < valid_from):
        detail = "De einddatum ligt voor de begindatum."
        raise InvalidOffer(detail, **field_error("valid_to", detail))
    offer = Offer(
        partner=partner,
        title_nl=_text(data, "title_nl", 200, required=True),
        title_en=_text(data, "title_en", 200, required=True),
        description_nl=_text(data, "description_nl", 2000, required=True),
        description_en=_text(data, "description_en", 2000, required=True),
        conditions_nl=_text(data, "conditions_nl", 2000, required=False),
        conditions_en=_text(data, "conditions_en", 2000, required=False),
        valid_from=valid_from,
        valid_to=valid_to,
    )
    session.add(offer)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="offer.create",
        entity_type="offer",
        entity_id=offer.id,
        changes={"partner_id": [None, partner.id], **audit.changes_between({}, _snapshot(offer))},
    )
    return offer


def end_offer(session: Session, offer: Offer, valid_to: dt.date, *, actor: Actor) -> Offer:
    """The offer's last day; an offer only ever ends sooner."""
    if valid_to < offer.valid_from or (offer.valid_to is not None and valid_to > offer.valid_to):
        detail = "Kies een einddatum tussen de begindatum en de huidige einddatum."
        raise InvalidOffer(detail, **field_error("valid_to", detail))
    before = _snapshot(offer)
    offer.valid_to = valid_to
    session.flush()
    changes = audit.changes_between(before, _snapshot(offer))
    if changes:
        audit.record(
            session,
            actor=actor,
            action="offer.end",
            entity_type="offer",
            entity_id=offer.id,
            changes=changes,
        )
    return offer


def current_offers(session: Session, day: dt.date) -> list[Offer]:
    """The offers valid on ``day`` of partners that take part, by partner name, then title."""
    return list(
        session.scalars(
            select(Offer)
            .join(Partner, Partner.id == Offer.partner_id)
            .where(
                Partner.active,
                Offer.valid_from <= day,
                (Offer.valid_to.is_(None)) | (Offer.valid_to >= day),
            )
            .order_by(Partner.name, Offer.title_nl, Offer.id)
        )
    )


def partner_offers(session: Session, partner_id: int, day: dt.date) -> list[Offer]:
    """One partner's offers valid on ``day`` (none when it does not take part), by title: what
    current_offers gives of it, read with one statement built once (every scan asks)."""
    session.flush()  # a Core read: what the caller changed counts, as with the ORM's autoflush
    rows = session.connection().execute(_partner_offers(), {"partner_id": partner_id, "day": day})
    return [loaded(session, Offer, row, "o_") for row in rows.mappings()]


@functools.cache
def _partner_offers() -> Select[Any]:
    """partner_offers' query on plain columns (``loaded`` makes the objects), built once."""
    offers, partners = cast(Table, Offer.__table__), cast(Table, Partner.__table__)
    day = bindparam("day", type_=Date)
    return (
        select(*columns_of(offers, Offer, "o_"))
        .join_from(offers, partners, partners.c.id == offers.c.partner_id)
        .where(
            offers.c.partner_id == bindparam("partner_id"),
            partners.c.active,
            offers.c.valid_from <= day,
            (offers.c.valid_to.is_(None)) | (offers.c.valid_to >= day),
        )
        .order_by(partners.c.name, offers.c.title_nl, offers.c.id)
    )
