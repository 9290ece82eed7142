"""Redemptions and reversals priced in SQL, so a run writes its lines with one INSERT ... SELECT
instead of a row at a time; ``collect.price`` is the same rule in Python, and a test holds the
two equal. The same statement text runs on PostgreSQL and SQLite.

A source's contract is the one whose days (in Almere) include the moment of the redemption. SQLite
has no time zones, so the contracts come along as a VALUES list with the UTC moments their first
day begins and the day after their last begins (``terms``): comparing moments needs no zone.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from sqlalchemy import (
    CTE,
    BigInteger,
    CompoundSelect,
    Select,
    SQLColumnExpression,
    String,
    and_,
    case,
    cast,
    column,
    exists,
    func,
    insert,
    literal,
    null,
    select,
    union_all,
    values,
)
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import Label

from almerepas.contracts.models import Contract, TariffKind
from almerepas.core import clock
from almerepas.core.db import UTCDateTime
from almerepas.grants.models import Grant
from almerepas.ledger.posting import EUR
from almerepas.redemptions.models import Redemption, Reversal
from almerepas.schemes.models import Scheme
from almerepas.settlements.models import LineKind, SettlementLine

#: The columns of a priced source, in the order of ``settlement_line``'s (after run and payment).
COLUMNS = (
    "partner_id",
    "source_key",
    "kind",
    "contract_id",
    "scheme_id",
    "location_id",
    "redemption_id",
    "reversal_id",
    "occurred_at",
    "quantity",
    "amount",
)


#: The end of a contract without an end (not NULL: a VALUES column of NULLs has no type).
OPEN_END = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)


def half_up_share(value: SQLColumnExpression[int]) -> SQLColumnExpression[int]:
    """``money.half_up(value / 10000)`` in integers: truncating division of a non-negative."""
    return case(
        (value < 0, -((-value + 5_000) // 10_000)),
        else_=(value + 5_000) // 10_000,
    )


def price_sql(
    kind: SQLColumnExpression[str],
    unit: SQLColumnExpression[str],
    tariff: SQLColumnExpression[int | None],
    quantity: SQLColumnExpression[int],
) -> SQLColumnExpression[int | None]:
    """``collect.price`` in SQL: cents for ``quantity``, NULL if the tariff does not fit."""
    rate = func.coalesce(tariff, 0)
    return case(
        (and_(kind == TariffKind.amount_redeemed.value, unit == EUR), quantity),
        (and_(kind == TariffKind.per_unit.value, unit != EUR), quantity * rate),
        (
            and_(kind == TariffKind.discount_reimbursed.value, unit == EUR),
            half_up_share(quantity * rate),
        ),
        else_=null(),
    )


def terms(
    session: Session, partner_id: int | None, payments: Mapping[int, int] | None = None
) -> CTE | None:
    """When each contract applies, as UTC moments, with the payment of its partner
    (``payments``: by partner; then only those partners' contracts, else 0). None if none.

    Where two contracts of a partner for one scheme overlap (each for other locations), the
    oldest applies, as in ``collect._Contracts``: every source finds exactly one. The payments
    come along here rather than by a join with ``settlement_payment``: its rows are new in this
    transaction, and with the statistics of an empty table PostgreSQL once ran the whole pricing
    query once per payment (minutes for 500 partners).
    """
    query = select(
        Contract.id, Contract.partner_id, Contract.scheme_id, Contract.valid_from, Contract.valid_to
    ).order_by(Contract.id)
    if partner_id is not None:
        query = query.where(Contract.partner_id == partner_id)
    spans: dict[tuple[int, int], list[tuple[int, dt.datetime, dt.datetime]]] = defaultdict(list)
    for cid, pid, scheme_id, first, last in session.execute(query):
        if payments is None or pid in payments:
            end = OPEN_END if last is None else _day_after(last)
            spans[(pid, scheme_id)].append((cid, clock.local_moment(first), end))
    rows = [
        (cid, start, end, 0 if payments is None else payments[pid])
        for (pid, _), contracts in spans.items()
        for cid, start, end in _first_applies(contracts)
    ]
    if not rows:
        return None
    return (
        values(
            column("contract_id", BigInteger),
            column("starts_at", UTCDateTime()),
            column("ends_at", UTCDateTime()),
            column("payment_id", BigInteger),
            name="terms",
        )
        .data(rows)
        .cte("terms")
    )


def _first_applies(
    contracts: list[tuple[int, dt.datetime, dt.datetime]],
) -> list[tuple[int, dt.datetime, dt.datetime]]:
    """Split overlapping (id, start, end) spans so that each moment has the lowest id's."""
    if len(contracts) == 1:
        return contracts
    moments = sorted({m for _, start, end in contracts for m in (start, end)})
    found: list[tuple[int, dt.datetime, dt.datetime]] = []
    for start, end in itertools.pairwise(moments):
        cid = min((c for c, s, e in contracts if s <= start and end <= e), default=None)
        if cid is None:
            continue
        if found and found[-1][0] == cid and found[-1][2] == start:
            found[-1] = (cid, found[-1][1], end)
        else:
            found.append((cid, start, end))
    return found


def _day_after(day: dt.date) -> dt.datetime:
    return clock.local_moment(day + dt.timedelta(days=1))


#: The redemption's partner's contract for the scheme (``terms`` picks the one of its day).
_its_contract = and_(
    Contract.partner_id == Redemption.partner_id, Contract.scheme_id == Grant.scheme_id
)


def _labelled(*columns: SQLColumnExpression[Any]) -> Select[Any]:
    """The select of a priced source's columns, named as COLUMNS (both parts of the union)."""
    names = ("payment_id", *COLUMNS)
    labelled: list[Label[Any]] = [c.label(n) for c, n in zip(columns, names, strict=True)]
    return select(*labelled)


def _key(prefix: str, ident: SQLColumnExpression[int]) -> SQLColumnExpression[str]:
    return literal(prefix, String) + cast(ident, String)


def _under_its_contract(query: Select[Any], contracts: CTE, partner_id: int | None) -> Select[Any]:
    """``query`` (of redemptions, or of reversals joined to theirs) with the redemption's grant,
    scheme and its partner's contract of that day (``terms``): what prices a redemption prices
    every reversal of it."""
    query = (
        query.join(Grant, Grant.id == Redemption.grant_id)
        .join(Scheme, Scheme.id == Grant.scheme_id)
        .join(Contract, _its_contract)
        .join(contracts, contracts.c.contract_id == Contract.id)
        .where(
            Redemption.partner_id.is_not(None),
            Redemption.created_at >= contracts.c.starts_at,
            Redemption.created_at < contracts.c.ends_at,
        )
    )
    if partner_id is not None:
        query = query.where(Redemption.partner_id == partner_id)
    return query


def _redemptions(cutoff: dt.datetime, partner_id: int | None, contracts: CTE) -> Select[Any]:
    settled = exists().where(
        SettlementLine.redemption_id == Redemption.id,
        SettlementLine.kind == LineKind.redemption,
    )
    query = _under_its_contract(
        _labelled(
            contracts.c.payment_id,
            Redemption.partner_id,
            _key("redemption:", Redemption.id),
            literal(LineKind.redemption.value, String),
            Contract.id,
            Grant.scheme_id,
            Redemption.location_id,
            Redemption.id,
            cast(null(), BigInteger),
            Redemption.created_at,
            Redemption.amount,
            price_sql(Contract.tariff_kind, Scheme.unit, Contract.tariff, Redemption.amount),
        ),
        contracts,
        partner_id,
    )
    return query.where(Redemption.created_at < cutoff, ~settled)


def _reversals(cutoff: dt.datetime, partner_id: int | None, contracts: CTE) -> Select[Any]:
    settled = exists().where(SettlementLine.reversal_id == Reversal.id)
    earlier = aliased(Reversal)
    before = (
        select(cast(func.coalesce(func.sum(earlier.amount), 0), BigInteger))  # not numeric
        .where(earlier.redemption_id == Reversal.redemption_id, earlier.id < Reversal.id)
        .scalar_subquery()
    )
    # Priced under the redemption's contract: it gives back what that one paid.
    given = _under_its_contract(
        select(
            contracts.c.payment_id,
            Redemption.partner_id,
            Reversal.id.label("reversal_id"),
            Redemption.id.label("redemption_id"),
            Contract.id.label("contract_id"),
            Contract.tariff_kind,
            Contract.tariff,
            Scheme.unit,
            Grant.scheme_id,
            Redemption.location_id,
            Reversal.created_at,
            Reversal.amount,
            (Redemption.amount - before).label("left"),
        ).join(Redemption, Redemption.id == Reversal.redemption_id),
        contracts,
        partner_id,
    )
    g = given.where(Reversal.created_at < cutoff, ~settled).subquery("given")
    # What the redemption was worth before the reversal less after it (collect._taken_back).
    was = price_sql(g.c.tariff_kind, g.c.unit, g.c.tariff, g.c.left)
    now = price_sql(g.c.tariff_kind, g.c.unit, g.c.tariff, g.c.left - g.c.amount)
    return _labelled(
        g.c.payment_id,
        g.c.partner_id,
        _key("reversal:", g.c.reversal_id),
        literal(LineKind.reversal.value, String),
        g.c.contract_id,
        g.c.scheme_id,
        g.c.location_id,
        g.c.redemption_id,
        g.c.reversal_id,
        g.c.created_at,
        -g.c.amount,
        now - was,
    )


def priced(
    session: Session,
    *,
    cutoff: dt.datetime,
    partner_id: int | None,
    payments: Mapping[int, int] | None = None,
) -> CompoundSelect[Any] | None:
    """Every unsettled redemption and reversal before ``cutoff``, priced: ``payment_id`` (see
    ``terms``), then COLUMNS."""
    contracts = terms(session, partner_id, payments)
    if contracts is None:
        return None
    return union_all(
        _redemptions(cutoff, partner_id, contracts), _reversals(cutoff, partner_id, contracts)
    )


def totals(
    session: Session, *, cutoff: dt.datetime, partner_id: int | None
) -> dict[int, tuple[int, int, bool]]:
    """Per partner: how many sources, what they add up to, and whether any has no price."""
    sources = priced(session, cutoff=cutoff, partner_id=partner_id)
    if sources is None:
        return {}
    src = sources.subquery("src")
    amount, pid = src.c.amount, src.c.partner_id
    query = select(
        pid,
        func.count(),
        cast(func.coalesce(func.sum(amount), 0), BigInteger),
        func.count(amount),
    ).group_by(pid)
    return {p: (n, total, priced_n < n) for p, n, total, priced_n in session.execute(query)}


def insert_lines(
    session: Session,
    *,
    run_id: int,
    cutoff: dt.datetime,
    partner_id: int | None,
    payments: Mapping[int, int],
) -> None:
    """One line per priced source of each partner with a payment (``payments``: by partner)."""
    sources = priced(session, cutoff=cutoff, partner_id=partner_id, payments=payments)
    if sources is None:
        return
    src = sources.subquery("src")
    # Sorted: a sort reads every source before the first line is written. Without it PostgreSQL
    # may check "not settled yet" by scanning settlement_line once per source while the lines
    # are being added to it (with the table's statistics from when it was empty: minutes).
    rows = select(literal(run_id, BigInteger), *src.c).order_by(src.c.source_key)
    columns = ["run_id", "payment_id", *COLUMNS]
    session.execute(insert(SettlementLine).from_select(columns, rows))
