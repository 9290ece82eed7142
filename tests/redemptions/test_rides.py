"""Offline rides: each judged as of its own time, duplicates answered with the first result, a
phone code good for one ride, and a batch of 10,000 in one call (docs/redemption.md)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almerepas.models import AuditEvent, JournalEntry, Membership
from almerepas.passes import credentials
from almerepas.passes import keys as signing
from almerepas.passes.credential_models import KeyFamily
from almerepas.passes.models import BlockReason
from almerepas.passes.operations import block_pass
from almerepas.redemptions.errors import TooManyRides
from almerepas.redemptions.models import Ride
from almerepas.redemptions.rides import MAX_RIDES, RideInput, RideResult, record_rides
from tests.factories import KEYS, TEST_ACTOR, forged
from tests.fixtures import START
from tests.redemptions.ride_support import (
    Operator,
    bus_operator,
    card_code,
    free_bus,
    phone,
    rider,
)

#: The rides are uploaded the next morning.
UPLOAD = START + dt.timedelta(days=1)
RIDE = START + dt.timedelta(minutes=10)


def upload(
    session: Session, operator: Operator, rides: list[RideInput], now: dt.datetime = UPLOAD
) -> list[RideResult]:
    return record_rides(
        session,
        partner=operator.partner,
        location=operator.location,
        device=operator.device,
        rides=rides,
        now=now,
        actor=TEST_ACTOR,
    )


def ride(ref: str, code: str, at: dt.datetime = RIDE) -> RideInput:
    return RideInput(ride_ref=ref, code=code, ridden_at=at, line="M1", stop="Centrum")


def results(found: list[RideResult]) -> list[tuple[str, str, bool]]:
    return [(r.ride_ref, r.result, r.duplicate) for r in found]


def stored(session: Session) -> dict[str, str]:
    return {ref: result for ref, result in session.execute(select(Ride.ride_ref, Ride.result))}


def test_a_card_and_a_phone_ride_are_ok_and_stored_with_their_pass_and_grant(
    keyed: Session,
) -> None:
    operator = bus_operator(keyed)
    card_holder, phone_holder = rider(keyed), rider(keyed)
    shown = phone(keyed, phone_holder)
    entries_before = keyed.scalar(select(func.count()).select_from(JournalEntry))

    found = upload(
        keyed,
        operator,
        [ride("r1", card_code(keyed, card_holder)), ride("r2", shown.code(RIDE))],
    )

    assert results(found) == [("r1", "ok", False), ("r2", "ok", False)]
    rows = {r.ride_ref: r for r in keyed.scalars(select(Ride))}
    assert rows["r1"].pass_id == card_holder.id and rows["r2"].pass_id == phone_holder.id
    assert rows["r1"].grant_id is not None and rows["r1"].location_id == operator.location.id
    assert (rows["r2"].device_id, rows["r2"].line, rows["r2"].stop) == (
        operator.device.id,
        "M1",
        "Centrum",
    )
    assert rows["r2"].ridden_at == RIDE and rows["r2"].received_at == UPLOAD
    assert not rows["r2"].online
    # a right has no balance: nothing booked
    assert keyed.scalar(select(func.count()).select_from(JournalEntry)) == entries_before
    event = keyed.scalars(select(AuditEvent).where(AuditEvent.action == "rides.upload")).one()
    assert event.changes is not None
    assert (event.changes["ok"], event.changes["refused"], event.changes["duplicates"]) == (2, 0, 0)


def test_a_pass_blocked_after_the_ride_still_rode_one_blocked_before_did_not(
    keyed: Session,
) -> None:
    operator = bus_operator(keyed)
    holder = rider(keyed)
    code = card_code(keyed, holder)
    blocked_at = START + dt.timedelta(hours=2)
    block_pass(keyed, holder, reason=BlockReason.lost, actor=TEST_ACTOR, now=blocked_at)

    found = upload(
        keyed,
        operator,
        [
            ride("before", code, blocked_at - dt.timedelta(minutes=1)),
            ride("after", code, blocked_at + dt.timedelta(minutes=1)),
        ],
    )

    assert results(found) == [("before", "ok", False), ("after", "pass_blocked", False)]


def test_a_credential_revoked_after_the_ride_was_valid_then(keyed: Session) -> None:
    operator = bus_operator(keyed)
    holder = rider(keyed)
    code = card_code(keyed, holder)
    revoked_at = START + dt.timedelta(hours=1)
    credentials.revoke_pass_credentials(keyed, holder, now=revoked_at)

    found = upload(
        keyed,
        operator,
        [
            ride("before", code, revoked_at - dt.timedelta(seconds=1)),
            ride("at", code, revoked_at),
        ],
    )

    assert results(found) == [("before", "ok", False), ("at", "credential_revoked", False)]


def test_a_key_revoked_after_the_ride_still_counts_for_it_not_for_later_rides(
    keyed: Session,
) -> None:
    operator = bus_operator(keyed)
    holder = rider(keyed)
    code = card_code(keyed, holder)
    kid = signing.current_key(keyed, KeyFamily.card, now=START)
    assert kid is not None
    revoked_at = START + dt.timedelta(hours=3)
    signing.retire(keyed, kid.kid, compromised=True, actor=TEST_ACTOR, now=revoked_at)

    found = upload(
        keyed,
        operator,
        [
            ride("before", code, revoked_at - dt.timedelta(minutes=1)),
            ride("after", code, revoked_at + dt.timedelta(minutes=1)),
        ],
    )

    assert results(found) == [("before", "ok", False), ("after", "key_revoked", False)]


def test_a_code_of_a_rotated_out_key_rides_while_that_key_still_verifies(
    keyed: Session,
) -> None:
    operator = bus_operator(keyed)
    holder = rider(keyed)
    shown = phone(keyed, holder)  # signed by the first phone key at START
    rotated_at = START + dt.timedelta(minutes=5)
    signing.rotate(
        keyed, families=[KeyFamily.phone], keys=KEYS, actor=TEST_ACTOR, now=rotated_at,
        publish_ahead=dt.timedelta(0),
    )  # fmt: skip
    later = START + dt.timedelta(hours=30)

    found = upload(keyed, operator, [ride("r", shown.code(later), later)], now=later)

    assert results(found) == [("r", "ok", False)]


@pytest.mark.parametrize(
    ("operator_kwargs", "expected"),
    [
        ({"valid_from": dt.date(2026, 3, 3)}, "not_contracted"),  # starts the day after
        ({"valid_to": dt.date(2026, 3, 1)}, "not_contracted"),  # ended the day before
        ({"contracted_here": False}, "location_not_allowed"),
        ({"valid_from": dt.date(2026, 3, 2)}, "ok"),  # the ride's own day counts
    ],
)
def test_the_contract_must_run_at_this_location_on_the_day_of_the_ride(
    keyed: Session, operator_kwargs: dict[str, object], expected: str
) -> None:
    operator = bus_operator(keyed, **operator_kwargs)  # type: ignore[arg-type]
    holder = rider(keyed)

    found = upload(keyed, operator, [ride("r", card_code(keyed, holder))])

    assert results(found) == [("r", expected, False)]


def test_the_holder_needs_the_grant_of_the_month_of_the_ride_or_a_household_grant(
    keyed: Session,
) -> None:
    operator = bus_operator(keyed)
    april_only = rider(keyed, period="2026-04")
    nothing = rider(keyed, period=None)
    by_household = rider(keyed, period=None)
    home = keyed.scalars(
        select(Membership.household_id).where(Membership.person_id == by_household.person_id)
    ).one()
    grant = free_bus(keyed, by_household)
    grant.person_id, grant.household_id = None, home
    grant.beneficiary_key = f"household:{home}"
    keyed.flush()

    found = upload(
        keyed,
        operator,
        [
            ride("april", card_code(keyed, april_only)),
            ride("nothing", card_code(keyed, nothing)),
            ride("household", card_code(keyed, by_household)),
        ],
    )

    assert results(found) == [
        ("april", "no_entitlement", False),
        ("nothing", "no_entitlement", False),
        ("household", "ok", False),
    ]


def test_a_ride_id_sent_again_answers_the_first_result_and_writes_nothing(
    keyed: Session,
) -> None:
    operator = bus_operator(keyed)
    holder, stranger = rider(keyed), rider(keyed, period=None)
    good, refused = card_code(keyed, holder), card_code(keyed, stranger)

    first = upload(
        keyed,
        operator,
        [ride("a", good), ride("b", refused), ride("a", refused), ride("b", good)],
    )
    again = upload(keyed, operator, [ride("b", good), ride("c", good), ride("a", refused)])

    assert results(first) == [
        ("a", "ok", False),
        ("b", "no_entitlement", False),
        ("a", "ok", True),
        ("b", "no_entitlement", True),
    ]
    assert results(again) == [
        ("b", "no_entitlement", True),
        ("c", "ok", False),
        ("a", "ok", True),
    ]
    assert stored(keyed) == {"a": "ok", "b": "no_entitlement", "c": "ok"}
    counts = [
        (e.changes or {}).get("duplicates")
        for e in keyed.scalars(select(AuditEvent).where(AuditEvent.action == "rides.upload"))
    ]
    assert counts == [2, 2]


def test_another_partner_may_use_the_same_ride_id(keyed: Session) -> None:
    operator = bus_operator(keyed)
    code = card_code(keyed, rider(keyed))
    upload(keyed, operator, [ride("r1", code)])
    other = bus_operator(keyed, kvk_number="11223344")

    assert results(upload(keyed, other, [ride("r1", code)])) == [("r1", "ok", False)]


def test_a_phone_code_rides_once_the_earliest_ride_keeps_it_also_across_uploads(
    keyed: Session,
) -> None:
    operator = bus_operator(keyed)
    shown = phone(keyed, rider(keyed))
    screenshot = shown.code(RIDE)

    first = upload(
        keyed,
        operator,
        [
            ride("copy", screenshot, RIDE + dt.timedelta(seconds=20)),
            ride("own", screenshot, RIDE),
            ride(
                "next", shown.code(RIDE + dt.timedelta(seconds=30)), RIDE + dt.timedelta(seconds=30)
            ),
        ],
    )
    later = upload(keyed, operator, [ride("other-bus", screenshot, RIDE + dt.timedelta(seconds=5))])

    assert results(first) == [
        ("copy", "credential_replayed", False),
        ("own", "ok", False),
        ("next", "ok", False),
    ]
    assert results(later) == [("other-bus", "credential_replayed", False)]


def test_a_card_rides_as_often_as_it_is_shown(keyed: Session) -> None:
    operator = bus_operator(keyed)
    code = card_code(keyed, rider(keyed))

    found = upload(keyed, operator, [ride(f"r{n}", code) for n in range(3)])

    assert [r.result for r in found] == ["ok", "ok", "ok"]


@pytest.mark.parametrize(
    ("ridden_at", "expected"),
    [
        (UPLOAD + dt.timedelta(minutes=5), "ok"),
        (UPLOAD + dt.timedelta(minutes=5, seconds=1), "ride_in_future"),
        (UPLOAD - dt.timedelta(days=60), "ok"),
        (UPLOAD - dt.timedelta(days=60, seconds=1), "ride_too_old"),
    ],
)
def test_rides_in_the_future_or_too_old_are_refused_with_their_own_code(
    keyed: Session, ridden_at: dt.datetime, expected: str
) -> None:
    operator = bus_operator(keyed, valid_from=dt.date(2025, 12, 1))
    # the keys of the ``keyed`` fixture sign from START: let them sign from December
    for key in signing.all_keys(keyed):
        key.issue_from = dt.datetime(2025, 12, 1, tzinfo=dt.UTC)
    keyed.flush()
    holder = rider(keyed)
    free_bus(keyed, holder, "2026-01")
    code = card_code(keyed, holder, now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))

    found = upload(keyed, operator, [ride("r", code, ridden_at)])

    assert results(found) == [("r", expected, False)]


def test_a_bad_code_is_refused_for_that_ride_alone(keyed: Session) -> None:
    operator = bus_operator(keyed)
    code = card_code(keyed, rider(keyed))

    found = upload(
        keyed,
        operator,
        [ride("garbage", "not a code"), ride("forged", forged(code)), ride("good", code)],
    )

    assert results(found) == [
        ("garbage", "credential_malformed", False),
        ("forged", "credential_bad_signature", False),
        ("good", "ok", False),
    ]
    assert stored(keyed) == {
        "garbage": "credential_malformed",
        "forged": "credential_bad_signature",
        "good": "ok",
    }


def test_more_than_ten_thousand_rides_are_refused_whole(keyed: Session) -> None:
    operator = bus_operator(keyed)
    code = card_code(keyed, rider(keyed))

    with pytest.raises(TooManyRides):
        upload(keyed, operator, [ride(f"r{n}", code) for n in range(MAX_RIDES + 1)])
    assert stored(keyed) == {}


def test_ten_thousand_rides_of_a_hundred_holders_in_one_call(keyed: Session) -> None:
    """Half the holders show a phone (a new code every 30 seconds), half a card; one holder's
    pass was blocked an hour in, another has no grant."""
    operator = bus_operator(keyed)
    holders = [rider(keyed) for _ in range(99)] + [rider(keyed, period=None)]
    rides: list[RideInput] = []
    for n, holder in enumerate(holders):
        if n % 2:
            shown = phone(keyed, holder)
            codes = [(RIDE + dt.timedelta(seconds=30 * k)) for k in range(100)]
            rides += [ride(f"{n}-{k}", shown.code(at), at) for k, at in enumerate(codes)]
        else:
            code = card_code(keyed, holder)
            rides += [
                ride(f"{n}-{k}", code, RIDE + dt.timedelta(seconds=30 * k)) for k in range(100)
            ]
    block_pass(
        keyed, holders[0], reason=BlockReason.stolen, actor=TEST_ACTOR,
        now=RIDE + dt.timedelta(seconds=30 * 50),
    )  # fmt: skip

    found = upload(keyed, operator, rides)

    assert len(found) == MAX_RIDES == len(rides)
    by_result: dict[str, int] = {}
    for result in found:
        by_result[result.result] = by_result.get(result.result, 0) + 1
    # holder 0: 50 rides before the block, 50 at or after it; holder 99: no grant
    assert by_result == {"ok": 9850, "pass_blocked": 50, "no_entitlement": 100}
    assert [r.ride_ref for r in found] == [r.ride_ref for r in rides]
    assert keyed.scalar(select(func.count()).select_from(Ride)) == MAX_RIDES
