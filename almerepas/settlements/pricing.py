"""Redemptions and reversals priced in SQL and summed there, so a run reads a thousand sums
instead of a hundred thousand sources; ``collect.price`` is the same rule in Python, and a test
holds the two equal. The same statement text runs on PostgreSQL and SQLite.

A source's contract is the one whose days (in Almere) include the moment of the redemption. SQLite
has no time zones, so the contracts come along as a VALUES list with the UTC moments their first
day begins and the day after their last begins (``terms``): comparing moments needs no zone.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    CTE,
    BigInteger,
    CompoundSelect,
    DateTime,
    Select,
    SQLColumnExpression,
    String,
    and_,
    bindparam,
    case,
    cast,
    column,
    func,
    literal,
    null,
    select,
    text,
    union_all,
    values,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement, Label

from almerepas.contracts.models import Contract, TariffKind
from almerepas.core import clock
from almerepas.core.db import UTCDateTime
from almerepas.grants.models import Grant
from almerepas.ledger.posting import EUR
from almerepas.redemptions.models import Redemption, Reversal
from almerepas.schemes.models import Scheme
from almerepas.settlements.models import (
    LineKind,
)
from almerepas.settlements.windows import Span

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


def terms(session: Session, partner_ids: Collection[int]) -> CTE | None:
    """When each contract of these partners applies, as UTC moments. None if none.

    Where two contracts of a partner for one scheme overlap (each for other locations), the
    oldest applies, as in ``collect._Contracts``: every source finds exactly one.
    """
    query = select(
        Contract.id, Contract.partner_id, Contract.scheme_id, Contract.valid_from, Contract.valid_to
    ).order_by(Contract.id)
    spans: dict[tuple[int, int], list[tuple[int, dt.datetime, dt.datetime]]] = defaultdict(list)
    for cid, pid, scheme_id, first, last in session.execute(query):
        if pid in partner_ids:
            end = OPEN_END if last is None else _day_after(last)
            spans[(pid, scheme_id)].append((cid, clock.local_moment(first), end))
    rows = [
        (cid, start, end)
        for contracts in spans.values()
        for cid, start, end in _first_applies(contracts)
    ]
    if not rows:
        return None
    return _rows(session, "terms", ("contract_id", "starts_at", "ends_at"), rows)


def _spans(session: Session, spans: Sequence[Span]) -> CTE:
    rows = [(s.partner_id, s.starts_at, s.ends_at) for s in spans]
    return _rows(session, "spans", ("partner_id", "starts_at", "ends_at"), rows)


def _rows(
    session: Session, name: str, names: tuple[str, str, str], rows: Sequence[tuple[Any, ...]]
) -> CTE:
    """(id, moment, moment) rows as a table of their own in the statement.

    On PostgreSQL three arrays unnested: compiling a VALUES list of 1,000 rows (3,000 bound
    values) took longer than running the query it was in. On SQLite a VALUES list.
    """
    ident, start, end = names
    if session.get_bind().dialect.name == "postgresql":
        arrays = [
            bindparam(f"{name}_{ident}", [r[0] for r in rows], type_=ARRAY(BigInteger)),
            bindparam(
                f"{name}_{start}", [r[1] for r in rows], type_=ARRAY(DateTime(timezone=True))
            ),
            bindparam(f"{name}_{end}", [r[2] for r in rows], type_=ARRAY(DateTime(timezone=True))),
        ]
        table = func.unnest(*arrays).table_valued(
            column(ident, BigInteger), column(start, UTCDateTime()), column(end, UTCDateTime())
        )
        return select(*table.render_derived(name=name).c).cte(name)
    return (
        values(
            column(ident, BigInteger),
            column(start, UTCDateTime()),
            column(end, UTCDateTime()),
            name=name,
        )
        .data(list(rows))
        .cte(name)
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
    names = COLUMNS
    labelled: list[Label[Any]] = [c.label(n) for c, n in zip(columns, names, strict=True)]
    return select(*labelled)


def _key(prefix: str, ident: SQLColumnExpression[int]) -> SQLColumnExpression[str]:
    return literal(prefix, String) + cast(ident, String)


def _under_its_contract(query: Select[Any], contracts: CTE) -> Select[Any]:
    """``query`` (of redemptions, or of reversals joined to theirs) with the redemption's grant,
    scheme and its partner's contract of that day (``terms``): what prices a redemption prices
    every reversal of it."""
    return (
        query.join(Grant, Grant.id == Redemption.grant_id)
        .join(Scheme, Scheme.id == Grant.scheme_id)
        .join(Contract, _its_contract)
        .join(contracts, contracts.c.contract_id == Contract.id)
        .where(
            Redemption.created_at >= contracts.c.starts_at,
            Redemption.created_at < contracts.c.ends_at,
        )
    )


def _in(spans: CTE, moment: SQLColumnExpression[dt.datetime]) -> ColumnElement[bool]:
    """The redemption's partner's span that holds ``moment`` (when it or its reversal was
    recorded)."""
    return and_(
        spans.c.partner_id == Redemption.partner_id,
        moment >= spans.c.starts_at,
        moment < spans.c.ends_at,
    )


def redemptions_in(
    spans: CTE, contracts: CTE, grants: Select[tuple[int]] | None = None
) -> Select[Any]:
    """The redemptions recorded in ``spans`` (of ``grants``), priced: ``_labelled``'s columns."""
    query = _under_its_contract(
        _labelled(
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
        )
        .select_from(Redemption)
        .join(spans, _in(spans, Redemption.created_at)),
        contracts,
    )
    return query if grants is None else query.where(Redemption.grant_id.in_(grants))


