"""What a holder sees on the holder's pages: budgets left, history, savings, warnings, where to go.

Read-only, from the grants and the ledger. Nothing here names an income or a tier: a budget
is "tegoed", whatever scheme it came from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from almerepas.core import clock
from almerepas.grants.models import Grant
from almerepas.households.models import Household, Person
from almerepas.ledger.models import Account, AccountKind, EntryKind, JournalEntry, Transfer
from almerepas.schemes import periods
from almerepas.schemes.models import Period, Scheme, SchemeKind

#: A yearly budget with something left shows a warning this long before it expires.
EXPIRY_WARNING = dt.timedelta(weeks=6)
HISTORY_LIMIT = 100


@dataclass(frozen=True)
class Entitlement:
    """One grant of the current period, with what is left of it."""

    person: Person | None  #: None for a grant to the whole household
    scheme: Scheme
    period: str
    period_end: dt.date
    amount: int
    #: what is left (cents or units); None for a right (unlimited while valid)
    left: int | None

    @property
    def yearly(self) -> bool:
        return self.scheme.period == Period.year


@dataclass(frozen=True)
class HistoryLine:
    day: dt.date
    kind: EntryKind
    scheme: Scheme
    person: Person | None
    #: positive: came in (a grant, a reversal); negative: went out (used, expired)
    amount: int
    unit: str


def _grants_query(people: Sequence[Person], household: Household | None) -> Select[Any]:
    ids = [p.id for p in people]
    condition: ColumnElement[bool] = Grant.person_id.in_(ids)
    if household is not None:
        condition = or_(condition, Grant.household_id == household.id)
    return select(Grant).where(condition)


def entitlements(
    session: Session, people: Sequence[Person], household: Household | None, *, today: dt.date
) -> list[Entitlement]:
    """The grants of this month and this year that have not expired, the holder's first."""
    labels = [f"{today:%Y-%m}", f"{today:%Y}"]
    grants = session.scalars(
        _grants_query(people, household)
        .join(Scheme, Scheme.id == Grant.scheme_id)
        .where(
            Grant.period.in_(labels), Grant.expired_at.is_(None), Scheme.kind != SchemeKind.offer
        )
        .order_by(Grant.id)
    ).all()
    accounts = {
        a.id: a
        for a in session.scalars(
            select(Account).where(Account.id.in_([g.account_id for g in grants if g.account_id]))
        )
    }
    by_id = {p.id: p for p in people}
    order = {p.id: n for n, p in enumerate(people)}
    found = [
        Entitlement(
            person=by_id.get(g.person_id) if g.person_id else None,
            scheme=g.scheme,
            period=g.period,
            period_end=periods.parse(g.period).end,
            amount=g.amount,
            left=accounts[g.account_id].balance if g.account_id in accounts else None,
        )
        for g in grants
    ]
    return sorted(
        found,
        key=lambda e: (order.get(e.person.id, -1) if e.person else -1, e.scheme.code),
    )


def expiry_warnings(found: Sequence[Entitlement], *, today: dt.date) -> list[Entitlement]:
    """Yearly budgets with something left that expire within EXPIRY_WARNING."""
    return [
        e
        for e in found
        if e.yearly and e.left and e.period_end - today <= EXPIRY_WARNING and e.period_end >= today
    ]


def _accounts_of(
    session: Session, people: Sequence[Person], household: Household | None
) -> dict[int, Grant]:
    grants = session.scalars(_grants_query(people, household).where(Grant.account_id.is_not(None)))
    return {g.account_id: g for g in grants if g.account_id is not None}


def history(
    session: Session,
    people: Sequence[Person],
    household: Household | None,
    *,
    limit: int = HISTORY_LIMIT,
) -> list[HistoryLine]:
    """What happened on the budgets of these people, newest first: granted, used, expired."""
    grant_of = _accounts_of(session, people, household)
    if not grant_of:
        return []
    ids = list(grant_of)
    rows = session.execute(
        select(Transfer, JournalEntry.kind, JournalEntry.effective_at)
        .join(JournalEntry, JournalEntry.id == Transfer.entry_id)
        .where(or_(Transfer.debit_account_id.in_(ids), Transfer.credit_account_id.in_(ids)))
        .order_by(JournalEntry.effective_at.desc(), Transfer.id.desc())
        .limit(limit)
    ).all()
    by_id = {p.id: p for p in people}
    lines = []
    for transfer, kind, effective_at in rows:
        incoming = transfer.credit_account_id in grant_of
        grant = grant_of[transfer.credit_account_id if incoming else transfer.debit_account_id]
        lines.append(
            HistoryLine(
                day=effective_at.astimezone(clock.LOCAL).date(),
                kind=kind,
                scheme=grant.scheme,
                person=by_id.get(grant.person_id) if grant.person_id else None,
                amount=transfer.amount if incoming else -transfer.amount,
                unit=transfer.unit,
            )
        )
    return lines


def saved_this_year(
    session: Session, people: Sequence[Person], household: Household | None, *, today: dt.date
) -> int:
    """Euro cents the pass saved these people this year: what went from their budgets to
    partners (redemptions), less what came back (reversals). Nothing is redeemed before the
    partner issue lands, so this is 0 until then."""
    ids = list(_accounts_of(session, people, household))
    if not ids:
        return 0
    start = clock.local_moment(dt.date(today.year, 1, 1))
    end = clock.local_moment(dt.date(today.year + 1, 1, 1))
    partner = aliased(Account)
    in_year = and_(JournalEntry.effective_at >= start, JournalEntry.effective_at < end)

    def total(from_holder: bool) -> int:
        holder_side = Transfer.debit_account_id if from_holder else Transfer.credit_account_id
        partner_side = Transfer.credit_account_id if from_holder else Transfer.debit_account_id
        value = session.scalar(
            select(func.coalesce(func.sum(Transfer.amount), 0))
            .join(JournalEntry, JournalEntry.id == Transfer.entry_id)
            .join(partner, partner.id == partner_side)
            .where(
                holder_side.in_(ids),
                partner.kind == AccountKind.payable,
                Transfer.unit == "EUR",
                in_year,
            )
        )
        return int(value or 0)

    return total(True) - total(False)


def offers(session: Session, found: Sequence[Entitlement], *, today: dt.date) -> list[Scheme]:
    """Where the pass works: the offers for every resident, then the schemes this household
    has now. Partners and their locations come with the partner issue."""
    for_everyone = session.scalars(
        select(Scheme)
        .where(
            Scheme.kind == SchemeKind.offer,
            Scheme.active.is_(True),
            Scheme.valid_from <= today,
            or_(Scheme.valid_to.is_(None), Scheme.valid_to >= today),
        )
        .order_by(Scheme.code)
    ).all()
    own = {e.scheme.id: e.scheme for e in found}
    return [*for_everyone, *sorted(own.values(), key=lambda s: s.code)]
