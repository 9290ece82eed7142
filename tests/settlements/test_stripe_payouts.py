"""Paying a run's Stripe partners through the finance API, against the loopback Stripe fake:
each payment once, whatever Stripe does, and the ledger in step."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.ledger import posting as ledger
from almerepas.settlements import accounts
from almerepas.settlements.models import PaymentStatus, SettlementPayment
from almerepas.staff.models import Role
from tests.factories import staff_headers
from tests.fixtures import FrozenClock
from tests.redemptions.support import child_budget
from tests.settlements.stripe_fake import API_KEY, StripeFake
from tests.settlements.support import JULY, contracted, redeem_at

ACCOUNTS = ("acct_zwemclub01", "acct_dansschool1")


@pytest.fixture
def approved(
    app: Flask, client: FlaskClient, reference: Session, frozen_clock: FrozenClock,
    stripe_fake: StripeFake,
) -> tuple[str, dict[str, str]]:  # fmt: skip
    """June's run, approved: two Stripe partners (€ 40 and € 25) and one SEPA partner."""
    app.config.update(STRIPE_API_KEY=API_KEY, STRIPE_API_BASE=stripe_fake.url)
    grant = child_budget(reference)
    for name, account, amount in (
        ("Zwemclub", ACCOUNTS[0], 40_00),
        ("Dansschool", ACCOUNTS[1], 25_00),
    ):
        stripe_fake.add_account(account)
        partner, place = contracted(
            reference, "stadsfonds", name=name, payout_method="stripe", stripe_account=account
        )
        redeem_at(reference, grant, partner, place, amount)
    bank_partner, place = contracted(reference, "stadsfonds", name="Bibliotheek")
    redeem_at(reference, grant, bank_partner, place, 10_00)
    frozen_clock.set(JULY)
    fien = staff_headers(client, reference, Role.finance)
    ahmed = staff_headers(client, reference, Role.finance)
    run = client.post(
        "/api/v1/settlement-runs", json={"period": "2026-06"}, headers=fien
    ).get_json()
    url = f"/api/v1/settlement-runs/{run['id']}"
    approval = client.post(f"{url}/approval", json={"lines_hash": run["lines_hash"]}, headers=ahmed)
    assert approval.status_code == 200, approval.get_json()
    return url, ahmed


def payments(session: Session) -> dict[str, SettlementPayment]:
    found = session.scalars(select(SettlementPayment)).all()
    return {p.stripe_account or "sepa": p for p in found}


def test_each_stripe_partner_is_paid_once_and_the_run_waits_for_the_sepa_file(
    client: FlaskClient, approved: tuple[str, dict[str, str]], stripe_fake: StripeFake,
    reference: Session,
) -> None:  # fmt: skip
    url, headers = approved
    paid = client.post(f"{url}/stripe-payouts", headers=headers)
    assert paid.status_code == 200, paid.get_json()
    assert len(paid.get_json()["paid"]) == 2 and paid.get_json()["failed"] == []
    assert paid.get_json()["run"]["status"] == "approved"  # the SEPA partner is not paid yet
    again = client.post(f"{url}/stripe-payouts", headers=headers).get_json()
    assert again["paid"] == []
    by = payments(reference)
    for account, amount in zip(ACCOUNTS, (40_00, 25_00), strict=True):
        [transfer] = stripe_fake.transfers_for(by[account].id)
        assert (transfer["amount"], transfer["destination"]) == (amount, account)
        assert by[account].stripe_transfer_id == transfer["id"]
    assert client.post(f"{url}/sepa-file", headers=headers).status_code == 201
    assert client.get(url, headers=headers).get_json()["status"] == "paid_out"
    assert client.post(f"{url}/confirmation", headers=headers).status_code == 200
    assert ledger.balance_of(reference, ledger.account_by_code(reference, accounts.BANK)) == 75_00
    assert ledger.find_drift(reference) == []


def test_a_lost_answer_is_found_on_the_retry_not_paid_again(
    client: FlaskClient, approved: tuple[str, dict[str, str]], stripe_fake: StripeFake,
    reference: Session,
) -> None:  # fmt: skip
    url, headers = approved
    stripe_fake.arm("drop_after_commit", "POST", "/v1/transfers")
    first = client.post(f"{url}/stripe-payouts", headers=headers).get_json()
    assert [f["code"] for f in first["failed"]] == ["payout_unavailable"]
    stripe_fake.prune_keys()  # even after Stripe forgot the key, the lookup finds the transfer
    second = client.post(f"{url}/stripe-payouts", headers=headers).get_json()
    assert len(second["paid"]) == 1 and second["failed"] == []
    for payment in payments(reference).values():
        if payment.stripe_account:
            assert len(stripe_fake.transfers_for(payment.id)) == 1
            assert payment.status == PaymentStatus.sent


def test_a_refusal_is_kept_and_the_next_try_pays_with_a_new_key(
    client: FlaskClient, approved: tuple[str, dict[str, str]], stripe_fake: StripeFake,
    reference: Session,
) -> None:  # fmt: skip
    url, headers = approved
    stripe_fake.balance = 50_00  # enough for the first partner only
    first = client.post(f"{url}/stripe-payouts", headers=headers).get_json()
    assert [f["code"] for f in first["failed"]] == ["payout_refused"]
    refused = next(
        p
        for p in payments(reference).values()
        if p.status == PaymentStatus.pending and p.stripe_account
    )
    assert (refused.last_error, refused.stripe_attempt) == ("payout_refused", 2)
    stripe_fake.balance += 100_00  # the gemeente tops up its Stripe balance
    second = client.post(f"{url}/stripe-payouts", headers=headers).get_json()
    assert len(second["paid"]) == 1
    reference.refresh(refused)
    assert refused.status == PaymentStatus.sent and refused.last_error is None
    assert len(stripe_fake.transfers_for(refused.id)) == 1


def test_without_a_stripe_key_nothing_is_paid(
    app: Flask, client: FlaskClient, approved: tuple[str, dict[str, str]], stripe_fake: StripeFake
) -> None:
    url, headers = approved
    app.config["STRIPE_API_KEY"] = None
    refused = client.post(f"{url}/stripe-payouts", headers=headers)
    assert (refused.status_code, refused.get_json()["code"]) == (503, "stripe_not_configured")
    assert stripe_fake.transfers == []