def reversals_in(
    spans: CTE, contracts: CTE, grants: Select[tuple[int]] | None = None
) -> Select[Any]:
    """The reversals recorded in ``spans`` (of ``grants``' redemptions), priced as
    ``redemptions_in``."""
    earlier = aliased(Reversal)
    before = (
        select(cast(func.coalesce(func.sum(earlier.amount), 0), BigInteger))  # not numeric
        .where(earlier.redemption_id == Reversal.redemption_id, earlier.id < Reversal.id)
        .scalar_subquery()
    )
    # Priced under the redemption's contract: it gives back what that one paid.
    wanted: list[Any] = [
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
    ]
    given = _under_its_contract(
        select(*wanted)
        .select_from(Reversal)
        .join(Redemption, Redemption.id == Reversal.redemption_id)
        .join(spans, _in(spans, Reversal.created_at)),
        contracts,
    )
    if grants is not None:
        given = given.where(Redemption.grant_id.in_(grants))
    g = given.subquery("given")
    # What the redemption was worth before the reversal less after it (collect._taken_back).
    was = price_sql(g.c.tariff_kind, g.c.unit, g.c.tariff, g.c.left)
    now = price_sql(g.c.tariff_kind, g.c.unit, g.c.tariff, g.c.left - g.c.amount)
    return _labelled(
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


def priced(session: Session, spans: Sequence[Span]) -> CompoundSelect[Any] | None:
    """Every redemption and reversal recorded in the spans, priced (COLUMNS). None when there
    is nothing to look at."""
    contracts = terms(session, {s.partner_id for s in spans})
    if contracts is None:
        return None
    found = _spans(session, spans)
    return union_all(redemptions_in(found, contracts), reversals_in(found, contracts))


@dataclass(frozen=True)
class Summed:
    """A partner's redemptions (or reversals) under one contract at one location, summed: what
    a run writes as one line."""

    partner_id: int
    kind: LineKind
    contract_id: int
    scheme_id: int
    location_id: int | None
    #: the first of them
    occurred_at: dt.datetime
    quantity: int
    #: cents; None when the contract's tariff does not fit one of them
    amount: int | None
    sources: int


def summed(session: Session, spans: Sequence[Span]) -> list[Summed]:
    """The redemptions and reversals recorded in the spans, summed per partner, kind, contract
    and location by the database: one pass over them, a thousand rows back for a city."""
    sources = priced(session, spans)
    if sources is None:
        return []
    if session.get_bind().dialect.name == "postgresql":
        # The planner expects a few hundred rows from the spans' range join and sorts the
        # city's 100,000 on disk to group them (4 MB is the default); in memory it hashes them.
        session.execute(text("SET LOCAL work_mem = '32MB'"))
    src = sources.subquery("src")
    amount = src.c.amount
    query = select(
        src.c.partner_id,
        src.c.kind,
        src.c.contract_id,
        src.c.scheme_id,
        src.c.location_id,
        func.min(src.c.occurred_at),
        cast(func.sum(src.c.quantity), BigInteger),
        # NULL if any is: SUM would leave an unpriced source out
        case(
            (func.count(amount) == func.count(), cast(func.sum(amount), BigInteger)),
            else_=null(),
        ),
        func.count(),
    ).group_by(src.c.partner_id, src.c.kind, src.c.contract_id, src.c.scheme_id, src.c.location_id)
    return [
        Summed(pid, LineKind(kind), cid, scheme_id, location_id, at, quantity, total, n)
        for pid, kind, cid, scheme_id, location_id, at, quantity, total, n in session.execute(query)
    ]
