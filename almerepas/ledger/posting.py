"""The only code that writes journal entries and changes balances. Flushes, never commits."""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Select, bindparam, event, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.orm.attributes import set_committed_value

from almerepas.core import clock
from almerepas.ledger.errors import (
    AccountExists,
    AccountNotFound,
    EmptyEntry,
    EntryExists,
    InsufficientBalance,
    InvalidAmount,
    SameAccount,
    UnitMismatch,
)
from almerepas.ledger.models import Account, AccountKind, EntryKind, JournalEntry, Transfer
from almerepas.ledger.single import post_single

EUR = "EUR"

#: Kinds whose balance may never go below zero unless a caller says otherwise.
BOUNDED_KINDS = frozenset({AccountKind.funding, AccountKind.entitlement})


@dataclass(frozen=True)
class Leg:
    """One transfer of an entry to be posted: ``amount`` moves from ``debit`` to ``credit``."""

    debit: Account
    credit: Account
    amount: int


def require_quantity(amount: object) -> int:
    """Return ``amount`` if it is a positive integer; refuse floats, bools, Decimals and zero."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidAmount(amount_type=type(amount).__name__)
    if amount <= 0:
        raise InvalidAmount()
    return amount


def open_account(
    session: Session,
    *,
    code: str,
    name: str,
    kind: AccountKind,
    unit: str = EUR,
    min_balance: Literal["by_kind"] | int | None = "by_kind",
    cached: bool = True,
) -> Account:
    """Create an account; funding and entitlement accounts are bounded at zero by default.

    ``cached=False`` opens an unbounded account without a cached balance (see Account.cached).
    """
    if session.scalar(select(Account.id).where(Account.code == code)) is not None:
        raise AccountExists(code=code)
    if min_balance == "by_kind":
        min_balance = 0 if kind in BOUNDED_KINDS and cached else None
    if min_balance is not None and (
        isinstance(min_balance, bool) or not isinstance(min_balance, int)
    ):
        raise InvalidAmount()
    if not cached and min_balance is not None:
        raise InvalidAmount()  # a bound needs the cached balance that guards it
    account = Account(
        code=code,
        name=name[:200],
        kind=kind,
        unit=unit,
        min_balance=min_balance,
        balance=0,
        cached=cached,
    )
    session.add(account)
    session.flush()
    return account


def get_account(session: Session, code: str) -> Account | None:
    return session.scalar(_by_code(), {"code": code})


@functools.cache
def _by_code() -> Select[Account]:
    """get_account's query, built once: a payee's account is read on every redemption."""
    return select(Account).where(Account.code == bindparam("code"))


def account_by_code(session: Session, code: str) -> Account:
    """The account with this code; raises AccountNotFound."""
    account = get_account(session, code)
    if account is None:
        raise AccountNotFound(code=code)
    return account


def ensure_account(
    session: Session,
    *,
    code: str,
    name: str,
    kind: AccountKind,
    unit: str = EUR,
    cached: bool = True,
) -> Account:
    """The account with this code, opened with the default bounds if it does not exist yet.

    Safe when several transactions open the same account at once (a partner's first
    redemptions): the insert runs in a savepoint, and the one that loses the race on the unique
    code reads the winner's account instead of failing.
    """
    found = get_account(session, code)
    if found is not None:
        return found
    try:
        with session.begin_nested():
            return open_account(session, code=code, name=name, kind=kind, unit=unit, cached=cached)
    except (IntegrityError, AccountExists):
        return account_by_code(session, code)


def balance_of(session: Session, account: Account) -> int:
    """An account's balance: the cached one, or the sum of its transfers for an uncached one."""
    if account.cached:
        session.refresh(account, ["balance"])
        return account.balance
    credits = session.scalar(
        select(func.coalesce(func.sum(Transfer.amount), 0)).where(
            Transfer.credit_account_id == account.id
        )
    )
    debits = session.scalar(
        select(func.coalesce(func.sum(Transfer.amount), 0)).where(
            Transfer.debit_account_id == account.id
        )
    )
    return int(credits or 0) - int(debits or 0)


