"""A validator sends its offline rides: POST /api/v1/partner/rides, a result per ride in the
order sent, the whole body refused only when it is no batch at all (docs/redemption.md)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almerepas.models import AuditEvent
from almerepas.redemptions.models import Ride
from tests.fixtures import START, FrozenClock
from tests.redemptions.ride_support import Operator, bus_operator, card_code, phone, rider

URL = "/api/v1/partner/rides"
UPLOAD = START + dt.timedelta(days=1)
RIDE = START + dt.timedelta(minutes=10)


@pytest.fixture
def operator(keyed: Session, frozen_clock: FrozenClock) -> Operator:
    frozen_clock.set(UPLOAD)
    return bus_operator(keyed)


def headers(operator: Operator) -> dict[str, str]:
    return {"Authorization": f"Bearer {operator.key}"}


def ride(ride_id: str, code: str, at: dt.datetime = RIDE, **more: Any) -> dict[str, Any]:
    return {"ride_id": ride_id, "code": code, "ridden_at": at.isoformat(), "line": "M1",
            "stop": "Almere Centrum", **more}  # fmt: skip


def post(client: FlaskClient, operator: Operator, body: Any) -> Any:
    return client.post(URL, json=body, headers=headers(operator))


def stored(session: Session) -> dict[str, str]:
    return {ref: result for ref, result in session.execute(select(Ride.ride_ref, Ride.result))}


def test_a_batch_gets_a_result_per_ride_in_the_order_sent(
    client: FlaskClient, operator: Operator, keyed: Session
) -> None:
    holder, stranger = rider(keyed), rider(keyed, period=None)
    shown = phone(keyed, holder)
    card = card_code(keyed, holder)

    answer = post(
        client,
        operator,
        {
            "rides": [
                ride("v1-1", card),
                ride("v1-2", shown.code(RIDE), RIDE),
                ride("v1-3", card_code(keyed, stranger)),
                ride("v1-1", card_code(keyed, stranger)),
            ]
        },
    )

    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json() == {
        "results": [
            {"ride_id": "v1-1", "result": "ok", "duplicate": False},
            {"ride_id": "v1-2", "result": "ok", "duplicate": False},
            {"ride_id": "v1-3", "result": "no_entitlement", "duplicate": False},
            {"ride_id": "v1-1", "result": "ok", "duplicate": True},
        ],
        "accepted": 3,
        "refused": 1,
        "duplicates": 1,
    }
    assert stored(keyed) == {"v1-1": "ok", "v1-2": "ok", "v1-3": "no_entitlement"}
    event = keyed.scalars(select(AuditEvent).where(AuditEvent.action == "rides.upload")).one()
    assert (event.actor, event.entity_id) == (
        f"device:{operator.device.id}",
        str(operator.location.id),
    )

    again = post(client, operator, {"rides": [ride("v1-3", card)]})
    assert again.get_json()["results"] == [
        {"ride_id": "v1-3", "result": "no_entitlement", "duplicate": True}
    ]
    assert stored(keyed) == {"v1-1": "ok", "v1-2": "ok", "v1-3": "no_entitlement"}


@pytest.mark.parametrize(
    ("bad", "ride_id", "fields"),
    [
        ({"ridden_at": None}, "r-bad", ["ridden_at"]),
        ({"ridden_at": "2026-03-02T09:10:00"}, "r-bad", ["ridden_at"]),  # no time zone
        ({"ridden_at": "yesterday"}, "r-bad", ["ridden_at"]),
        (
            {"ridden_at": "9999-12-31T23:59:59-14:00"},
            "r-bad",
            ["ridden_at"],
        ),  # past year 9999 in UTC
        ({"ridden_at": "0001-01-01T00:00:00+14:00"}, "r-bad", ["ridden_at"]),
        ({"code": ""}, "r-bad", ["code"]),
        ({"ride_id": "a b"}, None, ["ride_id"]),
        ({"ride_id": "x" * 81}, None, ["ride_id"]),
        ({"line": "M1\n"}, "r-bad", ["line"]),
        ({"seat": "12"}, "r-bad", ["seat"]),
    ],
)
def test_a_ride_that_cannot_be_read_is_ride_invalid_and_the_rest_is_stored(
    client: FlaskClient,
    operator: Operator,
    keyed: Session,
    bad: dict[str, Any],
    ride_id: str | None,
    fields: list[str],
) -> None:
    card = card_code(keyed, rider(keyed))
    broken = {
        key: value for key, value in {**ride("r-bad", card), **bad}.items() if value is not None
    }

    answer = post(client, operator, {"rides": [broken, ride("r-good", card)]})

    assert answer.status_code == 200, answer.get_json()
    first, second = answer.get_json()["results"]
    assert (first["ride_id"], first["result"], first["duplicate"]) == (
        ride_id,
        "ride_invalid",
        False,
    )
    assert [e["field"] for e in first["errors"]] == fields
    assert second == {"ride_id": "r-good", "result": "ok", "duplicate": False}
    assert stored(keyed) == {"r-good": "ok"}


def test_a_ride_that_is_not_an_object_is_ride_invalid(
    client: FlaskClient, operator: Operator, keyed: Session
) -> None:
    answer = post(client, operator, {"rides": ["r1", 7]})

    assert [r["result"] for r in answer.get_json()["results"]] == ["ride_invalid", "ride_invalid"]
    assert answer.get_json()["refused"] == 2
    assert stored(keyed) == {}


@pytest.mark.parametrize("body", [{}, {"rides": "r1"}, {"rides": [], "extra": 1}, []])
def test_a_body_that_is_no_batch_is_refused_whole(
    client: FlaskClient, operator: Operator, body: Any
) -> None:
    answer = post(client, operator, body)

    assert answer.status_code == 400
    assert answer.get_json()["code"] == "validation_failed"


def test_without_a_device_key_nothing_is_taken(client: FlaskClient, operator: Operator) -> None:
    answer = client.post(URL, json={"rides": []})

    assert answer.status_code == 401
    assert answer.get_json()["code"] == "partner_not_authenticated"


def test_ten_thousand_rides_of_about_three_megabytes_are_taken_in_one_call(
    client: FlaskClient, operator: Operator, keyed: Session
) -> None:
    cards = [card_code(keyed, rider(keyed)) for _ in range(10)]
    rides = [ride(f"v1-{n}", cards[n % 10], RIDE + dt.timedelta(seconds=n)) for n in range(10_000)]
    body = json.dumps({"rides": rides})
    assert len(body) > 3_000_000

    answer = client.post(URL, data=body, content_type="application/json", headers=headers(operator))

    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    assert (answer.get_json()["accepted"], answer.get_json()["refused"]) == (10_000, 0)
    assert keyed.scalar(select(func.count()).select_from(Ride)) == 10_000


def test_more_than_ten_thousand_rides_are_refused_whole(
    client: FlaskClient, operator: Operator, keyed: Session
) -> None:
    card = card_code(keyed, rider(keyed))

    answer = post(client, operator, {"rides": [ride(f"r{n}", card) for n in range(10_001)]})

    assert answer.status_code == 413
    assert answer.get_json()["code"] == "too_many_rides"
    assert stored(keyed) == {}


def test_only_this_endpoint_takes_a_large_body(client: FlaskClient, operator: Operator) -> None:
    too_large = post(client, operator, {"rides": [], "padding": "x" * (8 * 1024 * 1024)})
    elsewhere = client.post(
        "/api/v1/partner/scans", json={"code": "x" * 100_000}, headers=headers(operator)
    )

    assert (too_large.status_code, too_large.get_json()["code"]) == (413, "payload_too_large")
    assert (elsewhere.status_code, elsewhere.get_json()["code"]) == (413, "payload_too_large")
