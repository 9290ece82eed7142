"""A partner is paid once through Stripe Connect, whatever goes wrong between us and Stripe.

Everything runs through the official ``stripe`` client over HTTP against the fake
(tests/settlements/stripe_fake.py), so the wire format and the client's error handling are real.
"""

from __future__ import annotations

import dataclasses

import pytest
import requests

from almerepas.settlements.errors import PayoutMismatch, PayoutRefused, PayoutUnavailable
from almerepas.settlements.payouts import PayoutLine
from almerepas.settlements.stripe_connect import StripeConnect, Transfer, idempotency_key
from tests.settlements.conftest import CLIENT_TIMEOUT
from tests.settlements.stripe_fake import API_KEY, StripeFake

GROUP = "ALM-7"
ACCOUNT = "acct_1SportclubAlmere"


def line(payment_id: int = 31, amount: int = 12_345, account: str = ACCOUNT) -> PayoutLine:
    return PayoutLine(
        payment_id=payment_id,
        end_to_end_id=f"ALM-7-{payment_id}",
        partner_id=5,
        name="Sportclub Almere & Co",
        iban="NL91ABNA0417164300",
        bic=None,
        amount=amount,
        remittance="Almerepas creditnota 2027-01",
        stripe_account=account,
    )


@pytest.fixture(autouse=True)
def _account(stripe_fake: StripeFake) -> None:
    stripe_fake.add_account(ACCOUNT)


def test_a_payment_makes_one_transfer_to_the_partner(
    stripe_fake: StripeFake, connect: StripeConnect
) -> None:
    paid = connect.pay(line(), transfer_group=GROUP)

    [made] = stripe_fake.transfers
    assert paid == Transfer(id=made["id"], amount=12_345, destination=ACCOUNT, created_new=True)
    assert made["amount"] == 12_345
    assert made["currency"] == "eur"
    assert made["destination"] == ACCOUNT
    assert made["transfer_group"] == GROUP
    assert made["metadata"] == {"payment_id": "31", "end_to_end_id": "ALM-7-31"}
    assert stripe_fake.balance == 100_000 - 12_345


def test_paying_the_same_line_twice_finds_the_first_transfer(
    stripe_fake: StripeFake, connect: StripeConnect
) -> None:
    first = connect.pay(line(), transfer_group=GROUP)
    second = connect.pay(line(), transfer_group=GROUP)

    assert second == dataclasses.replace(first, created_new=False)
    assert len(stripe_fake.transfers_for(31)) == 1
    assert stripe_fake.requests.count(("POST", "/v1/transfers")) == 1


def test_other_payments_in_the_group_are_paid_on_their_own(
    stripe_fake: StripeFake, connect: StripeConnect
) -> None:
    connect.pay(line(31), transfer_group=GROUP)
    other = connect.pay(line(32, amount=500), transfer_group=GROUP)

    assert other.created_new
    assert [len(stripe_fake.transfers_for(p)) for p in (31, 32)] == [1, 1]


def test_a_lost_answer_is_unavailable_and_the_retry_finds_the_transfer(
    stripe_fake: StripeFake, connect: StripeConnect
) -> None:
    stripe_fake.arm("drop_after_commit", "POST", "/v1/transfers")

    with pytest.raises(PayoutUnavailable):
        connect.pay(line(), transfer_group=GROUP)
    assert len(stripe_fake.transfers_for(31)) == 1  # Stripe did pay

    again = connect.pay(line(), transfer_group=GROUP)

    [made] = stripe_fake.transfers_for(31)
    assert again == Transfer(made["id"], 12_345, ACCOUNT, created_new=False)
    assert stripe_fake.balance == 100_000 - 12_345


def test_after_stripe_forgot_the_key_the_lookup_still_prevents_paying_twice(
    stripe_fake: StripeFake, connect: StripeConnect
) -> None:
    stripe_fake.arm("drop_after_commit", "POST", "/v1/transfers")
    with pytest.raises(PayoutUnavailable):
        connect.pay(line(), transfer_group=GROUP)
    stripe_fake.prune_keys()

    again = connect.pay(line(), transfer_group=GROUP)

    assert not again.created_new
    assert len(stripe_fake.transfers_for(31)) == 1
    assert stripe_fake.requests.count(("POST", "/v1/transfers")) == 1


def test_a_server_error_is_unavailable_and_pays_nothing(
    stripe_fake: StripeFake, connect: StripeConnect
) -> None:
    stripe_fake.arm("error_500", "POST", "/v1/transfers")

    with pytest.raises(PayoutUnavailable):
        connect.pay(line(), transfer_group=GROUP)
    assert stripe_fake.transfers == []

    assert connect.pay(line(), transfer_group=GROUP).created_new
    assert len(stripe_fake.transfers_for(31)) == 1


