"""Idempotency-Key and reversals at the partner API: a request sent twice redeems once, the
same key with another body is refused, and a reversal gives back no more than was taken,
within the window, to the grant while it runs."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almerepas.models import Redemption
from tests.fixtures import FrozenClock
from tests.partners.support import Counter, open_counter, redeem, scan, serve_family


@pytest.fixture
def counter(keyed: Session, frozen_clock: FrozenClock) -> Counter:
    return serve_family(keyed, open_counter(keyed))


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Redemption)) or 0


def test_the_same_key_and_body_gives_the_first_answer_and_redeems_once(
    client: FlaskClient, counter: Counter, keyed: Session
) -> None:
    reference = scan(client, counter).get_json()["scan_reference"]
    first = redeem(client, counter, reference, "stadsfonds", key="till-7", amount=12_00)
    again = redeem(client, counter, reference, "stadsfonds", key="till-7", amount=12_00)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count(keyed) == 1


def test_a_refusal_is_kept_and_repeated_too(
    client: FlaskClient, counter: Counter, keyed: Session
) -> None:
    reference = scan(client, counter).get_json()["scan_reference"]
    first = redeem(client, counter, reference, "stadsfonds", key="big", amount=900_00)
    again = redeem(client, counter, reference, "stadsfonds", key="big", amount=900_00)
    assert first.status_code == again.status_code == 409
    assert again.get_json()["code"] == "insufficient_budget"
    # the refusal spent nothing: a new key may still use the scan
    fine = redeem(client, counter, reference, "stadsfonds", key="small", amount=9_00)
    assert fine.status_code == 201


def test_the_same_key_with_another_body_is_refused_and_writes_nothing(
    client: FlaskClient, counter: Counter, keyed: Session
) -> None:
    reference = scan(client, counter).get_json()["scan_reference"]
    assert redeem(client, counter, reference, "stadsfonds", key="k", amount=1_00).status_code == 201
    other = redeem(client, counter, reference, "stadsfonds", key="k", amount=2_00)
    assert (other.status_code, other.get_json()["code"]) == (422, "idempotency_key_reused")
    assert count(keyed) == 1


def test_a_key_is_the_partners_own(client: FlaskClient, counter: Counter, keyed: Session) -> None:
    """Another partner using the same key string gets its own answer, not ours."""
    other = open_counter(keyed, "Bibliotheek Almere")
    reference = scan(client, counter).get_json()["scan_reference"]
    assert redeem(client, counter, reference, "stadsfonds", key="1", amount=1_00).status_code == 201
    theirs = redeem(client, other, reference, "stadsfonds", key="1", amount=1_00)
    assert (theirs.status_code, theirs.get_json()["code"]) == (404, "scan_unknown")


@pytest.mark.parametrize("header", [None, "", "x" * 201, "sleutel\u00e9"], ids=repr)
def test_a_redemption_without_a_usable_key_is_refused(
    client: FlaskClient, counter: Counter, keyed: Session, header: str | None
) -> None:
    reference = scan(client, counter).get_json()["scan_reference"]
    headers = dict(counter.headers)
    if header is not None:
        headers["Idempotency-Key"] = header
    body = {"scan_reference": reference, "scheme": "stadsfonds", "amount": 1_00}
    response = client.post("/api/v1/partner/redemptions", json=body, headers=headers)
    assert (response.status_code, response.get_json()["code"]) == (400, "idempotency_key_missing")
    assert count(keyed) == 0


def reverse(client: FlaskClient, counter: Counter, redemption_id: int, key: str, **body: int):  # type: ignore[no-untyped-def]
    headers = {**counter.headers, "Idempotency-Key": key}
    url = f"/api/v1/partner/redemptions/{redemption_id}/reversals"
    return client.post(url, json=body, headers=headers)


def test_a_reversal_gives_back_part_then_the_rest_and_never_more(
    client: FlaskClient, counter: Counter
) -> None:
    reference = scan(client, counter).get_json()["scan_reference"]
    done = redeem(client, counter, reference, "stadsfonds", amount=40_00).get_json()
    part = reverse(client, counter, done["id"], "r1", amount=15_00)
    assert part.status_code == 201, part.get_json()
    assert part.get_json() | {"message": None} == {
        "redemption_id": done["id"], "amount": 15_00, "left_to_reverse": 25_00, "to": "grant",
        "message": None,
    }  # fmt: skip
    assert part.get_json()["message"] == "€ 15 teruggezet"
    too_much = reverse(client, counter, done["id"], "r2", amount=25_01)
    assert too_much.get_json()["code"] == "reversal_exceeds_redemption"
    rest = reverse(client, counter, done["id"], "r3")
    assert rest.get_json()["amount"] == 25_00
    left = {e["scheme"]: e["left"] for e in scan(client, counter).get_json()["entitlements"]}
    assert left["stadsfonds"] == 300_00
    nothing = reverse(client, counter, done["id"], "r4")
    assert nothing.get_json()["code"] == "reversal_exceeds_redemption"


def test_a_reversal_after_the_window_is_refused(
    client: FlaskClient, counter: Counter, frozen_clock: FrozenClock
) -> None:
    reference = scan(client, counter).get_json()["scan_reference"]
    done = redeem(client, counter, reference, "stadsfonds", amount=10_00).get_json()
    frozen_clock.advance(days=30, minutes=1)
    late = reverse(client, counter, done["id"], "late")
    assert (late.status_code, late.get_json()["code"]) == (409, "reversal_window_closed")


def test_another_partners_redemption_cannot_be_seen_or_reversed(
    client: FlaskClient, counter: Counter, keyed: Session
) -> None:
    other = open_counter(keyed, "Bibliotheek Almere")
    reference = scan(client, counter).get_json()["scan_reference"]
    done = redeem(client, counter, reference, "stadsfonds", amount=10_00).get_json()
    theirs = reverse(client, other, done["id"], "x")
    assert theirs.status_code == 404
    listed = client.get("/api/v1/partner/redemptions", headers=other.headers).get_json()
    assert listed["items"] == [] and listed["total"] == 0
    ours = client.get("/api/v1/partner/redemptions", headers=counter.headers).get_json()
    assert [item["id"] for item in ours["items"]] == [done["id"]]
