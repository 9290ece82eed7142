"""Contracts: which scheme a partner redeems, at which of its locations, when, at what tariff.

One partner has at most one contract for one scheme at one location on any day: a redemption
must find one tariff, never two. The partner's row is locked while a contract is made, so two
requests at once cannot both pass the overlap check.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload

from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.contracts.errors import (
    ContractOverlaps,
    InvalidContract,
    LocationOfAnotherPartner,
    SchemeNotContractable,
    field_error,
)
from almerepas.contracts.models import Contract, Location, Partner, TariffKind, contract_location
from almerepas.contracts.partners import require_active
from almerepas.core.errors import NotFound
from almerepas.schemes.models import Scheme, SchemeKind

#: basis points: 10000 reimburses the whole discount
MAX_BASIS_POINTS = 10_000
MAX_CENTS = 10**9


def _snapshot(contract: Contract) -> dict[str, Any]:
    return {
        "partner_id": contract.partner_id,
        "scheme": contract.scheme.code,
        "locations": [loc.id for loc in contract.locations],
        "valid_from": contract.valid_from.isoformat(),
        "valid_to": None if contract.valid_to is None else contract.valid_to.isoformat(),
        "tariff_kind": contract.tariff_kind.value,
        "tariff": contract.tariff,
    }


def check_tariff(kind: TariffKind, tariff: int | None) -> int | None:
    """The tariff figure the kind needs: none for amount_redeemed, cents or basis points else."""
    if kind is TariffKind.amount_redeemed:
        if tariff is not None:
            detail = (
                "Bij amount_redeemed betaalt de gemeente het bedrag zelf: laat het tarief leeg."
            )
            raise InvalidContract(detail, **field_error("tariff", detail))
        return None
    upper = MAX_BASIS_POINTS if kind is TariffKind.discount_reimbursed else MAX_CENTS
    lower = 1 if kind is TariffKind.discount_reimbursed else 0
    if isinstance(tariff, bool) or not isinstance(tariff, int) or not lower <= tariff <= upper:
        detail = (
            "Vul het deel van de korting in basispunten in: 1 tot en met 10000."
            if kind is TariffKind.discount_reimbursed
            else "Vul het tarief in hele centen in."
        )
        raise InvalidContract(detail, **field_error("tariff", detail))
    return tariff


def get_contract(session: Session, partner: Partner, contract_id: int) -> Contract:
    contract = session.get(Contract, contract_id)
    if contract is None or contract.partner_id != partner.id:
        raise NotFound(detail=f"Deze partner heeft geen contract met nummer {contract_id}.")
    return contract


def _overlapping(
    session: Session,
    partner: Partner,
    scheme: Scheme,
    location_ids: Sequence[int],
    valid_from: dt.date,
    valid_to: dt.date | None,
    *,
    besides: int | None = None,
) -> Contract | None:
    query = (
        select(Contract)
        .join(contract_location, contract_location.c.contract_id == Contract.id)
        .where(
            Contract.partner_id == partner.id,
            Contract.scheme_id == scheme.id,
            contract_location.c.location_id.in_(location_ids),
            (Contract.valid_to.is_(None)) | (Contract.valid_to >= valid_from),
        )
        .limit(1)
    )
    if valid_to is not None:
        query = query.where(Contract.valid_from <= valid_to)
    if besides is not None:
        query = query.where(Contract.id != besides)
    return session.scalars(query).first()


def create_contract(
    session: Session,
    partner: Partner,
    *,
    scheme: Scheme,
    location_ids: Sequence[int],
    valid_from: dt.date,
    valid_to: dt.date | None,
    tariff_kind: TariffKind | str,
    tariff: int | None,
    actor: Actor,
) -> Contract:
    """A contract of ``partner`` for ``scheme`` at some of its own locations."""
    # Lock the partner: contracts of one partner are made one after the other (PostgreSQL;
    # SQLite serialises writers anyway), so the overlap check below sees every other one.
    session.execute(select(Partner.id).where(Partner.id == partner.id).with_for_update())
    require_active(partner)
    if scheme.kind is SchemeKind.offer:
        raise SchemeNotContractable(
            "Een aanbieding voor iedereen heeft geen contract nodig: de partner betaalt haar zelf.",
            **field_error("scheme", "Regeling voor aanbiedingen."),
        )
    if not scheme.active:
        raise SchemeNotContractable(
            "Deze regeling staat uit.", **field_error("scheme", "Regeling staat uit.")
        )
    try:
        kind = TariffKind(tariff_kind)
    except ValueError:
        detail = "Kies een soort tarief: " + ", ".join(k.value for k in TariffKind) + "."
        raise InvalidContract(detail, **field_error("tariff_kind", detail)) from None
    figure = check_tariff(kind, tariff)
    if valid_to is not None and valid_to < valid_from:
        detail = "De einddatum ligt voor de begindatum."
        raise InvalidContract(detail, **field_error("valid_to", detail))
    ids = sorted(set(location_ids))
    if not ids:
        detail = "Kies minstens een locatie."
        raise InvalidContract(detail, **field_error("location_ids", detail))
    locations = list(session.scalars(select(Location).where(Location.id.in_(ids))))
    if len(locations) != len(ids) or any(loc.partner_id != partner.id for loc in locations):
        raise LocationOfAnotherPartner(
            **field_error("location_ids", "Kies alleen locaties van deze partner.")
        )
    if any(not loc.active for loc in locations):
        detail = "Een van deze locaties doet niet meer mee."
        raise InvalidContract(detail, **field_error("location_ids", detail))
    if _overlapping(session, partner, scheme, ids, valid_from, valid_to) is not None:
        raise ContractOverlaps()
    contract = Contract(
        partner=partner,
        scheme=scheme,
        valid_from=valid_from,
        valid_to=valid_to,
        tariff_kind=kind,
        tariff=figure,
        locations=sorted(locations, key=lambda loc: loc.id),
    )
    session.add(contract)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="contract.create",
        entity_type="contract",
        entity_id=contract.id,
        changes=audit.changes_between({}, _snapshot(contract)),
    )
    return contract


def end_contract(
    session: Session, contract: Contract, valid_to: dt.date, *, actor: Actor
) -> Contract:
    """End a contract on ``valid_to`` (its last day). A contract only ever ends sooner."""
    if valid_to < contract.valid_from:
        detail = "Een contract kan niet eindigen voor het begint."
        raise InvalidContract(detail, **field_error("valid_to", detail))
    if contract.valid_to is not None and valid_to > contract.valid_to:
        detail = "Een contract verlengen kan niet: maak een nieuw contract."
        raise InvalidContract(detail, **field_error("valid_to", detail))
    before = _snapshot(contract)
    contract.valid_to = valid_to
    session.flush()
    changes = audit.changes_between(before, _snapshot(contract))
    if changes:
        audit.record(
            session,
            actor=actor,
            action="contract.end",
            entity_type="contract",
            entity_id=contract.id,
            changes=changes,
        )
    return contract


def contracts_of(session: Session, partner: Partner) -> list[Contract]:
    return list(
        session.scalars(
            select(Contract)
            .where(Contract.partner_id == partner.id)
            .order_by(Contract.valid_from, Contract.id)
        )
    )


def describe(contract: Contract) -> Mapping[str, Any]:
    """What the API shows of a contract."""
    return {
        "id": contract.id,
        "scheme": contract.scheme.code,
        "location_ids": [loc.id for loc in contract.locations],
        "valid_from": contract.valid_from,
        "valid_to": contract.valid_to,
        "tariff_kind": contract.tariff_kind,
        "tariff": contract.tariff,
    }


def locations_for_schemes(
    session: Session, scheme_ids: Iterable[int], day: dt.date
) -> dict[int, list[Location]]:
    """Where each scheme can be used on ``day``: the active locations of active partners under
    a contract that runs that day, by scheme id, each list by partner and location name."""
    ids = sorted(set(scheme_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(Contract.scheme_id, Location)
        .join(contract_location, contract_location.c.contract_id == Contract.id)
        .join(Location, Location.id == contract_location.c.location_id)
        .join(Partner, Partner.id == Contract.partner_id)
        .where(
            Contract.scheme_id.in_(ids),
            Contract.valid_from <= day,
            or_(Contract.valid_to.is_(None), Contract.valid_to >= day),
            Partner.active,
            Location.active,
        )
        .options(joinedload(Location.partner))
        .order_by(Partner.name, Location.name, Location.id)
    ).all()
    found: dict[int, list[Location]] = {}
    for scheme_id, location in rows:
        places = found.setdefault(scheme_id, [])
        if location not in places:
            places.append(location)
    return found
