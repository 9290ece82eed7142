"""Partners as data: checked KvK numbers and IBANs, contracts that never overlap, device keys
that are shown once and stored only as a keyed hash, offers; every change audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from almerepas.contracts import agreements, devices, offers, partners, users
from almerepas.contracts.errors import (
    ContractOverlaps,
    DeviceRevoked,
    DeviceUnknown,
    InvalidDevice,
    InvalidIban,
    InvalidKvkNumber,
    KvkNumberTaken,
    LocationOfAnotherPartner,
    PartnerInactive,
    SchemeNotContractable,
)
from almerepas.contracts.models import Contract, Device, Location, Partner, PartnerRole
from almerepas.core.errors import DomainError
from almerepas.models import AuditEvent
from almerepas.schemes import catalogue as schemes
from tests.factories import KEYS, TEST_ACTOR

SPORTCLUB: dict[str, Any] = {
    "name": "Sportclub Almere",
    "kvk_number": "12345678",
    "iban": "NL91 ABNA 0417 1643 00",
    "payout_method": "sepa",
}
HALL: dict[str, Any] = {
    "name": "Sporthal Haven",
    "street": "Havenstraat",
    "house_number": "12a",
    "postcode": "1315 ab",
    "kind": "sport",
}


def make_partner(session: Session, **changes: Any) -> Partner:
    return partners.create_partner(session, {**SPORTCLUB, **changes}, actor=TEST_ACTOR)


def make_location(session: Session, partner: Partner, **changes: Any) -> Location:
    return partners.add_location(session, partner, {**HALL, **changes}, actor=TEST_ACTOR)


def actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_a_partner_and_its_location_are_stored_normalised_and_audited(db: Session) -> None:
    partner = make_partner(db, bic="abnanl2a")
    location = make_location(db, partner)
    assert (partner.iban, partner.bic, partner.kvk_number) == (
        "NL91ABNA0417164300",
        "ABNANL2A",
        "12345678",
    )
    assert location.postcode == "1315AB"
    assert actions(db) == ["partner.create", "partner.location_add"]


@pytest.mark.parametrize(
    ("change", "error", "field"),
    [
        ({"iban": "NL91ABNA0417164301"}, InvalidIban, "iban"),  # check digits wrong
        ({"iban": "NL91ABNA04171643"}, InvalidIban, "iban"),  # too short
        ({"iban": ""}, InvalidIban, "iban"),
        ({"kvk_number": "1234567"}, InvalidKvkNumber, "kvk_number"),
        ({"kvk_number": "1234567a"}, InvalidKvkNumber, "kvk_number"),
        ({"kvk_number": "00000000"}, InvalidKvkNumber, "kvk_number"),
    ],
)
def test_a_bad_iban_or_kvk_number_is_refused_naming_the_field_and_nothing_is_written(
    db: Session, change: dict[str, Any], error: type[DomainError], field: str
) -> None:
    with pytest.raises(error) as refused:
        make_partner(db, **change)
    assert [e["field"] for e in refused.value.extensions["errors"]] == [field]
    assert db.scalar(select(func.count()).select_from(Partner)) == 0
    assert actions(db) == []


def test_one_kvk_number_is_one_partner(db: Session) -> None:
    make_partner(db)
    with pytest.raises(KvkNumberTaken):
        make_partner(db, name="Andere club")


def test_a_change_of_iban_is_audited_with_before_and_after(db: Session) -> None:
    partner = make_partner(db)
    partners.update_partner(db, partner, {"iban": "NL02ABNA0123456789"}, actor=TEST_ACTOR)
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "partner.update")).one()
    assert event.changes == {"iban": ["NL91ABNA0417164300", "NL02ABNA0123456789"]}


def contract(
    session: Session, partner: Partner, locations: list[Location], scheme: str = "stadsfonds",
    valid_from: dt.date = dt.date(2027, 1, 1), valid_to: dt.date | None = None,
) -> Contract:  # fmt: skip
    return agreements.create_contract(
        session,
        partner,
        scheme=schemes.get_scheme(session, scheme),
        location_ids=[loc.id for loc in locations],
        valid_from=valid_from,
        valid_to=valid_to,
        tariff_kind="amount_redeemed",
        tariff=None,
        actor=TEST_ACTOR,
    )


def test_overlapping_contracts_for_one_scheme_at_one_location_are_refused(
    reference: Session,
) -> None:
    partner = make_partner(reference)
    hall, pool = make_location(reference, partner), make_location(reference, partner, name="Bad")
    contract(reference, partner, [hall], valid_to=dt.date(2027, 6, 30))
    with pytest.raises(ContractOverlaps):
        contract(reference, partner, [pool, hall], valid_from=dt.date(2027, 6, 30))
    # The day after, at another location, or for another scheme: no overlap.
    contract(reference, partner, [hall], valid_from=dt.date(2027, 7, 1))
    contract(reference, partner, [pool])
    contract(reference, partner, [hall], scheme="menstruatie")
    assert reference.scalar(select(func.count()).select_from(Contract)) == 4


def test_an_open_ended_contract_overlaps_every_later_one(reference: Session) -> None:
    partner = make_partner(reference)
    hall = make_location(reference, partner)
    contract(reference, partner, [hall], valid_from=dt.date(2027, 1, 1))
    with pytest.raises(ContractOverlaps):
        contract(reference, partner, [hall], valid_from=dt.date(2030, 1, 1))


def test_a_contract_at_another_partners_location_is_refused(reference: Session) -> None:
    ours, theirs = make_partner(reference), make_partner(reference, kvk_number="87654321")
    with pytest.raises(LocationOfAnotherPartner):
        contract(reference, ours, [make_location(reference, theirs)])


@pytest.mark.parametrize("scheme", ["basis", "vroegschool"])
def test_no_contract_for_an_offer_scheme_or_an_inactive_one(
    reference: Session, scheme: str
) -> None:
    partner = make_partner(reference)
    with pytest.raises(SchemeNotContractable):
        contract(reference, partner, [make_location(reference, partner)], scheme=scheme)


def test_a_device_key_works_once_created_is_stored_only_hashed_and_fails_when_revoked(
    db: Session,
) -> None:
    partner = make_partner(db)
    device, key = devices.create_device(
        db, partner, {"name": "Kassa 1", "location_id": make_location(db, partner).id},
        keys=KEYS, actor=TEST_ACTOR,
    )  # fmt: skip
    assert devices.authenticate_device(db, key, KEYS) is device

    row = db.execute(text("SELECT * FROM partner_device")).one()
    assert not any(key in str(value) for value in row), "the raw key is in the database"
    assert all(key not in str(e.changes) for e in db.scalars(select(AuditEvent)))

    with pytest.raises(DeviceUnknown):
        devices.authenticate_device(db, key[:-1] + ("A" if key[-1] != "A" else "B"), KEYS)
    devices.revoke_device(db, device, actor=TEST_ACTOR)
    with pytest.raises(DeviceRevoked):
        devices.authenticate_device(db, key, KEYS)
    assert actions(db)[-2:] == ["device.create", "device.revoke"]


def test_a_device_of_a_deactivated_partner_no_longer_works(db: Session) -> None:
    partner = make_partner(db)
    _, key = devices.create_device(
        db, partner, {"name": "Kassa", "location_id": make_location(db, partner).id},
        keys=KEYS, actor=TEST_ACTOR,
    )  # fmt: skip
    partners.deactivate_partner(db, partner, actor=TEST_ACTOR)
    with pytest.raises(DeviceRevoked):
        devices.authenticate_device(db, key, KEYS)
    assert db.scalar(select(func.count()).select_from(Device)) == 1


def test_a_manager_always_gets_a_second_factor_a_cashier_only_when_asked(db: Session) -> None:
    partner = make_partner(db)
    data = {"display_name": "Anna", "password": "lang-genoeg-wachtwoord"}
    manager, secret = users.create_partner_user(
        db, partner, {**data, "username": "anna", "role": "manager"}, keys=KEYS, actor=TEST_ACTOR
    )
    cashier, none = users.create_partner_user(
        db, partner, {**data, "username": "bob", "role": "cashier"}, keys=KEYS, actor=TEST_ACTOR
    )
    assert manager.role is PartnerRole.manager and secret is not None
    assert manager.totp_secret_encrypted is not None
    assert KEYS.decrypt(manager.totp_secret_encrypted) == secret
    assert none is None and cashier.totp_secret_encrypted is None
    assert KEYS.password_hasher.verify(cashier.password_hash, "lang-genoeg-wachtwoord")


def test_offers_show_while_valid_and_ended_ones_disappear(db: Session) -> None:
    partner = make_partner(db)
    offer = offers.create_offer(
        db,
        partner,
        {
            "title_nl": "10 % korting op een zwemkaart",
            "title_en": "10% off a swimming pass",
            "description_nl": "Aan de kassa.",
            "description_en": "At the desk.",
            "valid_from": dt.date(2027, 1, 1),
        },
        actor=TEST_ACTOR,
    )
    assert offers.current_offers(db, dt.date(2026, 12, 31)) == []
    assert offers.current_offers(db, dt.date(2027, 3, 1)) == [offer]
    offers.end_offer(db, offer, dt.date(2027, 2, 28), actor=TEST_ACTOR)
    assert offers.current_offers(db, dt.date(2027, 3, 1)) == []
    assert actions(db)[-2:] == ["offer.create", "offer.end"]


def test_a_partner_that_stopped_gets_no_new_contract_device_or_offer(reference: Session) -> None:
    partner = make_partner(reference)
    hall = make_location(reference, partner)
    partners.deactivate_partner(reference, partner, actor=TEST_ACTOR)
    with pytest.raises(PartnerInactive):
        contract(reference, partner, [hall])
    with pytest.raises(PartnerInactive):
        devices.create_device(
            reference, partner, {"name": "Kassa", "location_id": hall.id},
            keys=KEYS, actor=TEST_ACTOR,
        )  # fmt: skip
    assert reference.scalar(select(func.count()).select_from(Contract)) == 0


def test_a_device_only_at_an_active_location_of_its_own_partner(db: Session) -> None:
    ours, theirs = make_partner(db), make_partner(db, kvk_number="87654321")
    closed = make_location(db, ours, active=False)
    for location in (make_location(db, theirs), closed):
        with pytest.raises(InvalidDevice) as refused:
            devices.create_device(
                db, ours, {"name": "Kassa", "location_id": location.id},
                keys=KEYS, actor=TEST_ACTOR,
            )  # fmt: skip
        assert refused.value.extensions["errors"][0]["field"] == "location_id"
    assert db.scalar(select(func.count()).select_from(Device)) == 0
