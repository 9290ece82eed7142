"""Redemptions and reversals priced in SQL and summed there, so a run reads a thousand sums
instead of a hundred thousand sources; ``collect.price`` is the same rule in Python, and a test
holds the two equal. The same statement text runs on PostgreSQL and SQLite.

A source's contract is the one whose days (in Almere) include the moment of the redemption. SQLite
has no time zones, so the contracts come along as a VALUES list with the UTC moments their first
day begins and the day after their last begins (``terms``): comparing moments needs no zone.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import itertools
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    CTE,
    TIMESTAMP,
    BigInteger,
    CompoundSelect,
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
    union_all,
    values,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnClause, ColumnElement, Label

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


class Rule(enum.IntEnum):
    """How ``price_sql`` prices a contract's sources, decided once per contract instead of per
    source: a city's month of redemptions compared two strings each a hundred thousand times."""

    unfit = 0
    as_redeemed = 1
    per_unit = 2
    share = 3


def rule_of(kind: TariffKind, unit: str) -> Rule:
    """``price_sql``'s branches: which one a contract's tariff takes in its scheme's unit."""
    if kind == TariffKind.amount_redeemed and unit == EUR:
        return Rule.as_redeemed
    if kind == TariffKind.per_unit and unit != EUR:
        return Rule.per_unit
    if kind == TariffKind.discount_reimbursed and unit == EUR:
        return Rule.share
    return Rule.unfit


def price_by_rule(
    rule: SQLColumnExpression[int],
    tariff: SQLColumnExpression[int],
    quantity: SQLColumnExpression[int],
) -> SQLColumnExpression[int | None]:
    """``price_sql`` with the branch chosen (``rule_of``) and the tariff 0 where it has none."""
    return case(
        (rule == Rule.as_redeemed.value, quantity),
        (rule == Rule.per_unit.value, quantity * tariff),
        (rule == Rule.share.value, half_up_share(quantity * tariff)),
        else_=null(),
    )


def terms(session: Session, partner_ids: Collection[int]) -> CTE | None:
    """When each contract of these partners applies, as UTC moments. None if none.

    Where two contracts of a partner for one scheme overlap (each for other locations), the
    oldest applies, as in ``collect._Contracts``: every source finds exactly one.
    """
    rows = [(t.contract_id, t.starts_at, t.ends_at) for t in term_rows(session, partner_ids)]
    if not rows:
        return None
    return rows_cte(session, "terms", ("contract_id", "starts_at", "ends_at"), rows)


@dataclass(frozen=True)
class Term:
    """A contract and a span of time in which it is the one that applies (``terms``)."""

    contract_id: int
    partner_id: int
    scheme_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    #: the tariff, and whether it fits the scheme's unit: what ``price_sql`` reads per source
    tariff_kind: TariffKind
    tariff: int | None
    unit: str


def term_rows(session: Session, partner_ids: Collection[int]) -> list[Term]:
    """``terms`` as rows, for a caller that combines them with other spans."""
    query = (
        select(
            Contract.id, Contract.partner_id, Contract.scheme_id, Contract.valid_from,
            Contract.valid_to, Contract.tariff_kind, Contract.tariff, Scheme.unit,
        )
        .join(Scheme, Scheme.id == Contract.scheme_id)
        .order_by(Contract.id)
    )  # fmt: skip
    spans: dict[tuple[int, int], list[tuple[int, dt.datetime, dt.datetime]]] = defaultdict(list)
    tariffs = {}
    for cid, pid, scheme_id, first, last, kind, tariff, unit in session.execute(query):
        if pid in partner_ids:
            tariffs[cid] = (pid, scheme_id, kind, tariff, unit)
            end = OPEN_END if last is None else _begins(last + dt.timedelta(days=1))
            spans[(pid, scheme_id)].append((cid, _begins(first), end))
    return [
        Term(cid, pid, scheme_id, start, end, kind, tariff, unit)
        for contracts in spans.values()
        for cid, start, end in _first_applies(contracts)
        for pid, scheme_id, kind, tariff, unit in [tariffs[cid]]
    ]


