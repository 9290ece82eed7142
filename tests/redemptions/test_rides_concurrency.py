"""A validator sends the same batch twice at once (it timed out waiting for the first answer):
one upload stores the rides, the other answers the same results as duplicates, not a 409."""

from __future__ import annotations

import datetime as dt
import threading
import time

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from almerepas.contracts.models import Device, Location, Partner
from almerepas.passes import keys as signing
from almerepas.redemptions.models import Ride
from almerepas.redemptions.rides import RideInput, RideResult, record_rides
from almerepas.reference.loaders import load_postcodes, load_schemes
from tests.factories import KEYS, TEST_ACTOR
from tests.fixtures import START
from tests.redemptions.ride_support import bus_operator, card_code, rider

RIDE = START + dt.timedelta(minutes=10)
UPLOAD = START + dt.timedelta(days=1)


def _upload(session: Session, ids: dict[str, int], rides: list[RideInput]) -> list[RideResult]:
    return record_rides(
        session,
        partner=session.get_one(Partner, ids["partner"]),
        location=session.get_one(Location, ids["location"]),
        device=session.get_one(Device, ids["device"]),
        rides=rides,
        now=UPLOAD,
        actor=TEST_ACTOR,
    )


def test_the_same_batch_twice_at_once_is_stored_once_and_answered_alike(
    fresh_engine: Engine,
) -> None:
    with Session(fresh_engine) as session:
        load_postcodes(session)
        load_schemes(session)
        signing.ensure_keys(session, keys=KEYS, actor=TEST_ACTOR, now=START)
        operator = bus_operator(session)
        good, refused = (
            card_code(session, rider(session)),
            card_code(session, rider(session, period=None)),
        )
        ids = {
            "partner": operator.partner.id,
            "location": operator.location.id,
            "device": operator.device.id,
        }
        session.commit()
    rides = [RideInput(f"r{n}", good if n % 2 else refused, RIDE) for n in range(200)]

    second: list[list[RideResult]] = []

    def again() -> None:
        with Session(fresh_engine) as session:
            second.append(_upload(session, ids, rides))
            session.commit()

    with Session(fresh_engine) as session:
        first = _upload(session, ids, rides)  # stored, not yet committed
        thread = threading.Thread(target=again)
        thread.start()
        time.sleep(0.5)  # the second upload reads, judges and waits for the first's rows
        session.commit()
    thread.join()

    assert [(r.result, r.duplicate) for r in first] == [
        ("ok" if n % 2 else "no_entitlement", False) for n in range(200)
    ]
    assert [(r.result, r.duplicate) for r in second[0]] == [
        ("ok" if n % 2 else "no_entitlement", True) for n in range(200)
    ]
    with Session(fresh_engine) as session:
        assert session.scalar(select(func.count()).select_from(Ride)) == 200
