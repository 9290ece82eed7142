"""Households in Almere: postcodes, districts, BSNs encrypted and looked up by keyed hash."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from almerepas.core.errors import ValidationFailed
from almerepas.households import members as households
from almerepas.households.errors import (
    AlreadyMovedOut,
    BsnInUse,
    HouseholdMovedOut,
    InvalidBsn,
    MembershipConflict,
    MovedInBeforeBirth,
    MoveOutBeforeMoveIn,
    PostcodeOutsideGemeente,
    SecondApplicant,
    SecondPartner,
)
from almerepas.households.members import Address
from almerepas.models import Household, MemberRole, Person, PostcodeDistrict
from tests.factories import KEYS

A, P, C, OTHER = MemberRole.applicant, MemberRole.partner, MemberRole.child, MemberRole.other

VALID_BSN = "111222333"  # passes the elfproef; synthetic


@pytest.mark.parametrize(
    ("postcode", "district"),
    [
        ("1315 ab", "almere_stad"),
        ("1363AB", "almere_poort"),
        ("1358 XY", "almere_hout"),
        ("1351 aa", "almere_haven"),
        ("1332 BB", "almere_buiten"),
        ("1301 AA", "unknown"),  # a PO-box range: no district, but Almere
    ],
)
def test_district_follows_the_postcode(reference: Session, postcode: str, district: str) -> None:
    household = households.create_household(
        reference, address=Address(postcode=postcode, house_number=1, street="Weg")
    )
    assert household.district == district
    assert household.postcode == postcode.replace(" ", "").upper()


def test_a_postcode_outside_almere_is_refused(reference: Session) -> None:
    with pytest.raises(PostcodeOutsideGemeente):
        households.create_household(reference, address=Address("1012 AB", 1, "Dam"))
    with pytest.raises(ValidationFailed):
        households.create_household(reference, address=Address("13150", 1, "Weg"))


def test_a_corrected_postcode_row_places_new_addresses(reference: Session) -> None:
    row = reference.get(PostcodeDistrict, "1331")
    assert row is not None and row.confidence == "low"
    row.district = "almere_stad"
    reference.flush()
    household = households.create_household(reference, address=Address("1331 AA", 2, "Weg"))
    assert household.district == "almere_stad"


@pytest.mark.parametrize("bsn", ["111222333", "123456782"])
def test_elfproef_accepts_valid_numbers(bsn: str) -> None:
    assert households.is_valid_bsn(bsn)


@pytest.mark.parametrize("bsn", ["111222334", "12345678", "abcdefghi", "000000000", ""])
def test_elfproef_refuses_invalid_numbers(bsn: str) -> None:
    assert not households.is_valid_bsn(bsn)


def test_bsn_is_encrypted_at_rest_and_found_by_keyed_hash(reference: Session) -> None:
    person = households.create_person(
        reference, given_name="Anna", family_name="Bos", date_of_birth=dt.date(1990, 1, 1),
        bsn=VALID_BSN,
        keys=KEYS,
    )  # fmt: skip
    stored = reference.execute(
        text("SELECT bsn_encrypted, bsn_hash FROM person WHERE id = :id"), {"id": person.id}
    ).one()
    assert VALID_BSN.encode() not in bytes(stored[0])
    assert VALID_BSN not in stored[1]
    assert households.reveal_bsn(person, keys=KEYS) == VALID_BSN
    assert households.find_person_by_bsn(reference, VALID_BSN, keys=KEYS) is person
    assert households.mask_bsn(VALID_BSN) == "******333"
    with pytest.raises(BsnInUse):
        households.create_person(
            reference, given_name="B", family_name="C", date_of_birth=dt.date(1990, 1, 1),
            bsn=VALID_BSN,
            keys=KEYS,
        )  # fmt: skip
    with pytest.raises(InvalidBsn):
        households.find_person_by_bsn(reference, "123", keys=KEYS)


def test_a_birth_date_in_the_future_is_refused(reference: Session) -> None:
    with pytest.raises(ValidationFailed):
        households.create_person(
            reference, given_name="A", family_name="B", date_of_birth=dt.date(2030, 1, 1),
            today=dt.date(2026, 11, 23),
            keys=KEYS,
        )  # fmt: skip


def test_people_move_in_and_out_with_history(reference: Session) -> None:
    first = households.create_household(reference, address=Address("1315AB", 1, "Weg"))
    second = households.create_household(reference, address=Address("1361AB", 2, "Weg"))
    person = households.create_person(
        reference, given_name="Aisha", family_name="B", date_of_birth=dt.date(1990, 1, 1), keys=KEYS
    )
    stay = households.add_member(
        reference, first, person, role=MemberRole.applicant, valid_from=dt.date(2020, 1, 1)
    )
    with pytest.raises(MembershipConflict) as refused:
        households.add_member(
            reference, second, person, role=MemberRole.partner, valid_from=dt.date(2024, 1, 1)
        )
    assert "Aisha" not in str(refused.value.detail)  # a refusal carries no personal data
    households.end_membership(reference, stay, last_day=dt.date(2023, 12, 31))
    households.add_member(
        reference, second, person, role=MemberRole.partner, valid_from=dt.date(2024, 1, 1)
    )
    assert [m.household_id for m in person.memberships] == [first.id, second.id]
    assert households.members_on(first, dt.date(2023, 6, 1))[0].person is person
    assert households.members_on(first, dt.date(2024, 6, 1)) == []


# -- who may live in a household, and when -----------------------------------------------------


def person(session: Session, born: dt.date = dt.date(1990, 1, 1)) -> Person:
    return households.create_person(
        session, given_name="A", family_name="B", date_of_birth=born, keys=KEYS
    )


def household(session: Session, *members: tuple[MemberRole, dt.date]) -> Household:
    """A household with members (role, moved in on), each born on 1 January 1990."""
    made = households.create_household(session, address=Address("1315AB", 1, "Weg"))
    for role, since in members:
        households.add_member(session, made, person(session), role=role, valid_from=since)
    return made


def test_nobody_moves_in_before_their_birth(reference: Session) -> None:
    home = household(reference, (A, dt.date(2020, 1, 1)))
    baby = person(reference, born=dt.date(2026, 2, 15))
    with pytest.raises(MovedInBeforeBirth) as refused:
        households.add_member(reference, home, baby, role=C, valid_from=dt.date(2026, 2, 14))
    assert [e["field"] for e in refused.value.extensions["errors"]] == ["valid_from"]
    assert len(home.memberships) == 1
    households.add_member(reference, home, baby, role=C, valid_from=dt.date(2026, 2, 15))


@pytest.mark.parametrize(
    ("present", "role", "since", "refusal"),
    [
        ([(A, dt.date(2020, 1, 1))], A, dt.date(2024, 1, 1), SecondApplicant),
        ([(A, dt.date(2020, 1, 1))], A, dt.date(2019, 1, 1), SecondApplicant),  # moved in before
        ([(A, dt.date(2020, 1, 1)), (P, dt.date(2020, 1, 1))], P, dt.date(2024, 1, 1),
         SecondPartner),
        ([(P, dt.date(2020, 1, 1))], P, dt.date(2024, 1, 1), SecondPartner),
    ],
)  # fmt: skip
def test_one_applicant_and_one_partner_at_a_time(
    reference: Session,
    present: list[tuple[MemberRole, dt.date]],
    role: MemberRole,
    since: dt.date,
    refusal: type[Exception],
) -> None:
    home = household(reference, *present)
    with pytest.raises(refusal):
        households.add_member(reference, home, person(reference), role=role, valid_from=since)
    assert len(home.memberships) == len(present)


def test_other_adults_and_children_are_not_limited(reference: Session) -> None:
    home = household(reference, (A, dt.date(2020, 1, 1)), (P, dt.date(2020, 1, 1)))
    for role in (OTHER, OTHER, C, C):
        households.add_member(
            reference, home, person(reference, dt.date(2000, 1, 1)), role=role,
            valid_from=dt.date(2024, 1, 1),
        )  # fmt: skip
    assert len(home.memberships) == 6


def test_a_new_applicant_after_the_last_one_left(reference: Session) -> None:
    home = household(reference, (A, dt.date(2020, 1, 1)))
    households.end_membership(reference, home.memberships[0], last_day=dt.date(2023, 12, 31))
    with pytest.raises(SecondApplicant):
        households.add_member(
            reference, home, person(reference), role=A, valid_from=dt.date(2023, 12, 31)
        )
    households.add_member(
        reference, home, person(reference), role=A, valid_from=dt.date(2024, 1, 1)
    )


def test_nobody_leaves_before_they_moved_in(reference: Session) -> None:
    home = household(reference, (A, dt.date(2020, 1, 1)), (P, dt.date(2024, 6, 1)))
    with pytest.raises(MoveOutBeforeMoveIn):
        households.move_out_of_almere(reference, home, day=dt.date(2024, 5, 31))
    with pytest.raises(MoveOutBeforeMoveIn):
        households.end_membership(reference, home.memberships[1], last_day=dt.date(2024, 5, 31))
    assert home.moved_out_on is None and [m.valid_to for m in home.memberships] == [None, None]
    households.move_out_of_almere(reference, home, day=dt.date(2024, 6, 1))


def test_a_household_moves_out_once(reference: Session) -> None:
    home = household(reference, (A, dt.date(2020, 1, 1)))
    households.move_out_of_almere(reference, home, day=dt.date(2026, 6, 30))
    for day in (dt.date(2026, 8, 31), dt.date(2026, 5, 31)):
        with pytest.raises(AlreadyMovedOut):
            households.move_out_of_almere(reference, home, day=day)
    assert home.moved_out_on == dt.date(2026, 6, 30)
    assert home.memberships[0].valid_to == dt.date(2026, 6, 30)


def test_after_the_move_out_nobody_moves_in(reference: Session) -> None:
    home = household(reference, (A, dt.date(2020, 1, 1)))
    households.move_out_of_almere(reference, home, day=dt.date(2026, 6, 30))
    with pytest.raises(HouseholdMovedOut):
        households.add_member(reference, home, person(reference), role=C,
                              valid_from=dt.date(2026, 7, 1))  # fmt: skip
    earlier = households.add_member(
        reference, home, person(reference), role=C, valid_from=dt.date(2026, 6, 30)
    )
    assert earlier.valid_to == dt.date(2026, 6, 30)  # ends with everyone else's
