"""post_entry's short way: an entry that changes at most one cached balance (a redemption, a
reversal) needs no savepoint, and its rows are written with Core statements built once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

from sqlalchemy import Insert, Table, bindparam, insert, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from almerepas.core import clock
from almerepas.core.inserted import attach
from almerepas.ledger.errors import EntryExists, InsufficientBalance
from almerepas.ledger.models import Account, EntryKind, JournalEntry, Transfer

if TYPE_CHECKING:
    from almerepas.ledger.posting import Leg


def post_single(
    session: Session,
    *,
    kind: EntryKind,
    natural_key: str,
    legs: Sequence[Leg],
    account: Account | None,
    delta: int,
    actor: str,
    idempotency_key: str | None,
    effective_at: dt.datetime | None,
    memo: str | None,
) -> tuple[JournalEntry, int | None]:
    """post_entry for an entry that changes at most one cached balance, in three statements
    and without a savepoint: the guarded UPDATE first (a refusal has changed nothing), then the
    entry (``ON CONFLICT DO NOTHING``: a duplicate key gives the balance back and changes
    nothing either), then the transfers. Core statements; the objects are made persistent
    without another round trip."""
    session.flush()  # what the caller added goes first, as post_entry's own flush did
    connection = session.connection()
    balance: int | None = None
    if account is not None:
        balance = connection.scalar(_GUARDED_UPDATE, {"account_id": account.id, "delta": delta})
        if balance is None:
            raise InsufficientBalance(account=account.code)
    now = clock.now()
    values = {
        "kind": kind,
        "natural_key": natural_key,
        "idempotency_key": idempotency_key,
        "created_by": actor,
        "created_at": now,
        "effective_at": effective_at or now,
        "memo": memo,
    }
    entry_id = connection.scalar(_insert_entry(connection.dialect.name), values)
    if entry_id is None:
        if account is not None:  # undo the UPDATE: its row is still locked by this transaction
            connection.execute(_GIVE_BACK, {"account_id": account.id, "delta": delta})
        raise EntryExists(natural_key=natural_key)
    rows = [
        {
            "entry_id": entry_id,
            "debit_account_id": leg.debit.id,
            "credit_account_id": leg.credit.id,
            "unit": leg.debit.unit,
            "amount": leg.amount,
        }
        for leg in legs
    ]
    transfer_ids = list(connection.scalars(_INSERT_TRANSFERS, rows))
    entry = attach(session, JournalEntry(id=entry_id, **values))
    transfers = [
        attach(session, Transfer(id=transfer_id, **row))
        for transfer_id, row in zip(transfer_ids, rows, strict=True)
    ]
    set_committed_value(entry, "transfers", transfers)
    for transfer in transfers:
        set_committed_value(transfer, "entry", entry)
    return entry, balance


_accounts = cast(Table, Account.__table__)
_entries = cast(Table, JournalEntry.__table__)
_transfers = cast(Table, Transfer.__table__)
_GUARDED_UPDATE = (
    update(_accounts)
    .where(_accounts.c.id == bindparam("account_id"))
    .where(
        _accounts.c.min_balance.is_(None)
        | (_accounts.c.balance + bindparam("delta") >= _accounts.c.min_balance)
    )
    .values(balance=_accounts.c.balance + bindparam("delta"))
    .returning(_accounts.c.balance)
)
_GIVE_BACK = (
    update(_accounts)
    .where(_accounts.c.id == bindparam("account_id"))
    .values(balance=_accounts.c.balance - bindparam("delta"))
)
_INSERT_TRANSFERS = insert(_transfers).returning(_transfers.c.id, sort_by_parameter_order=True)
_INSERT_ENTRY = {
    "postgresql": pg_insert(_entries).on_conflict_do_nothing().returning(_entries.c.id),
    "sqlite": sqlite_insert(_entries).on_conflict_do_nothing().returning(_entries.c.id),
}


def _insert_entry(dialect: str) -> Insert:
    return _INSERT_ENTRY[dialect]
