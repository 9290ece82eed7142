"""Write a batch job's rows as fast as the database loads them: COPY on PostgreSQL.

A grant run opens tens of thousands of accounts, each funded by one entry. Per-row statements
(or SQLAlchemy's insertmanyvalues with RETURNING, one statement per row on SQLite) cost several
times the database's own load speed, so the ids are reserved up front and the rows are written
with one COPY per table on PostgreSQL and one driver executemany on SQLite, inside the session's
transaction. Flushes, never commits.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, func, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from almerepas.core import clock
from almerepas.ledger.errors import (
    AccountNotFound,
    EntryExists,
    InsufficientBalance,
    SameAccount,
    UnitMismatch,
)
from almerepas.ledger.models import Account, AccountKind, EntryKind, JournalEntry, Transfer
from almerepas.ledger.posting import BOUNDED_KINDS, Move, apply_deltas, require_quantity


def reserve_ids(session: Session, table: Table, count: int) -> list[int]:
    """``count`` fresh primary keys for ``table``, to be written by ``insert_rows``.

    PostgreSQL: taken from the table's sequence in one query, so concurrent inserts never get
    them. SQLite: the ones after the highest id; the transaction holds the database's write lock
    (BEGIN IMMEDIATE), so nobody else can take them before the rows are written.
    """
    if count <= 0:
        return []
    connection = session.connection()
    name = table.name
    if connection.dialect.name == "postgresql":
        return list(
            connection.scalars(
                text(
                    "SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                    "FROM generate_series(1, :count)"
                ),
                {"table": name, "count": count},
            )
        )
    highest = connection.scalar(select(func.coalesce(func.max(table.c.id), 0)))
    return list(range(int(highest or 0) + 1, int(highest or 0) + 1 + count))


def insert_rows(
    session: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[object]]
) -> None:
    """Insert ``rows`` (tuples in the order of ``columns``) with COPY on PostgreSQL and one
    executemany on SQLite, on the session's connection and so in its transaction.

    Values pass through each column's own bind processing (an enum becomes its value, a
    datetime SQLite's text), once per distinct value: a batch repeats its moment and its kinds.
    A constraint that fails raises SQLAlchemy's IntegrityError, as an ORM insert would.
    """
    if not rows:
        return
    session.flush()  # what the caller added goes first
    connection = session.connection()
    processed = _processed(connection, table, columns, rows)
    names = ", ".join(columns)
    raw = cast(Any, connection.connection.driver_connection)
    dbapi = connection.dialect.loaded_dbapi
    if connection.dialect.name == "postgresql":
        statement = f"COPY {table.name} ({names}) FROM STDIN"
        try:
            with raw.cursor() as cursor, cursor.copy(statement) as copy:
                for row in processed:
                    copy.write_row(row)
        except dbapi.IntegrityError as exc:
            raise IntegrityError(statement, None, exc) from exc
        return
    marks = ", ".join("?" for _ in columns)  # names from the table's metadata, never input
    statement = f"INSERT INTO {table.name} ({names}) VALUES ({marks})"  # noqa: S608
    try:
        raw.cursor().executemany(statement, processed)
    except dbapi.IntegrityError as exc:
        raise IntegrityError(statement, None, exc) from exc


def _processed(
    connection: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[object]]
) -> list[tuple[object, ...]]:
    """The rows as the driver takes them, column by column: each distinct value is processed
    once (a batch repeats its moment and its kinds)."""
    dialect = connection.dialect
    values: list[Sequence[object]] = list(zip(*rows, strict=True))
    for index, name in enumerate(columns):
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            done = {v: None if v is None else process(v) for v in set(values[index])}
            values[index] = [done[v] for v in values[index]]
    return list(zip(*values, strict=True))


class Funded(NamedTuple):
    """One new account to open with its first entry: ``amount`` from the funding account (a
    named tuple: a grant run builds one per person)."""

    code: str
    name: str
    natural_key: str
    amount: int


def fund_new_accounts(
    session: Session,
    *,
    funding_id: int,
    accounts: Sequence[Funded],
    kind: AccountKind,
    unit: str,
    entry_kind: EntryKind,
    actor: str,
    effective_at: dt.datetime,
) -> list[tuple[int, int]]:
    """Open bounded accounts and post to each its first entry from one funding account, in a
    handful of statements; returns (account id, entry id) in the order of ``accounts``.

    The ledger's rules for a batch: the accounts are in ``unit``, the funding account's (else
    UnitMismatch); every entry balances (one transfer, from the funding account
    to the new one) and the funding account is debited the total through one guarded UPDATE,
    first, so a refusal (InsufficientBalance) has changed nothing. A new account starts with
    the balance its one transfer gives it, which is what a guarded UPDATE would have left.

    :raises EntryExists: an entry with one of these natural keys was posted before (nothing is
        kept).
    """
    if not accounts:
        return []
    for spec in accounts:
        require_quantity(spec.amount)
    funding = session.execute(
        select(Account.unit, Account.code, Account.cached).where(Account.id == funding_id)
    ).one_or_none()
    if funding is None:
        raise AccountNotFound()
    if funding.unit != unit:  # the new accounts are in ``unit``: a transfer never mixes units
        raise UnitMismatch(debit=funding.code)
    total = sum(spec.amount for spec in accounts)
    bound = 0 if kind in BOUNDED_KINDS else None
    now = clock.now()
    account_table = cast(Table, Account.__table__)
    with _all_or_nothing(session, [funding_id]):
        if funding.cached:
            debited = session.execute(
                update(Account)
                .where(Account.id == funding_id)
                .where(
                    (Account.min_balance.is_(None))
                    | (Account.balance - total >= Account.min_balance)
                )
                .values(balance=Account.balance - total)
                .execution_options(synchronize_session=False)
            )
            if debited.rowcount != 1:  # type: ignore[attr-defined]
                raise InsufficientBalance(account=funding.code)
        account_ids = reserve_ids(session, account_table, len(accounts))
        entry_ids = _insert_entries(
            session, entry_kind, [spec.natural_key for spec in accounts], actor, now, effective_at
        )
        insert_rows(
            session,
            account_table,
            (
                "id",
                "code",
                "name",
                "kind",
                "unit",
                "min_balance",
                "balance",
                "cached",
                "created_at",
            ),
            [
                (
                    account_id,
                    spec.code,
                    spec.name[:200],
                    kind,
                    unit,
                    bound,
                    spec.amount,
                    True,
                    now,
                )
                for account_id, spec in zip(account_ids, accounts, strict=True)
            ],
        )
        insert_rows(
            session,
            cast(Table, Transfer.__table__),
            ("entry_id", "debit_account_id", "credit_account_id", "unit", "amount"),
            [
                (entry_id, funding_id, account_id, unit, spec.amount)
                for account_id, entry_id, spec in zip(account_ids, entry_ids, accounts, strict=True)
            ],
        )
    return list(zip(account_ids, entry_ids, strict=True))


def post_moves(
    session: Session,
    *,
    kind: EntryKind,
    moves: Sequence[Move],
    actor: str,
    effective_at: dt.datetime,
) -> list[int]:
    """A batch of one-transfer entries (expiries), written the bulk way: the entry ids reserved,
    entries and transfers loaded with insert_rows (COPY on PostgreSQL). All moves or none; every
    balance through posting.apply_deltas's guarded UPDATEs (one per distinct delta). Returns the
    entry ids in the order of ``moves``."""
    if not moves:
        return []
    ids: set[int] = set()
    for move in moves:
        require_quantity(move.amount)
        if move.debit_id == move.credit_id:
            raise SameAccount()
        ids.update((move.debit_id, move.credit_id))
    session.flush()
    accounts = {  # Core rows: a batch's thousand accounts without the ORM's work per row
        row.id: row
        for row in session.connection().execute(
            select(Account.id, Account.unit, Account.code, Account.cached).where(
                Account.id.in_(ids)
            )
        )
    }
    if set(accounts) != ids:
        raise AccountNotFound()
    deltas: dict[int, int] = defaultdict(int)
    for move in moves:
        if accounts[move.debit_id].unit != accounts[move.credit_id].unit:
            raise UnitMismatch(debit=accounts[move.debit_id].code)
        deltas[move.debit_id] -= move.amount
        deltas[move.credit_id] += move.amount
    now = clock.now()
    with _all_or_nothing(session, ids):
        apply_deltas(
            session,
            {i: d for i, d in deltas.items() if accounts[i].cached},
            {i: a.code for i, a in accounts.items()},
        )
        entry_ids = _insert_entries(
            session, kind, [move.natural_key for move in moves], actor, now, effective_at
        )
        insert_rows(
            session,
            cast(Table, Transfer.__table__),
            ("entry_id", "debit_account_id", "credit_account_id", "unit", "amount"),
            [
                (entry_id, m.debit_id, m.credit_id, accounts[m.debit_id].unit, m.amount)
                for entry_id, m in zip(entry_ids, moves, strict=True)
            ],
        )
    return entry_ids


def _insert_entries(
    session: Session,
    kind: EntryKind,
    natural_keys: list[str],
    actor: str,
    now: dt.datetime,
    effective_at: dt.datetime,
) -> list[int]:
    """One journal entry per natural key, their ids reserved first; the ids in that order."""
    table = cast(Table, JournalEntry.__table__)
    ids = reserve_ids(session, table, len(natural_keys))
    insert_rows(
        session,
        table,
        ("id", "kind", "natural_key", "created_by", "created_at", "effective_at"),
        [
            (entry_id, kind, key, actor, now, effective_at)
            for entry_id, key in zip(ids, natural_keys, strict=True)
        ],
    )
    return ids


@contextmanager
def _all_or_nothing(session: Session, touched: Iterable[int]) -> Iterator[None]:
    """A batch in a savepoint: any refusal or failed constraint keeps none of it (an entry
    whose natural key was posted before is EntryExists); once kept, the balances of the
    ``touched`` accounts are read again, as the batch changed them past the ORM."""
    savepoint = session.begin_nested()
    try:
        yield
    except IntegrityError as exc:
        savepoint.rollback()
        if "natural_key" in str(exc.orig):
            raise EntryExists() from exc
        raise
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    for account_id in touched:
        known = session.identity_map.get(Session.identity_key(Account, account_id))
        if known is not None:
            session.expire(known, ["balance"])