def lock_balances(session: Session, account_ids: Iterable[int]) -> dict[int, int]:
    """Lock these accounts until the transaction ends and return their balances, as committed.

    For an operation that must take *all* that is left (an expiry): with the rows locked no
    redemption can change them between this read and the guarded UPDATE that takes the amount,
    and a redemption that was halfway has committed (PostgreSQL returns the row as it left it).
    Rows are locked in id order, as post_entry updates them, so the two cannot deadlock. On
    SQLite the transaction already holds the database's write lock (BEGIN IMMEDIATE).
    """
    ids = sorted(set(account_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(Account.id, Account.balance)
        .where(Account.id.in_(ids))
        .order_by(Account.id)
        .with_for_update()
    )
    return {account_id: int(balance) for account_id, balance in rows}


def get_entry(session: Session, natural_key: str) -> JournalEntry | None:
    return session.scalar(select(JournalEntry).where(JournalEntry.natural_key == natural_key))


def _validate(legs: Sequence[Leg]) -> None:
    if not legs:
        raise EmptyEntry()
    for leg in legs:
        require_quantity(leg.amount)
        if leg.debit.id == leg.credit.id:
            raise SameAccount(account=leg.debit.code)
        if leg.debit.unit != leg.credit.unit:
            raise UnitMismatch(debit=leg.debit.code, credit=leg.credit.code)


def _net_deltas(legs: Iterable[Leg]) -> dict[int, int]:
    deltas: dict[int, int] = defaultdict(int)
    for leg in legs:
        deltas[leg.debit.id] -= leg.amount
        deltas[leg.credit.id] += leg.amount
    return deltas


def post_entry(
    session: Session,
    *,
    kind: EntryKind,
    natural_key: str,
    legs: Sequence[Leg],
    actor: str,
    idempotency_key: str | None = None,
    effective_at: dt.datetime | None = None,
    memo: str | None = None,
) -> JournalEntry:
    """Post one balanced entry, or refuse it and leave nothing behind.

    Each balance changes through a conditional UPDATE that checks the minimum in the same
    statement, so two concurrent debits can never both pass on a stale balance (PostgreSQL
    re-evaluates the WHERE after a concurrent commit; SQLite writers are serialised by
    BEGIN IMMEDIATE). Accounts are updated in id order so PostgreSQL row locks are always taken
    in the same order and concurrent entries cannot deadlock.

    :raises InsufficientBalance: a bounded account would go below its minimum.
    :raises EntryExists: an entry with this natural key (or idempotency key) was posted before.
    """
    _validate(legs)
    deltas = _net_deltas(legs)
    by_id = {leg.debit.id: leg.debit for leg in legs} | {leg.credit.id: leg.credit for leg in legs}
    guarded = [i for i in sorted(deltas) if deltas[i] != 0 and by_id[i].cached]
    if len(guarded) <= 1:  # a redemption or reversal: one cached balance, no savepoint needed
        entry, balance = post_single(
            session,
            kind=kind,
            natural_key=natural_key,
            legs=legs,
            account=by_id[guarded[0]] if guarded else None,
            delta=deltas[guarded[0]] if guarded else 0,
            actor=actor,
            idempotency_key=idempotency_key,
            effective_at=effective_at,
            memo=memo,
        )
        _settle_objects(session, by_id, {guarded[0]: balance} if balance is not None else {})
        return entry

    # A savepoint makes a refusal atomic: an earlier leg's update is undone with it.
    after: dict[int, int] = {}
    savepoint = session.begin_nested()
    try:
        entry = JournalEntry(
            kind=kind,
            natural_key=natural_key,
            idempotency_key=idempotency_key,
            created_by=actor,
            created_at=clock.now(),
            effective_at=effective_at or clock.now(),
            memo=memo,
        )
        session.add(entry)
        # Insert the entry first: a duplicate key fails here, before any balance is touched.
        session.flush()
        for account_id in sorted(deltas):
            delta = deltas[account_id]
            if delta == 0 or not by_id[account_id].cached:
                continue  # an uncached account's balance is the sum of its transfers
            balance = session.scalar(
                update(Account)
                .where(Account.id == account_id)
                .where(
                    (Account.min_balance.is_(None))
                    | (Account.balance + delta >= Account.min_balance)
                )
                .values(balance=Account.balance + delta)
                .returning(Account.balance)
                .execution_options(synchronize_session=False)
            )
            if balance is None:
                raise InsufficientBalance(account=by_id[account_id].code)
            after[account_id] = balance
        session.add_all(
            Transfer(
                entry=entry,
                debit_account_id=leg.debit.id,
                credit_account_id=leg.credit.id,
                unit=leg.debit.unit,
                amount=leg.amount,
            )
            for leg in legs
        )
        session.flush()
    except IntegrityError as exc:
        savepoint.rollback()
        if "natural_key" in str(exc.orig) or "idempotency_key" in str(exc.orig):
            raise EntryExists(natural_key=natural_key) from exc
        raise
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    _settle_objects(session, by_id, after)
    return entry


def _settle_objects(session: Session, by_id: dict[int, Account], after: dict[int, int]) -> None:
    """Put on each account object the balance the entry left (as its UPDATE returned it), or
    expire it, so that nothing reads a balance from before the entry."""
    for account_id, account in by_id.items():
        if account_id in after:
            set_committed_value(account, "balance", after[account_id])
            session.info.setdefault(_BALANCES_SET, set()).add(account)
        else:
            session.expire(account, ["balance"])


#: session.info key: accounts whose balance post_entry set from UPDATE ... RETURNING.
_BALANCES_SET = "ledger.balances_set"


@event.listens_for(Session, "after_soft_rollback")
def _forget_balances(session: Session, _previous: SessionTransaction) -> None:
    """A rollback (also of a savepoint) undoes the UPDATE but not the value post_entry put on
    the object: expire it, so that nothing reads a balance that was never committed."""
    for account in session.info.pop(_BALANCES_SET, ()):
        if account in session:
            session.expire(account, ["balance"])


@event.listens_for(Session, "after_commit")
def _committed_balances(session: Session) -> None:
    session.info.pop(_BALANCES_SET, None)


# -- checks ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Drift:
    """An account whose cached balance differs from the sum of its transfers."""

    code: str
    cached: int
    computed: int


def computed_balances(session: Session) -> dict[int, int]:
    """Credits minus debits per account, summed from the transfers themselves."""
    balances: dict[int, int] = defaultdict(int)
    for column, sign in ((Transfer.credit_account_id, 1), (Transfer.debit_account_id, -1)):
        rows = session.execute(select(column, func.sum(Transfer.amount)).group_by(column))
        for account_id, total in rows:
            balances[account_id] += sign * int(total)
    return dict(balances)


def find_drift(session: Session) -> list[Drift]:
    """Every account whose cached balance is not the sum of its transfers (should be none)."""
    computed = computed_balances(session)
    rows = session.execute(
        select(Account.id, Account.code, Account.balance).where(Account.cached.is_(True))
    )
    return [
        Drift(code=code, cached=balance, computed=computed.get(account_id, 0))
        for account_id, code, balance in rows
        if balance != computed.get(account_id, 0)
    ]


def unit_totals(session: Session) -> dict[str, int]:
    """The sum of all balances per unit (cached, or summed for an uncached account); double
    entry keeps every one at zero."""
    computed = computed_balances(session)
    totals: dict[str, int] = defaultdict(int)
    for account_id, unit, balance, cached in session.execute(
        select(Account.id, Account.unit, Account.balance, Account.cached)
    ):
        totals[unit] += int(balance) if cached else computed.get(account_id, 0)
    return dict(totals)


# -- many entries at once -------------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    """One one-transfer entry of a batch: ``amount`` from ``debit_id`` to ``credit_id``."""

    natural_key: str
    debit_id: int
    credit_id: int
    amount: int


def apply_deltas(session: Session, deltas: dict[int, int], codes: dict[int, str]) -> None:
    """Change many balances in a few statements: one guarded UPDATE per distinct delta.

    Every account whose delta is negative is guarded in the same statement as in post_entry;
    if any of them would go below its minimum the UPDATE touches fewer rows than asked and the
    whole batch is refused.
    """
    by_delta: dict[int, list[int]] = defaultdict(list)
    for account_id, delta in deltas.items():
        if delta:
            by_delta[delta].append(account_id)
    for delta in sorted(by_delta):  # debits (negative) first, so a refusal comes early
        ids = sorted(by_delta[delta])
        query = update(Account).where(Account.id.in_(ids))
        if delta < 0:
            query = query.where(
                (Account.min_balance.is_(None)) | (Account.balance + delta >= Account.min_balance)
            )
        result = session.execute(
            query.values(balance=Account.balance + delta).execution_options(
                synchronize_session=False
            )
        )
        if result.rowcount != len(ids):  # type: ignore[attr-defined]
            short = session.scalar(
                select(Account.code)
                .where(Account.id.in_(ids), Account.min_balance.is_not(None))
                .where(Account.balance + delta < Account.min_balance)
                .order_by(Account.id)
                .limit(1)
            )
            raise InsufficientBalance(account=short or codes.get(ids[0], ""))
