"""A run's redemptions and reversals priced and summed by the database in one statement: a
line per partner, kind, contract and location, a thousand rows back for a city's month.

The redemptions are most of the work, so their part joins each redemption to one table of
ranges: per contract, the moments both its partner's gap (windows.py) and its own days
(``pricing.term_rows``) cover. Two range joins made the planner guess a few hundred rows
where there are a hundred thousand, hash the wrong side and sort them all to group them. The
reversals meet the gaps by their own moment and a table of the contracts' days by their
redemption's.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

from sqlalchemy import (
    CTE,
    BigInteger,
    CompoundSelect,
    Select,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from almerepas.grants.models import Grant
from almerepas.redemptions.models import Redemption, Reversal
from almerepas.settlements import pricing
from almerepas.settlements.models import LineKind
from almerepas.settlements.windows import Span


class Summed(NamedTuple):
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
    and location by the database: one pass over them."""
    terms = pricing.term_rows(session, {s.partner_id for s in spans})
    if not terms:
        return []
    gaps: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    for span in spans:
        gaps[span.partner_id].append((span.starts_at, span.ends_at))
    tables = {
        "days": (_RANGES, _ranges(terms)),
        "spans": (pricing.SPAN_COLUMNS, [tuple(s) for s in spans]),
        "reach": (_RANGES, _ranges(terms, gaps)),  # empty: no redemption can be in a gap
    }
    params: dict[str, str] = {}
    if session.get_bind().dialect.name == "postgresql":
        query = _unvalued(reach=bool(tables["reach"][1]))
        for name, (names, found) in tables.items():
            if found:
                params.update(pricing.rows_params(name, names, found))
    else:
        ctes = {n: pricing.rows_cte(session, n, *t) for n, t in tables.items() if t[1]}
        query = _query(ctes["days"], ctes["spans"], ctes.get("reach"))
    of = {t.contract_id: t for t in terms}
    with _hashed(session):
        rows = session.execute(query, params).all()
    return [
        Summed(
            of[cid].partner_id, LineKind(kind), cid, of[cid].scheme_id, location_id, at, quantity,
            total, n,
        )
        for cid, location_id, at, quantity, total, n, kind in rows
    ]  # fmt: skip


def _query(days: CTE, spans: CTE, reach: CTE | None) -> Select[Any] | CompoundSelect[Any]:
    """The redemptions in ``reach`` and the reversals in ``spans`` (of redemptions on the
    contracts' ``days``), summed. A reversal in a gap may give back a redemption of a day
    outside every gap, so there may be reversals when no redemption can be found."""
    reversed_ = _given_back(days, spans)
    return reversed_ if reach is None else union_all(_redeemed(reach), reversed_)


@functools.cache
def _unvalued(*, reach: bool) -> Select[Any] | CompoundSelect[Any]:
    """``_query`` on PostgreSQL with its tables as parameters (``pricing.unnested``): built
    once, not for every run: building the expression and its cache key was about a sixth of
    a prepare's time in Python."""
    unnested = pricing.unnested
    return _query(
        unnested("days", _RANGES),
        unnested("spans", pricing.SPAN_COLUMNS),
        unnested("reach", _RANGES) if reach else None,
    )


#: The planner settings of ``_hashed``, and what they are for this one statement.
_PLANNER = {"enable_nestloop": "off", "enable_sort": "off", "work_mem": "32MB"}


@contextmanager
def _hashed(session: Session) -> Iterator[None]:
    """On PostgreSQL, plan the statement in it with hash joins and hash aggregates only.

    The planner cannot estimate a range join against a table in the statement: it expects
    fifty redemptions where there are a hundred thousand, and then looks each range up in an
    index and sorts them all to group them, twice as slow as one pass hashing the ranges. At
    the default 4 MB of work_mem it would sort on disk. The settings are the transaction's
    (``set_config(..., true)``) and are put back after the statement; a statement that fails
    aborts the transaction (or savepoint), which takes them with it, so there is no
    ``finally``: a statement sent then would fail and hide the error.
    """
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    were = session.execute(select(*map(func.current_setting, _PLANNER))).one()
    _settings(session, _PLANNER)
    yield
    _settings(session, dict(zip(_PLANNER, were, strict=True)))


def _settings(session: Session, values: dict[str, str]) -> None:
    session.execute(select(*(func.set_config(n, v, True) for n, v in values.items())))