def spans_cte(session: Session, spans: Sequence[Span]) -> CTE:
    return rows_cte(session, "spans", SPAN_COLUMNS, [tuple(s) for s in spans])


#: A table of spans (``spans_cte``): whose, and from when to when.
SPAN_COLUMNS = ("partner_id", "starts_at", "ends_at")


def rows_cte(
    session: Session, name: str, names: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> CTE:
    """Rows of integers and moments (the columns whose names end in ``_at``) as a table of
    their own in the statement; no NULLs (a column of them has no type).

    On PostgreSQL an array per column, unnested: compiling a VALUES list of 1,000 rows (3,000
    bound values) took longer than running the query it was in. Each array is sent as one
    string (moments in ISO 8601 with their offset) and cast on the server: the driver writes a
    list element by element, matching each against a pattern, ten times slower for moments.
    The moments arrive as ``timestamptz`` itself: computed from a number in the table, the
    planner copied the sum into the join filter and worked it out again for each redemption.
    On SQLite a VALUES list.
    """
    if session.get_bind().dialect.name != "postgresql":
        return values(*_columns(names), name=name).data(list(rows)).cte(name)
    return unnested(name, names, rows_params(name, names, rows))


def unnested(name: str, names: Sequence[str], params: dict[str, str] | None = None) -> CTE:
    """``rows_cte`` on PostgreSQL: the rows' columns as ``params`` (``rows_params``), or as
    parameters to give when the statement is run, so that it can be built once."""
    arrays = [
        cast(
            func.string_to_array(
                bindparam(key, params[key], type_=String)
                if params is not None
                else bindparam(key, type_=String),
                ",",
            ),
            ARRAY(TIMESTAMP(timezone=True) if _is_moment(n) else BigInteger),
        )
        for n in names
        for key in [f"{name}_{n}"]
    ]
    table = func.unnest(*arrays).table_valued(*_columns(names))
    return select(table.render_derived(name=f"{name}_raw")).cte(name)


def rows_params(name: str, names: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> dict[str, str]:
    """The parameters of ``unnested(name, names)`` that hold ``rows``: a string a column."""
    return {
        f"{name}_{n}": _joined(values_, moment=_is_moment(n))
        for n, values_ in zip(names, zip(*rows, strict=True), strict=True)
    }


def _is_moment(name: str) -> bool:
    return name.endswith("_at")


def _columns(names: Sequence[str]) -> list[ColumnClause[Any]]:
    return [column(n, UTCDateTime() if _is_moment(n) else BigInteger()) for n in names]


def _joined(values_: Sequence[Any], *, moment: bool) -> str:
    """A column as one string: integers, or moments in ISO 8601 with their offset, which
    PostgreSQL reads the same whatever the session's time zone (each distinct one written
    once: a run's spans share their ends)."""
    if not moment:
        return ",".join(map(str, map(int, values_)))
    if any(m.tzinfo is None for m in values_):
        raise ValueError("a moment without a time zone")
    text = {m: m.isoformat() for m in set(values_)}
    return ",".join(map(text.__getitem__, values_))


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


@functools.lru_cache(maxsize=1024)
def _begins(day: dt.date) -> dt.datetime:
    """When ``day`` begins in Almere, in UTC: a city's 500 contracts start on a few days, and a
    moment in UTC compares without asking the zone for its offset."""
    return clock.local_moment(day).astimezone(dt.UTC)


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
    # OFFSET 0 keeps PostgreSQL from pulling the subquery up: it would copy ``left`` into each
    # branch of the prices below and run the earlier reversals' sum ten times a reversal.
    g = given.offset(0).subquery("given")
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
    found = spans_cte(session, spans)
    return union_all(redemptions_in(found, contracts), reversals_in(found, contracts))
