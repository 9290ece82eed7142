"""Each scheme's funding account per year, kept in step with the scheme's yearly budget.

A scheme with an ``annual_budget`` is first come, first served: its funding account holds the
budget and may not go below zero. The budget may change during the year (or be set after the
first grants): every grant run posts the difference from the gemeente's budget account and sets
the bound again, so what the scheme says is what the ledger enforces.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from almerepas.core import clock, gemeente
from almerepas.ledger import posting as ledger
from almerepas.ledger.models import Account, AccountKind, EntryKind, JournalEntry, Transfer
from almerepas.ledger.posting import Leg
from almerepas.schemes.models import Scheme

SOURCE_CODE = "source:gemeente-almere"


def funding_code(scheme: Scheme, year: int) -> str:
    return f"funding:{scheme.code}:{year}"


def _source(session: Session, unit: str) -> Account:
    return ledger.ensure_account(
        session,
        code=f"{SOURCE_CODE}:{unit.lower()}",
        name=f"Begroting gemeente {gemeente.current().name} ({unit})",
        kind=AccountKind.source,
        unit=unit,
    )


def _budgeted(session: Session, source: Account, account: Account) -> int:
    """What the source has put into the account, net of what went back."""

    def moved(debit: Account, credit: Account) -> int:
        total = session.scalar(
            select(func.coalesce(func.sum(Transfer.amount), 0)).where(
                Transfer.debit_account_id == debit.id, Transfer.credit_account_id == credit.id
            )
        )
        return int(total or 0)

    return moved(source, account) - moved(account, source)


def ensure_funding(session: Session, scheme: Scheme, year: int) -> Account:
    """The scheme's funding account for a year, holding (and bounded by) its current budget."""
    code = funding_code(scheme, year)
    account = ledger.get_account(session, code) or ledger.open_account(
        session,
        code=code,
        name=f"{scheme.name_nl[:180]} {year}",
        kind=AccountKind.funding,
        unit=scheme.unit,
        min_balance=None,
    )
    if scheme.annual_budget is None:
        _set_bound(session, account, None)
        return account
    source = _source(session, scheme.unit)
    difference = scheme.annual_budget - _budgeted(session, source, account)
    session.refresh(account, ["balance"])
    if difference < 0:
        # Less budget: give back what is still there; what was granted stays granted.
        difference = -min(-difference, max(account.balance, 0))
    if difference:
        changes = session.scalar(
            select(func.count())
            .select_from(JournalEntry)
            .where(JournalEntry.natural_key.like(f"budget:{scheme.code}:{year}%"))
        )
        give, take = (source, account) if difference > 0 else (account, source)
        ledger.post_entry(
            session,
            kind=EntryKind.adjustment,
            natural_key=f"budget:{scheme.code}:{year}" + (f":{changes}" if changes else ""),
            legs=[Leg(give, take, abs(difference))],
            actor="system:budget",
            effective_at=clock.local_moment(dt.date(year, 1, 1)),
            memo=f"Budget {year}: {scheme.annual_budget}",
        )
        session.refresh(account, ["balance"])
    # No spending below zero; if more was granted than the budget now allows, none below today.
    _set_bound(session, account, min(0, account.balance))
    return account


def _set_bound(session: Session, account: Account, bound: int | None) -> None:
    if account.min_balance != bound:
        session.execute(
            update(Account)
            .where(Account.id == account.id)
            .values(min_balance=bound)
            .execution_options(synchronize_session=False)
        )
        session.refresh(account, ["min_balance"])
