"""core.inserted.loaded hands a Core row on as the session's object, up to date with the row."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from almerepas.core.inserted import columns_of, loaded
from almerepas.ledger.models import Account
from tests.factories import make_account

ACCOUNTS = cast(Table, Account.__table__)


def _row(db: Session, account_id: int) -> Any:
    statement = select(*columns_of(ACCOUNTS, Account, "a_")).where(ACCOUNTS.c.id == account_id)
    return db.connection().execute(statement).one()._mapping


def test_a_row_changed_elsewhere_is_seen_on_the_sessions_object(db: Session) -> None:
    """What another session wrote (a device revoked by staff) counts on the next read."""
    account = make_account(db)
    db.connection().execute(
        update(ACCOUNTS).where(ACCOUNTS.c.id == account.id).values(name="after")
    )
    again = loaded(db, Account, _row(db, account.id), "a_")
    assert again is account and again.name == "after"


def test_an_unflushed_change_of_the_session_is_kept(db: Session) -> None:
    account = make_account(db)
    account.name = "mine"
    again = loaded(db, Account, _row(db, account.id), "a_")
    assert again is account and again.name == "mine"


def test_a_row_the_session_does_not_have_becomes_a_persistent_object(db: Session) -> None:
    account_id = make_account(db).id
    db.expunge_all()
    made = loaded(db, Account, _row(db, account_id), "a_")
    assert made.name == "test entitlement" and made in db and db.get(Account, account_id) is made
