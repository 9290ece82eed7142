"""What a pass may be used for at one partner's location on one day: the contracts that run
there and the holder's grants under them. Shared by scan and redeem so both say the same."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    CompoundSelect,
    Date,
    Select,
    bindparam,
    or_,
    select,
)
from sqlalchemy.orm import Session, joinedload, selectinload

from almerepas.contracts.models import Contract, Location, Partner, contract_location
from almerepas.grants.models import Grant
from almerepas.holders.household import HOUSEHOLD_ROLES
from almerepas.households.models import Household, Membership


def running_contracts(session: Session, partner: Partner, day: dt.date) -> list[Contract]:
    """The partner's contracts that run on ``day``, with their locations and schemes."""
    return list(
        session.scalars(
            select(Contract)
            .where(
                Contract.partner_id == partner.id,
                Contract.valid_from <= day,
                or_(Contract.valid_to.is_(None), Contract.valid_to >= day),
            )
            .options(selectinload(Contract.locations))
            .order_by(Contract.id)
        )
    )


def adult_households(
    person: ColumnElement[int] | int, day: dt.date | ColumnElement[dt.date]
) -> Select[Any]:
    """The household whose shared grants ``person`` may use on ``day``: theirs, when they are
    one of its adults (a child's pass uses only the child's own grants)."""
    return (
        select(Membership.household_id)
        .join(Household, Household.id == Membership.household_id)
        .where(
            Membership.person_id == person,
            Membership.role.in_(HOUSEHOLD_ROLES),
            Membership.valid_from <= day,
            or_(Membership.valid_to.is_(None), Membership.valid_to >= day),
            or_(Household.moved_out_on.is_(None), Household.moved_out_on > day),
        )
    )


def beneficiary_grants(
    person: ColumnElement[int] | int, day: dt.date | ColumnElement[dt.date]
) -> CompoundSelect[Any]:
    """The ids of the grants ``person``'s pass may use (their own, their household's as one of
    its adults) as a UNION ALL of two indexed lookups: the same condition written with OR makes
    PostgreSQL read every grant of the period."""
    own = select(Grant.id).where(Grant.person_id == person)
    shared = select(Grant.id).where(Grant.household_id.in_(adult_households(person, day)))
    return own.union_all(shared)


def covered_schemes(partner: Partner, location: Location, day: dt.date) -> Select[Any]:
    """The ids of the schemes the partner's contracts that run on ``day`` cover at ``location``."""
    return (
        select(Contract.scheme_id)
        .join(contract_location, contract_location.c.contract_id == Contract.id)
        .where(
            Contract.partner_id == partner.id,
            contract_location.c.location_id == location.id,
            Contract.valid_from <= day,
            or_(Contract.valid_to.is_(None), Contract.valid_to >= day),
        )
    )


def holder_grants(
    session: Session, person_id: int, day: dt.date, scheme_ids: Iterable[int] | Select[Any]
) -> list[Grant]:
    """The grants of this month and this year that the pass of ``person_id`` may use: the
    person's own and, for an adult of the household, the household's. Expired ones too, so
    that a redemption can say ``grant_expired`` rather than that there is none."""
    ids = scheme_ids if isinstance(scheme_ids, Select) else sorted(set(scheme_ids))
    return list(
        session.scalars(
            select(Grant)
            .where(
                Grant.id.in_(beneficiary_grants(person_id, day)),
                Grant.scheme_id.in_(ids),
                Grant.period.in_(period_labels(day)),
            )
            .options(joinedload(Grant.account))
            .order_by(Grant.id)
        )
    )


def period_labels(day: dt.date) -> list[str]:
    """The labels of the month and the year ``day`` is in (a grant's ``period``)."""
    return [f"{day:%Y-%m}", f"{day:%Y}"]


def grants_here(
    session: Session, person_id: int, day: dt.date, partner_id: int, location_id: int
) -> list[Grant]:
    """holder_grants for the schemes the partner's running contracts cover at the location
    (covered_schemes), with one statement built once: every scan asks."""
    params = {
        "person_id": person_id,
        "day": day,
        "partner_id": partner_id,
        "location_id": location_id,
        "periods": period_labels(day),
    }
    return list(session.scalars(_grants_here(), params))


@functools.cache
def _grants_here() -> Select[Grant]:
    day = bindparam("day", type_=Date)
    person_id: BindParameter[int] = bindparam("person_id")
    covered = (
        select(Contract.scheme_id)
        .join(contract_location, contract_location.c.contract_id == Contract.id)
        .where(
            Contract.partner_id == bindparam("partner_id"),
            contract_location.c.location_id == bindparam("location_id"),
            Contract.valid_from <= day,
            or_(Contract.valid_to.is_(None), Contract.valid_to >= day),
        )
    )
    return (
        select(Grant)
        .where(
            Grant.id.in_(beneficiary_grants(person_id, day)),
            Grant.scheme_id.in_(covered),
            Grant.period.in_(bindparam("periods", expanding=True)),
        )
        .options(joinedload(Grant.account))
        .order_by(Grant.id)
    )
