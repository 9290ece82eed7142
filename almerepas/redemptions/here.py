"""What a pass may be used for at one partner's location on one day: the contracts that run
there and the holder's grants under them. Shared by scan and redeem so both say the same."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    CompoundSelect,
    Date,
    Row,
    RowMapping,
    Select,
    String,
    Table,
    bindparam,
    case,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from almerepas.contracts.models import Contract, Location, Partner, contract_location
from almerepas.core.inserted import columns_of, loaded
from almerepas.grants.models import Grant
from almerepas.holders.household import HOUSEHOLD_ROLES
from almerepas.households.models import Household, Membership
from almerepas.ledger.models import Account, AccountKind
from almerepas.ledger.posting import EUR
from almerepas.passes.models import Pass
from almerepas.redemptions.errors import (
    GrantExpired,
    LocationNotAllowed,
    NoEntitlement,
    NotContracted,
)
from almerepas.schemes.models import Scheme


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
            # one comparison per role, not an IN of constants, which is rendered anew each time
            or_(*(Membership.role == role for role in sorted(HOUSEHOLD_ROLES))),
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


def _periods(day: dt.date) -> dict[str, str]:
    """period_labels as the two bound values of _PERIOD_IN."""
    month, year = period_labels(day)
    return {"period_month": month, "period_year": year}


#: a grant of the month or the year: two plain parameters, not an expanding IN that SQLAlchemy
#: renders anew at every execution
_PERIOD_IN: tuple[BindParameter[str], ...] = (bindparam("period_month"), bindparam("period_year"))


def grants_here(
    session: Session, person_id: int, day: dt.date, partner_id: int, location_id: int
) -> list[Row[*tuple[Any, ...]]]:
    """What a scan shows of holder_grants for the schemes the partner's running contracts cover
    at the location (covered_schemes): per grant, in grant order, its expiry, its scheme's code,
    names, kind, unit and discount, and its entitlement's balance (None for a right). One
    statement built once, on plain columns: every scan asks, and needs no objects."""
    params = {
        "person_id": person_id,
        "day": day,
        "partner_id": partner_id,
        "location_id": location_id,
        **_periods(day),
    }
    return list(session.connection().execute(_grants_here(), params))


@functools.cache
def _grants_here() -> Select[*tuple[Any, ...]]:
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
        select(
            Grant.expired_at,
            Scheme.code,
            Scheme.name_nl,
            Scheme.name_en,
            Scheme.kind,
            Scheme.unit,
            Scheme.discount_percent,
            Account.balance,
        )
        .join(Scheme, Scheme.id == Grant.scheme_id)
        .outerjoin(Account, Account.id == Grant.account_id)
        .where(
            Grant.id.in_(beneficiary_grants(person_id, day)),
            Grant.scheme_id.in_(covered),
            Grant.period.in_(_PERIOD_IN),
        )
        .order_by(Grant.id)
    )


# -- the one grant a redemption takes from -------------------------------------------------------


#: what a redemption uses of the grant, its scheme and the two accounts; the rest loads on use
_GRANT = ("scheme_id", "period", "person_id", "household_id", "amount", "account_id", "expired_at")
_SCHEME = ("code", "name_nl", "name_en", "kind", "unit", "discount_percent", "period")
_ACCOUNT = ("code", "kind", "unit", "min_balance", "balance", "cached")


@functools.cache
def _grant_here_statement() -> Select[Any]:
    """grant_here's query, built once (its values are bound parameters), with the partner's
    payee account for the scheme's unit when it exists (the code booking.payee_account gives).
    Plain columns, labelled per object (``loaded`` makes the grant, its scheme and accounts)."""
    grants, schemes = cast(Table, Grant.__table__), cast(Table, Scheme.__table__)
    accounts = cast(Table, Account.__table__)
    account, payee = accounts.alias("grant_account"), accounts.alias("payee")
    day = bindparam("day", type_=Date)
    payee_code = (
        case(
            (schemes.c.unit == EUR, literal(f"{AccountKind.payable.value}:")),
            else_=literal(f"{AccountKind.consumed.value}:"),
        )
        + bindparam("payee", type_=String)
        + literal(":")
        + func.lower(schemes.c.unit)
    )
    location_id: BindParameter[int] = bindparam("location_id")
    person = select(Pass.person_id).where(Pass.id == bindparam("pass_id")).scalar_subquery()
    covered = (
        select(contract_location.c.location_id)
        .where(
            contract_location.c.contract_id == Contract.id,
            contract_location.c.location_id == location_id,
        )
        .exists()
    )
    return (
        select(
            *columns_of(grants, Grant, "g_", _GRANT),
            *columns_of(schemes, Scheme, "s_", _SCHEME),
            *columns_of(account, Account, "a_", _ACCOUNT),
            covered.label("covered"),
            *columns_of(payee, Account, "p_", _ACCOUNT),
        )
        .select_from(grants)
        .join(schemes, schemes.c.id == grants.c.scheme_id)
        .outerjoin(account, account.c.id == grants.c.account_id)
        .outerjoin(payee, payee.c.code == payee_code)
        .join(Contract, Contract.scheme_id == grants.c.scheme_id)
        .where(
            Contract.partner_id == bindparam("partner_id"),
            Contract.valid_from <= day,
            or_(Contract.valid_to.is_(None), Contract.valid_to >= day),
            schemes.c.code == bindparam("scheme_code"),
            grants.c.id.in_(beneficiary_grants(person, day)),
            grants.c.period.in_(_PERIOD_IN),
        )
        .order_by(grants.c.id)
    )


def _grant_of(session: Session, row: RowMapping) -> tuple[Grant, Account | None]:
    """The grant of a row of _grant_here_statement, with its scheme and account, and the payee."""
    grant = loaded(session, Grant, row, "g_", _GRANT)
    set_committed_value(grant, "scheme", loaded(session, Scheme, row, "s_", _SCHEME))
    account = loaded(session, Account, row, "a_", _ACCOUNT) if row["a_id"] is not None else None
    set_committed_value(grant, "account", account)
    payee = loaded(session, Account, row, "p_", _ACCOUNT) if row["p_id"] is not None else None
    return grant, payee


def grant_here(
    session: Session,
    partner: Partner,
    location: Location,
    pass_id: int,
    scheme_code: str,
    day: dt.date,
) -> tuple[Grant, Account | None]:
    """The holder's grant of the scheme this period under a running contract of the partner
    that covers this location, and the partner's payee account for it if it was opened: one
    statement; the refusal's reason only when there is none."""
    params = {
        "pass_id": pass_id,
        "location_id": location.id,
        "partner_id": partner.id,
        "day": day,
        "scheme_code": scheme_code,
        **_periods(day),
        "payee": f"partner:{partner.id}",
    }
    session.flush()  # a Core read: what the caller changed counts, as with the ORM's autoflush
    rows = session.connection().execute(_grant_here_statement(), params).mappings().all()
    here = [row for row in rows if row["covered"]]
    running = [row for row in here if row["g_expired_at"] is None]
    if running:
        return _grant_of(session, running[0])
    if here:
        raise GrantExpired()
    if rows:
        raise LocationNotAllowed()
    contracts = [
        c for c in running_contracts(session, partner, day) if c.scheme.code == scheme_code
    ]
    if not contracts:
        raise NotContracted()
    if not any(loc.id == location.id for c in contracts for loc in c.locations):
        raise LocationNotAllowed()
    raise NoEntitlement()
