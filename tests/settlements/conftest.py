"""Fixtures of the settlement tests: a Stripe fake on a free local port, and a gateway to it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from almerepas.settlements.stripe_connect import StripeConnect
from tests.settlements.stripe_fake import API_KEY, StripeFake

#: seconds; short so a delayed answer times out quickly, long enough for a busy CI machine
CLIENT_TIMEOUT = 1.5


@pytest.fixture
def stripe_fake() -> Iterator[StripeFake]:
    """A fresh fake with 1 000 euro on the platform balance, served while the test runs."""
    with StripeFake(balance=100_000).running() as fake:
        yield fake
        fake.wait_idle()


@pytest.fixture
def connect(stripe_fake: StripeFake) -> StripeConnect:
    return StripeConnect(API_KEY, api_base=stripe_fake.url, timeout=CLIENT_TIMEOUT)
