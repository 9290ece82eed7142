"""A run's redemptions and reversals priced and summed by the database in one statement: a
line per partner, kind, contract and location, a thousand rows back for a city's month.

The redemptions are most of the work, so their part joins each redemption to one table of
ranges: per contract, the moments both its partner's gap (windows.py) and its own days
(``pricing.terms``) cover. Two range joins made the planner guess a few hundred rows where
there are a hundred thousand, hash the wrong side and sort them all to group them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    CTE,
    BigInteger,
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
from sqlalchemy.orm import Session

from almerepas.grants.models import Grant
from almerepas.redemptions.models import Redemption
from almerepas.settlements import pricing
from almerepas.settlements.models import LineKind
from almerepas.settlements.windows import Span


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
    and location by the database: one pass over them."""
    terms = pricing.term_rows(session, {s.partner_id for s in spans})
    if not terms:
        return []
    reach = _reach(session, spans, terms)  # None: no redemption can be in a gap
    days = [(t.contract_id, t.starts_at, t.ends_at) for t in terms]
    contracts = pricing.rows_cte(session, "terms", ("contract_id", "starts_at", "ends_at"), days)
    given = pricing.reversals_in(pricing.spans_cte(session, spans), contracts).subquery("given")
    reversed_ = select(
        given.c.contract_id,
        given.c.location_id,
        func.min(given.c.occurred_at),
        cast(func.sum(given.c.quantity), BigInteger),
        # NULL if any is: SUM would leave an unpriced source out
        case(
            (
                func.count(given.c.amount) == func.count(),
                cast(func.sum(given.c.amount), BigInteger),
            ),
            else_=null(),
        ),
        func.count(),
        literal(LineKind.reversal.value, String),
    ).group_by(given.c.contract_id, given.c.location_id)
    of = {t.contract_id: t for t in terms}
    # A reversal in a gap may give back a redemption of a contract's day outside every gap.
    query = reversed_ if reach is None else union_all(_redeemed(reach), reversed_)
    with _hashed(session):
        rows = session.execute(query).all()
    return [
        Summed(
            of[cid].partner_id, LineKind(kind), cid, of[cid].scheme_id, location_id, at, quantity,
            total, n,
        )
        for cid, location_id, at, quantity, total, n, kind in rows
    ]  # fmt: skip


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


def _reach(session: Session, spans: Sequence[Span], terms: Sequence[pricing.Term]) -> CTE | None:
    """Per contract, the ranges in both a span of its partner and its own days (``terms``),
    with how it prices (``pricing.rule_of``); None if none."""
    gaps: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    for span in spans:
        gaps[span.partner_id].append((span.starts_at, span.ends_at))
    rows = []
    for term in terms:
        rule = pricing.rule_of(term.tariff_kind, term.unit)
        for starts_at, ends_at in gaps[term.partner_id]:
            lower, upper = max(term.starts_at, starts_at), min(term.ends_at, ends_at)
            if lower < upper:
                rows.append(
                    (term.contract_id, term.partner_id, term.scheme_id, rule.value,
                     term.tariff or 0, lower, upper)
                )  # fmt: skip
    if not rows:
        return None
    names = ("contract_id", "partner_id", "scheme_id", "rule", "tariff", "starts_at", "ends_at")
    return pricing.rows_cte(session, "reach", names, rows)


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
        .join(
            reach,
            and_(
                reach.c.partner_id == Redemption.partner_id,
                reach.c.scheme_id == Grant.scheme_id,
                Redemption.created_at >= reach.c.starts_at,
                Redemption.created_at < reach.c.ends_at,
            ),
        )
        .group_by(reach.c.contract_id, Redemption.location_id)
    )
