"""The ledger's rules: integers only, one unit per transfer, no overdraft, atomic refusals."""

from __future__ import annotations

import decimal
import uuid

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from almerepas.ledger import posting as ledger
from almerepas.ledger.errors import (
    EmptyEntry,
    EntryExists,
    InsufficientBalance,
    InvalidAmount,
    SameAccount,
    UnitMismatch,
)
from almerepas.ledger.posting import Leg
from almerepas.models import Account, AccountKind, EntryKind, JournalEntry, Transfer
from tests.factories import funded_account, make_account


def post(session: Session, *legs: Leg, key: str | None = None) -> JournalEntry:
    return ledger.post_entry(
        session,
        kind=EntryKind.redemption,
        natural_key=key or f"test:{uuid.uuid4().hex}",
        legs=list(legs),
        actor="test",
    )


def entry_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(JournalEntry)) or 0


def test_grant_moves_money_and_records_one_balanced_entry(db: Session) -> None:
    source, budget = funded_account(db, 300_00)

    assert budget.balance == 300_00
    assert source.balance == -300_00
    entry = db.scalars(select(JournalEntry).order_by(JournalEntry.id.desc())).first()
    assert entry is not None and entry.kind is EntryKind.grant
    assert [(t.debit_account_id, t.credit_account_id, t.amount) for t in entry.transfers] == [
        (source.id, budget.id, 300_00)
    ]
    assert ledger.find_drift(db) == []


def test_a_budget_can_be_spent_to_exactly_zero_but_not_below(db: Session) -> None:
    _, budget = funded_account(db, 100)
    club = make_account(db, AccountKind.payable)

    post(db, Leg(budget, club, 60))
    before = entry_count(db)
    with pytest.raises(InsufficientBalance):
        post(db, Leg(budget, club, 41))
    post(db, Leg(budget, club, 40))

    assert budget.balance == 0
    assert club.balance == 100
    assert entry_count(db) == before + 1  # the refused entry left nothing behind


@pytest.mark.parametrize("amount", [1.0, 2.5, decimal.Decimal("3"), "4", True, None])
def test_anything_but_an_integer_amount_is_refused(db: Session, amount: object) -> None:
    _, budget = funded_account(db, 100)
    club = make_account(db, AccountKind.payable)
    with pytest.raises(InvalidAmount):
        post(db, Leg(budget, club, amount))  # type: ignore[arg-type]
    assert budget.balance == 100


@pytest.mark.parametrize("amount", [0, -1, -100])
def test_zero_and_negative_amounts_are_refused(db: Session, amount: int) -> None:
    _, budget = funded_account(db, 100)
    club = make_account(db, AccountKind.payable)
    with pytest.raises(InvalidAmount):
        post(db, Leg(club, budget, amount))


def test_units_cannot_be_mixed(db: Session) -> None:
    _, packs = funded_account(db, 5, unit="PACK")
    club = make_account(db, AccountKind.payable)
    with pytest.raises(UnitMismatch):
        post(db, Leg(packs, club, 1))
    assert packs.balance == 5


def test_an_entry_needs_transfers_between_two_accounts(db: Session) -> None:
    _, budget = funded_account(db, 5)
    with pytest.raises(EmptyEntry):
        post(db)
    with pytest.raises(SameAccount):
        post(db, Leg(budget, budget, 1))


def test_a_refused_leg_undoes_the_legs_before_it(db: Session) -> None:
    """A quota redemption books packs and euros in one entry: both or neither."""
    _, packs = funded_account(db, 1, unit="PACK")
    consumed = make_account(db, AccountKind.consumed, "PACK")
    _, euros = funded_account(db, 100)
    payable = make_account(db, AccountKind.payable)

    with pytest.raises(InsufficientBalance):
        post(db, Leg(euros, payable, 50), Leg(packs, consumed, 2))

    assert (euros.balance, payable.balance, packs.balance, consumed.balance) == (100, 0, 1, 0)
    post(db, Leg(euros, payable, 50), Leg(packs, consumed, 1))
    assert (euros.balance, payable.balance, packs.balance, consumed.balance) == (50, 50, 0, 1)


def test_unbounded_accounts_may_go_negative(db: Session) -> None:
    payable = make_account(db, AccountKind.payable)
    bank = make_account(db, AccountKind.clearing)
    post(db, Leg(payable, bank, 500))
    assert payable.balance == -500
    assert payable.min_balance is None