def test_a_failing_lookup_is_unavailable_and_creates_nothing(
    stripe_fake: StripeFake, connect: StripeConnect
) -> None:
    stripe_fake.arm("error_500", "GET", "/v1/transfers")

    with pytest.raises(PayoutUnavailable):
        connect.pay(line(), transfer_group=GROUP)
    assert ("POST", "/v1/transfers") not in stripe_fake.requests


def test_an_answer_after_the_timeout_is_unavailable_and_the_retry_pays_once(
    stripe_fake: StripeFake, connect: StripeConnect
) -> None:
    # long enough that the second attempt surely comes while Stripe still works on the first
    stripe_fake.arm("delay", "POST", "/v1/transfers", seconds=CLIENT_TIMEOUT + 3)

    with pytest.raises(PayoutUnavailable):
        connect.pay(line(), transfer_group=GROUP)
    # still running at Stripe: the same key is busy, so the retry pays nothing either
    with pytest.raises(PayoutUnavailable):
        connect.pay(line(), transfer_group=GROUP)
    stripe_fake.wait_idle()

    again = connect.pay(line(), transfer_group=GROUP)

    assert not again.created_new
    assert len(stripe_fake.transfers) == 1
    assert stripe_fake.balance == 100_000 - 12_345


def test_stripe_down_is_unavailable(stripe_fake: StripeFake) -> None:
    with StripeFake().running() as gone:
        url = gone.url
    closed = StripeConnect(API_KEY, api_base=url, timeout=CLIENT_TIMEOUT)

    with pytest.raises(PayoutUnavailable):
        closed.pay(line(), transfer_group=GROUP)


def test_an_unknown_account_is_refused_with_stripes_code(
    stripe_fake: StripeFake, connect: StripeConnect
) -> None:
    with pytest.raises(PayoutRefused) as refused:
        connect.pay(line(account="acct_1Unknown"), transfer_group=GROUP)

    assert refused.value.extensions["stripe_code"] == "resource_missing"
    assert "acct_1Unknown" in refused.value.extensions["stripe_message"]
    assert refused.value.detail == "Stripe kent de Stripe-rekening van deze partner niet"
    assert stripe_fake.transfers == []


def test_an_account_that_cannot_receive_yet_is_refused(
    stripe_fake: StripeFake, connect: StripeConnect
) -> None:
    stripe_fake.add_account("acct_1NotOnboarded", transfers_active=False)

    with pytest.raises(PayoutRefused) as refused:
        connect.pay(line(account="acct_1NotOnboarded"), transfer_group=GROUP)

    assert refused.value.extensions["stripe_code"] == "insufficient_capabilities_for_transfer"
    assert connect.account("acct_1NotOnboarded").transfers_active is False
    assert connect.account(ACCOUNT).transfers_active is True


def test_looking_up_an_unknown_account_is_refused(connect: StripeConnect) -> None:
    with pytest.raises(PayoutRefused) as refused:
        connect.account("acct_1Unknown")

    assert refused.value.extensions["stripe_code"] == "resource_missing"


def test_too_little_platform_balance_is_refused_and_pays_once_after_topping_up(
    stripe_fake: StripeFake, connect: StripeConnect
) -> None:
    stripe_fake.balance = 10_000

    with pytest.raises(PayoutRefused) as refused:
        connect.pay(line(), transfer_group=GROUP)
    assert refused.value.extensions["stripe_code"] == "balance_insufficient"

    stripe_fake.balance = 50_000
    # Stripe replays the stored refusal to the same key for a day ...
    with pytest.raises(PayoutRefused):
        connect.pay(line(), transfer_group=GROUP)
    # ... so after a person fixed the cause, the caller makes a new attempt
    paid = connect.pay(line(), transfer_group=GROUP, attempt=2)

    assert paid.created_new
    assert len(stripe_fake.transfers_for(31)) == 1
    assert stripe_fake.balance == 50_000 - 12_345


def test_a_found_transfer_with_another_amount_is_never_paid_again(
    stripe_fake: StripeFake, connect: StripeConnect
) -> None:
    connect.pay(line(amount=12_345), transfer_group=GROUP)

    with pytest.raises(PayoutMismatch) as mismatch:
        connect.pay(line(amount=12_346), transfer_group=GROUP)

    assert mismatch.value.extensions["transfer_id"] == stripe_fake.transfers[0]["id"]
    assert len(stripe_fake.transfers_for(31)) == 1