def _ranges(
    terms: Sequence[pricing.Term],
    gaps: dict[int, list[tuple[dt.datetime, dt.datetime]]] | None = None,
) -> list[tuple[Any, ...]]:
    """Per contract, its days (``terms``), or the ranges in both its days and a gap of its
    partner (``gaps``), with how it prices (``pricing.rule_of``): rows of ``_RANGES``."""
    rows = []
    for term in terms:
        rule = pricing.rule_of(term.tariff_kind, term.unit).value
        head = (term.contract_id, term.partner_id, term.scheme_id, rule, term.tariff or 0)
        if gaps is None:
            rows.append((*head, term.starts_at, term.ends_at))
            continue
        for starts_at, ends_at in gaps[term.partner_id]:
            lower, upper = max(term.starts_at, starts_at), min(term.ends_at, ends_at)
            if lower < upper:
                rows.append((*head, lower, upper))
    return rows


_RANGES = ("contract_id", "partner_id", "scheme_id", "rule", "tariff", "starts_at", "ends_at")


def _redeemed(reach: CTE) -> Select[Any]:
    """The redemptions in ``reach``, priced under their contract and summed (an unfit
    contract's sum is NULL: every one of its prices is)."""
    price = pricing.price_by_rule(reach.c.rule, reach.c.tariff, Redemption.amount)
    return (
        select(
            reach.c.contract_id,
            Redemption.location_id,
            func.min(Redemption.created_at),
            cast(func.sum(Redemption.amount), BigInteger),
            cast(func.sum(price), BigInteger),
            func.count(),
            literal(LineKind.redemption.value, String),
        )
        .select_from(Redemption)
        .join(Grant, Grant.id == Redemption.grant_id)
        .join(reach, _its_range(reach))
        .group_by(reach.c.contract_id, Redemption.location_id)
    )


def _its_range(ranges: CTE) -> ColumnElement[bool]:
    """The range (of ``_RANGES``) of the redemption's partner and scheme that holds it."""
    return and_(
        ranges.c.partner_id == Redemption.partner_id,
        ranges.c.scheme_id == Grant.scheme_id,
        Redemption.created_at >= ranges.c.starts_at,
        Redemption.created_at < ranges.c.ends_at,
    )


def _given_back(days: CTE, spans: CTE) -> Select[Any]:
    """The reversals recorded in ``spans``, priced under the contract of their redemption's
    day (``days``) as what the redemption was worth before less after, and summed (NULL if
    any has no price: SUM would leave it out)."""
    earlier = aliased(Reversal)
    before = (
        select(cast(func.coalesce(func.sum(earlier.amount), 0), BigInteger))  # not numeric
        .where(earlier.redemption_id == Reversal.redemption_id, earlier.id < Reversal.id)
        .scalar_subquery()
    )
    given = (
        select(
            days.c.contract_id,
            days.c.rule,
            days.c.tariff,
            Redemption.location_id,
            Reversal.created_at,
            Reversal.amount,
            (Redemption.amount - before).label("left"),
        )
        .select_from(Reversal)
        .join(Redemption, Redemption.id == Reversal.redemption_id)
        .join(Grant, Grant.id == Redemption.grant_id)
        .join(days, _its_range(days))
        .join(
            spans,
            and_(
                spans.c.partner_id == Redemption.partner_id,
                Reversal.created_at >= spans.c.starts_at,
                Reversal.created_at < spans.c.ends_at,
            ),
        )
        # OFFSET 0 keeps PostgreSQL from copying ``left`` into both prices below, which would
        # sum the earlier reversals twice a reversal.
        .offset(0)
        .subquery("given")
    )
    was = pricing.price_by_rule(given.c.rule, given.c.tariff, given.c.left)
    now = pricing.price_by_rule(given.c.rule, given.c.tariff, given.c.left - given.c.amount)
    return select(
        given.c.contract_id,
        given.c.location_id,
        func.min(given.c.created_at),
        cast(func.sum(-given.c.amount), BigInteger),
        case(
            (func.count(now - was) == func.count(), cast(func.sum(now - was), BigInteger)),
            else_=null(),
        ),
        func.count(),
        literal(LineKind.reversal.value, String),
    ).group_by(given.c.contract_id, given.c.location_id)
