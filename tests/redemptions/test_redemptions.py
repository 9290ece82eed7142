"""Redeem from a grant and reverse it, on the ledger: what is taken, refused and given back."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.audit.log import Actor
from almerepas.grants import expiry
from almerepas.grants import runs as grants
from almerepas.ledger import posting as ledger
from almerepas.ledger.errors import EntryExists, InvalidAmount
from almerepas.models import Account, AuditEvent, Grant, Redemption
from almerepas.redemptions import ledger as redemptions
from almerepas.redemptions.errors import (
    GrantExpired,
    InsufficientBudget,
    NotRedeemable,
    QuotaExhausted,
    ReversalTooLarge,
)
from almerepas.schemes import catalogue as schemes
from tests.factories import TEST_ACTOR
from tests.redemptions.support import JUNE, child_budget, monthly_grant

JULY = dt.datetime(2026, 7, 1, 9, 0, tzinfo=dt.UTC)


def left(session: Session, grant: Grant) -> int:
    assert grant.account is not None
    return ledger.balance_of(session, grant.account)


def redeem(session: Session, grant: Grant, amount: int, ref: str, **kw: object) -> Redemption:
    payee = redemptions.payee_account(session, "sportclub", unit=grant.scheme.unit)
    options: dict[str, object] = {"now": JUNE} | kw
    return redemptions.redeem(
        session, grant, amount, payee_account=payee, actor=TEST_ACTOR, reference=ref,
        **options,  # type: ignore[arg-type]
    )  # fmt: skip


def test_a_redemption_takes_from_the_budget_and_never_beyond_it(reference: Session) -> None:
    grant = child_budget(reference)
    redeem(reference, grant, 120_00, "r1")
    with pytest.raises(InsufficientBudget):
        redeem(reference, grant, 180_01, "r2")
    redeem(reference, grant, 180_00, "r3")
    assert left(reference, grant) == 0
    payee = redemptions.payee_account(reference, "sportclub")
    assert ledger.balance_of(reference, payee) == 300_00
    # No hot row: the payee's row is never updated, its balance is the sum of its transfers.
    assert reference.scalar(select(Account.balance).where(Account.id == payee.id)) == 0
    assert ledger.find_drift(reference) == []
    assert set(ledger.unit_totals(reference).values()) == {0}
    actions = reference.scalars(
        select(AuditEvent.action).where(AuditEvent.action.like("redemptions.%"))
    ).all()
    assert actions == ["redemptions.redeem", "redemptions.redeem"]


def test_refusals_change_nothing(reference: Session) -> None:
    grant = child_budget(reference)
    redeem(reference, grant, 10_00, "once")
    with pytest.raises(EntryExists):
        redeem(reference, grant, 10_00, "once")  # the same reference is booked once
    for amount in (0, -5, 1.5, "500"):
        with pytest.raises(InvalidAmount):
            redeem(reference, grant, amount, f"bad-{amount}")
    assert left(reference, grant) == 290_00


def test_a_quota_runs_out_in_units(reference: Session) -> None:
    packs = monthly_grant(reference, "menstruatie")
    redeem(reference, packs, 2, "p1")
    with pytest.raises(QuotaExhausted):
        redeem(reference, packs, 2, "p2")
    redeem(reference, packs, 1, "p3")
    assert left(reference, packs) == 0


def test_a_right_has_nothing_to_redeem(reference: Session) -> None:
    monthly_grant(reference, "menstruatie")  # a household to grant free travel to
    grants.issue(reference, period="2026-06", actor=Actor("t"), today=dt.date(2026, 6, 1))
    ov = schemes.get_scheme(reference, "ov")
    right = reference.scalars(select(Grant).where(Grant.scheme_id == ov.id)).first()
    assert right is not None and right.account is None
    payee = redemptions.payee_account(reference, "bus")
    with pytest.raises(NotRedeemable):
        redemptions.redeem(
            reference, right, 1, payee_account=payee, actor=TEST_ACTOR, now=JUNE, reference="x"
        )


def test_a_grant_expires_with_its_period_even_before_the_expiry_run(reference: Session) -> None:
    discount = monthly_grant(reference, "supermarkt")
    redeem(reference, discount, 10_00, "june")
    with pytest.raises(GrantExpired):
        redeem(reference, discount, 10_00, "july", now=JULY)
    expiry.expire(reference, period="2026-06", actor=Actor("t"), today=dt.date(2026, 7, 1))
    reference.refresh(discount)
    with pytest.raises(GrantExpired):
        redeem(reference, discount, 1, "late")  # even with a clock that says June
    assert left(reference, discount) == 0


def test_a_reversal_returns_to_the_grant_and_never_more_than_was_taken(reference: Session) -> None:
    grant = child_budget(reference)
    redemption = redeem(reference, grant, 100_00, "r")
    redemptions.reverse(reference, redemption, 30_00, actor=TEST_ACTOR, now=JUNE)
    assert left(reference, grant) == 230_00
    with pytest.raises(ReversalTooLarge):
        redemptions.reverse(reference, redemption, 70_01, actor=TEST_ACTOR, now=JUNE)
    redemptions.reverse(reference, redemption, 70_00, actor=TEST_ACTOR, now=JUNE)
    assert left(reference, grant) == 300_00
    with pytest.raises(ReversalTooLarge):
        redemptions.reverse(reference, redemption, 1, actor=TEST_ACTOR, now=JUNE)
    assert ledger.balance_of(reference, redemptions.payee_account(reference, "sportclub")) == 0
    assert ledger.find_drift(reference) == []


def test_a_reversal_after_expiry_goes_to_the_schemes_funding(reference: Session) -> None:
    discount = monthly_grant(reference, "supermarkt")
    redemption = redeem(reference, discount, 20_00, "june")
    expiry.expire(reference, period="2026-06", actor=Actor("t"), today=dt.date(2026, 7, 1))
    funding = ledger.account_by_code(reference, "funding:supermarkt:2026")
    before = ledger.balance_of(reference, funding)

    redemptions.reverse(reference, redemption, 15_00, actor=TEST_ACTOR, now=JULY)

    assert left(reference, discount) == 0  # the expired entitlement takes nothing back
    assert ledger.balance_of(reference, funding) == before + 15_00
    events = reference.scalars(
        select(AuditEvent.changes).where(AuditEvent.action == "redemptions.reverse")
    ).all()
    assert events == [{"amount": 15_00, "to": "funding:supermarkt:2026"}]
    assert ledger.find_drift(reference) == []
    assert set(ledger.unit_totals(reference).values()) == {0}
