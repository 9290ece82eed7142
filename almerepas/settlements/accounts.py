"""The ledger accounts of settlement; none has a cached balance, so none is a hot row.

- ``expense:<scheme>``: what a scheme has cost in payments to partners;
- ``owed:partner:<id>``: approved, not paid yet (zero once paid);
- ``owed:holders``: declarations in an approved run, not paid yet (zero once paid);
- ``clearing:payouts``: paid out, not yet on the bank statement (zero once confirmed);
- ``bank:gemeente-almere``: the gemeente's bank account the payments leave from.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from almerepas.core import gemeente
from almerepas.ledger import posting as ledger
from almerepas.ledger.models import Account, AccountKind
from almerepas.schemes.models import Scheme

IN_TRANSIT = "clearing:payouts"
BANK = "bank:gemeente-almere"


def expense(session: Session, scheme: Scheme) -> Account:
    return ledger.ensure_account(
        session,
        code=f"expense:{scheme.code}",
        name=f"Kosten {scheme.name_nl}"[:200],
        kind=AccountKind.expense,
        cached=False,
    )


def owed(session: Session, partner_id: int) -> Account:
    return ledger.ensure_account(
        session,
        code=f"owed:partner:{partner_id}",
        name=f"Te betalen aan partner {partner_id}",
        kind=AccountKind.payable,
        cached=False,
    )


def in_transit(session: Session) -> Account:
    return ledger.ensure_account(
        session,
        code=IN_TRANSIT,
        name="Uitbetalingen onderweg",
        kind=AccountKind.clearing,
        cached=False,
    )


def bank(session: Session) -> Account:
    return ledger.ensure_account(
        session,
        code=BANK,
        name=f"Bankrekening gemeente {gemeente.current().name}",
        kind=AccountKind.bank,
        cached=False,
    )


def owed_holders(session: Session) -> Account:
    """Approved declarations in a run, owed to the holders who declared them."""
    return ledger.ensure_account(
        session,
        code="owed:holders",
        name="Te betalen aan inwoners (declaraties)",
        kind=AccountKind.payable,
        cached=False,
    )
