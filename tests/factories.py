"""Small helpers that make ledger fixtures with the fewest lines."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from almerepas import ledger
from almerepas.ledger import EUR, Leg
from almerepas.models import Account, AccountKind, EntryKind


def make_account(
    session: Session,
    kind: AccountKind = AccountKind.entitlement,
    unit: str = EUR,
    code: str | None = None,
    **kwargs: object,
) -> Account:
    return ledger.open_account(
        session,
        code=code or f"{kind.value}:{uuid.uuid4().hex[:12]}",
        name=f"test {kind.value}",
        kind=kind,
        unit=unit,
        **kwargs,  # type: ignore[arg-type]
    )


def funded_account(session: Session, balance: int, unit: str = EUR) -> tuple[Account, Account]:
    """A bounded entitlement holding ``balance``, granted from an unbounded source."""
    source = make_account(session, AccountKind.source, unit)
    account = make_account(session, AccountKind.entitlement, unit)
    ledger.post_entry(
        session,
        kind=EntryKind.grant,
        natural_key=f"test:grant:{uuid.uuid4().hex}",
        legs=[Leg(source, account, balance)],
        actor="test",
    )
    return source, account
