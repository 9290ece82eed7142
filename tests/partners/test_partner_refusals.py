"""Refusals found by a review of the partner core, each of which was wrong before its fix: a
device reversing at another location, a quantity in another kind's field, a deep body or a
far-past date giving a 500, a balance kept after its savepoint was rolled back."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almerepas.contracts import devices
from almerepas.ledger import posting as ledger
from almerepas.ledger.posting import Leg
from almerepas.models import Account, AccountKind, EntryKind, Redemption
from almerepas.redemptions.models import IdempotencyRecord, Ride
from tests.factories import KEYS, TEST_ACTOR, funded_account, make_account
from tests.fixtures import FrozenClock
from tests.partners.support import Counter, open_counter, redeem, scan, serve_family


@pytest.fixture
def counter(keyed: Session, frozen_clock: FrozenClock) -> Counter:
    return serve_family(keyed, open_counter(keyed))


def written(session: Session) -> tuple[int, int]:
    redemptions = session.scalar(select(func.count()).select_from(Redemption)) or 0
    rides = session.scalar(select(func.count()).select_from(Ride)) or 0
    return redemptions, rides


def left(client: FlaskClient, counter: Counter, who: str) -> dict[str, Any]:
    scanned = scan(client, counter, who).get_json()
    return {e["scheme"]: e["left"] for e in scanned["entitlements"]}


# -- a device reverses a redemption made at another location of its partner ----------------


def test_a_device_cannot_reverse_a_redemption_made_at_another_location(
    client: FlaskClient, counter: Counter, keyed: Session
) -> None:
    """A device key is bound to one location ('everything it does happens there') and the list
    shows a device only its own location's redemptions, yet the pool's device can reverse (and
    so learn the existence and amount of) a redemption made at the hall."""
    reference = scan(client, counter).get_json()["scan_reference"]
    done = redeem(client, counter, reference, "stadsfonds", amount=40_00).get_json()
    _, pool_key = devices.create_device(
        keyed, counter.partner, {"name": "Kassa zwembad", "location_id": counter.pool.id},
        keys=KEYS, actor=TEST_ACTOR,
    )  # fmt: skip
    pool = {"Authorization": f"Bearer {pool_key}", "Idempotency-Key": "pool-reverses"}
    listed = client.get("/api/v1/partner/redemptions", headers=pool).get_json()
    assert listed["total"] == 0  # the pool's device does not see the hall's redemption ...
    response = client.post(
        f"/api/v1/partner/redemptions/{done['id']}/reversals", json={}, headers=pool
    )
    # ... and must not be able to reverse it either (404 as for another partner's, or 403)
    assert response.status_code in (403, 404), response.get_json()
    assert keyed.get_one(Redemption, done["id"]).reversed == 0


# -- the amount field is not checked against the scheme's kind -----------------------------


@pytest.mark.parametrize(
    ("who", "scheme", "body"),
    [
        ("child", "stadsfonds", {}),  # no amount at all: 1 cent is taken
        ("child", "stadsfonds", {"units": 5}),  # units of a budget: read as 5 cents
        ("child", "stadsfonds", {"basket_amount": 100_00}),  # a basket: all of it taken
        ("parent", "supermarkt", {"amount": 10_00}),  # an amount of a discount: read as basket
        ("parent", "supermarkt", {}),  # a discount without a basket
        ("parent", "menstruatie", {"amount": 2}),  # cents field for packs
        ("parent", "menstruatie", {}),  # a quota without units: one pack is taken
        ("parent", "ov", {"amount": 5_00}),  # a right takes no amount
    ],
    ids=[
        "budget-nothing", "budget-units", "budget-basket", "discount-amount", "discount-nothing",
        "quota-amount", "quota-nothing", "right-amount",
    ],
)  # fmt: skip
def test_the_amount_field_must_be_the_one_of_the_schemes_kind(
    client: FlaskClient, counter: Counter, keyed: Session, who: str, scheme: str,
    body: dict[str, int],
) -> None:  # fmt: skip
    """docs/redemption.md: budget `amount`, quota `units`, discount `basket_amount`, right none.
    Any other field, or none, must be a 400 and take nothing; today each is a 201."""
    before = left(client, counter, who)
    reference = scan(client, counter, who).get_json()["scan_reference"]
    response = redeem(client, counter, reference, scheme, **body)
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["code"] == "validation_failed"
    assert written(keyed) == (0, 0)
    assert left(client, counter, who) == before


# -- a request that is too deeply nested is a 500 on the idempotent endpoints --------------


@pytest.mark.parametrize("path", ["/api/v1/partner/redemptions", "/reversals"])
def test_deep_json_on_an_idempotent_endpoint_is_a_400_not_a_500(
    client: FlaskClient, counter: Counter, keyed: Session, path: str
) -> None:
    """request_fingerprint() json.loads the raw body before the API's own parser (which refuses
    depth > 16 as json_too_deep): RecursionError is not a ValueError, so any device gets a 500.
    /partner/scans with the same body gives the 400."""
    if path == "/reversals":
        reference = scan(client, counter).get_json()["scan_reference"]
        done = redeem(client, counter, reference, "stadsfonds", amount=1_00).get_json()
        path = f"/api/v1/partner/redemptions/{done['id']}/reversals"
    headers = {**counter.headers, "Idempotency-Key": "deep"}
    response = client.post(path, data="[" * 5000, content_type="application/json", headers=headers)
    assert (response.status_code, response.get_json()["code"]) == (400, "json_too_deep")
    kept_before = 1 if "reversals" in path else 0  # the redemption's own answer
    assert keyed.scalar(select(func.count()).select_from(IdempotencyRecord)) == kept_before


# -- a date far in the past is a 500 in the partner's list ---------------------------------


@pytest.mark.parametrize("query", ["from=0001-01-01"])
def test_a_far_past_date_in_the_list_is_a_400_not_a_500(
    client: FlaskClient, counter: Counter, query: str
) -> None:
    """clock.local_moment(0001-01-01) is fine, but binding it (astimezone(UTC)) overflows inside
    SQLAlchemy, which wraps it in a StatementError: not the OverflowError the 400 handler knows.
    (9999-12-31 is already a 400 value_out_of_range.)"""
    response = client.get(f"/api/v1/partner/redemptions?{query}", headers=counter.headers)
    assert response.status_code < 500, response.get_json()


# -- post_entry's set_committed_value survives the rollback of an enclosing savepoint --------


def test_a_balance_posted_in_a_rolled_back_savepoint_is_not_kept(db: Session) -> None:
    """post_entry used to expire the balance; now it sets the UPDATE ... RETURNING value as the
    committed value. A savepoint rollback only expires objects the ORM flushed, so the account
    keeps showing a debit that never happened (no reload: Account.balance is plain loaded state).
    In the app: the idempotency replay (work.rollback()), grants.preview / waiting_list (which
    roll back ensure_funding's budget adjustment) and redeem_scanned's savepoint all roll back a
    post_entry; nothing reads the balance after them today, the next caller will."""
    _, budget = funded_account(db, 100_00)
    club = make_account(db, AccountKind.payable)
    savepoint = db.begin_nested()
    ledger.post_entry(
        db, kind=EntryKind.redemption, natural_key="test:rolled-back",
        legs=[Leg(budget, club, 40_00)], actor="test",
    )  # fmt: skip
    savepoint.rollback()
    stored = db.scalar(select(Account.balance).where(Account.id == budget.id))
    assert stored == 100_00
    assert budget.balance == stored, "the ORM still shows the rolled-back debit"
    # and what the app reads next through an ordinary query is the same stale object
    again = db.scalars(select(Account).where(Account.id == budget.id)).one()
    assert again.balance == 100_00