def test_the_same_natural_key_posts_once(db: Session) -> None:
    _, budget = funded_account(db, 100)
    club = make_account(db, AccountKind.payable)
    post(db, Leg(budget, club, 10), key="redemption:once")
    with pytest.raises(EntryExists):
        post(db, Leg(budget, club, 10), key="redemption:once")
    assert budget.balance == 90
    assert ledger.find_drift(db) == []


def test_database_refuses_a_transfer_in_the_wrong_unit(db: Session) -> None:
    """The composite foreign key (account, unit) is the backstop for mixed units."""
    _, packs = funded_account(db, 5, unit="PACK")
    club = make_account(db, AccountKind.payable)
    entry = db.scalars(select(JournalEntry)).first()
    assert entry is not None
    with pytest.raises(IntegrityError), db.begin_nested():
        db.add(
            Transfer(
                entry_id=entry.id,
                debit_account_id=packs.id,
                credit_account_id=club.id,
                unit="EUR",
                amount=1,
            )
        )
        db.flush()


def test_database_refuses_zero_amounts_and_balances_below_the_minimum(db: Session) -> None:
    _, budget = funded_account(db, 5)
    club = make_account(db, AccountKind.payable)
    entry = db.scalars(select(JournalEntry)).first()
    assert entry is not None
    with pytest.raises(IntegrityError), db.begin_nested():
        db.add(
            Transfer(
                entry_id=entry.id,
                debit_account_id=budget.id,
                credit_account_id=club.id,
                unit="EUR",
                amount=0,
            )
        )
        db.flush()
    with pytest.raises(IntegrityError), db.begin_nested():
        db.execute(text("UPDATE account SET balance = -1 WHERE id = :id"), {"id": budget.id})


def test_drift_between_cached_balance_and_transfers_is_found(db: Session) -> None:
    _, budget = funded_account(db, 50)
    assert ledger.find_drift(db) == []
    db.execute(text("UPDATE account SET balance = 49 WHERE id = :id"), {"id": budget.id})
    db.expire_all()
    drift = ledger.find_drift(db)
    assert [(d.code, d.cached, d.computed) for d in drift] == [(budget.code, 49, 50)]


def test_balances_sum_to_zero_per_unit(db: Session) -> None:
    funded_account(db, 70)
    funded_account(db, 3, unit="PACK")
    totals = ledger.unit_totals(db)
    assert totals["EUR"] == 0
    assert totals["PACK"] == 0


def test_opening_an_account_twice_is_refused(db: Session) -> None:
    from almerepas.ledger.errors import AccountExists

    make_account(db, code="funding:test:2026", kind=AccountKind.funding)
    with pytest.raises(AccountExists):
        make_account(db, code="funding:test:2026", kind=AccountKind.funding)


def test_funding_and_entitlements_are_bounded_by_default(db: Session) -> None:
    assert make_account(db, AccountKind.funding).min_balance == 0
    assert make_account(db, AccountKind.entitlement).min_balance == 0
    assert make_account(db, AccountKind.source).min_balance is None
    assert make_account(db, AccountKind.payable).min_balance is None


def test_an_uncached_account_is_never_updated_and_sums_its_transfers(db: Session) -> None:
    """A payee's account keeps no cached balance: no row that every redemption updates."""
    _, budget = funded_account(db, 100)
    payee = make_account(db, AccountKind.payable, cached=False)
    post(db, Leg(budget, payee, 30))
    post(db, Leg(budget, payee, 20))
    post(db, Leg(payee, budget, 5))
    assert db.scalar(select(Account.balance).where(Account.id == payee.id)) == 0
    assert ledger.balance_of(db, payee) == 45
    assert ledger.balance_of(db, budget) == 55
    assert ledger.find_drift(db) == []
    assert set(ledger.unit_totals(db).values()) == {0}  # the payee counted by its transfers


def test_an_uncached_account_cannot_be_bounded(db: Session) -> None:
    with pytest.raises(InvalidAmount):
        make_account(db, AccountKind.payable, cached=False, min_balance=0)
    payee = make_account(db, AccountKind.payable, cached=False)
    with pytest.raises(IntegrityError), db.begin_nested():
        db.execute(text("UPDATE account SET min_balance = 0 WHERE id = :id"), {"id": payee.id})