def test_a_found_transfer_to_another_account_is_never_paid_again(
    stripe_fake: StripeFake, connect: StripeConnect
) -> None:
    stripe_fake.add_account("acct_1Other")
    connect.pay(line(), transfer_group=GROUP)

    with pytest.raises(PayoutMismatch):
        connect.pay(line(account="acct_1Other"), transfer_group=GROUP)
    assert len(stripe_fake.transfers) == 1


def test_a_found_transfer_that_was_reversed_is_never_paid_again(
    stripe_fake: StripeFake, connect: StripeConnect
) -> None:
    connect.pay(line(), transfer_group=GROUP)
    stripe_fake.transfers[0].update(amount_reversed=12_345, reversed=True)
    stripe_fake.prune_keys()

    with pytest.raises(PayoutMismatch):
        connect.pay(line(), transfer_group=GROUP)
    assert len(stripe_fake.transfers) == 1


def test_the_transfer_is_found_among_many_in_its_group(
    stripe_fake: StripeFake, connect: StripeConnect
) -> None:
    stripe_fake.balance = 1_000_000
    for payment_id in range(1, 151):
        _post(stripe_fake, f"k{payment_id}", 100, group=GROUP, payment_id=payment_id)
    stripe_fake.prune_keys()

    # the oldest transfer is on the second page (newest first, 100 a page)
    again = connect.pay(line(1, amount=100), transfer_group=GROUP)

    assert not again.created_new
    assert again.id == stripe_fake.transfers[0]["id"]
    assert len(stripe_fake.transfers) == 150
    assert connect.find(line(151, amount=100), transfer_group=GROUP) is None


# -- the fake itself, so the tests above can be trusted


def _post(
    fake: StripeFake, key: str, amount: int, *, group: str = "", payment_id: int = 0
) -> requests.Response:
    data = {"amount": amount, "currency": "eur", "destination": ACCOUNT}
    if group:
        data |= {"transfer_group": group, "metadata[payment_id]": payment_id}
    return requests.post(
        f"{fake.url}/v1/transfers",
        data=data,
        headers={"Authorization": f"Bearer {API_KEY}", "Idempotency-Key": key},
        timeout=5,
    )


def test_the_fake_replays_a_key_and_refuses_it_with_other_parameters(
    stripe_fake: StripeFake,
) -> None:
    first = _post(stripe_fake, "k1", 100)
    replay = _post(stripe_fake, "k1", 100)
    other = _post(stripe_fake, "k1", 200)

    assert first.status_code == 200
    assert "Idempotent-Replayed" not in first.headers
    assert replay.json()["id"] == first.json()["id"]
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert other.status_code == 400
    assert other.json()["error"]["type"] == "idempotency_error"
    assert len(stripe_fake.transfers) == 1


def test_the_fake_makes_a_new_transfer_for_a_pruned_key(stripe_fake: StripeFake) -> None:
    _post(stripe_fake, "k1", 100)
    stripe_fake.prune_keys()

    assert _post(stripe_fake, "k1", 100).status_code == 200
    assert len(stripe_fake.transfers) == 2


def test_the_fake_wants_the_api_key(stripe_fake: StripeFake) -> None:
    answer = requests.get(
        f"{stripe_fake.url}/v1/transfers",
        headers={"Authorization": "Bearer sk_test_wrong"},
        timeout=5,
    )

    assert answer.status_code == 401
    assert answer.json()["error"]["type"] == "invalid_request_error"


def test_the_fake_pages_a_group(stripe_fake: StripeFake) -> None:
    stripe_fake.balance = 1_000_000
    for n in range(150):
        _post(stripe_fake, f"k{n}", 100)
    auth = {"Authorization": f"Bearer {API_KEY}"}

    first = requests.get(
        f"{stripe_fake.url}/v1/transfers", params={"limit": 100}, headers=auth, timeout=5
    ).json()
    rest = requests.get(
        f"{stripe_fake.url}/v1/transfers",
        params={"limit": 100, "starting_after": first["data"][-1]["id"]},
        headers=auth,
        timeout=5,
    ).json()

    assert (len(first["data"]), first["has_more"]) == (100, True)
    assert (len(rest["data"]), rest["has_more"]) == (50, False)
    ids = [t["id"] for t in first["data"] + rest["data"]]
    assert ids == [t["id"] for t in reversed(stripe_fake.transfers)]


def test_a_line_without_a_stripe_account_is_a_bug(
    stripe_fake: StripeFake, connect: StripeConnect
) -> None:
    with pytest.raises(ValueError, match="no Stripe account"):
        connect.pay(dataclasses.replace(line(), stripe_account=None), transfer_group=GROUP)
    assert stripe_fake.requests == []


def test_the_idempotency_key_is_derived_from_the_payment() -> None:
    assert idempotency_key(31) == "almerepas-payment-31"
    assert idempotency_key(31, attempt=2) == "almerepas-payment-31-2"
