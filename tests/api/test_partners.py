"""Partners through the staff API: administrators keep them and their keys, others read;
bad KvK numbers and IBANs are refused naming the field; a device key is shown once."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from almerepas.contracts import devices
from almerepas.contracts.errors import DeviceRevoked
from almerepas.models import AuditEvent, Partner, Role
from tests.factories import KEYS, make_staff, token_headers

PARTNER: dict[str, Any] = {
    "name": "Sportclub Almere",
    "kvk_number": "12345678",
    "iban": "NL91ABNA0417164300",
    "payout_method": "sepa",
}
HALL: dict[str, Any] = {
    "name": "Sporthal Haven",
    "street": "Havenstraat",
    "house_number": "12",
    "postcode": "1315 AB",
    "kind": "sport",
}


def headers_for(client: FlaskClient, session: Session, role: Role) -> dict[str, str]:
    user, _, _ = make_staff(session, role, app=client.application)
    return token_headers(session, user)


def partner_with_location(client: FlaskClient, admin: dict[str, str]) -> tuple[int, int]:
    created = client.post("/api/v1/partners", json=PARTNER, headers=admin)
    assert created.status_code == 201, created.get_json()
    partner_id = created.get_json()["id"]
    hall = client.post(f"/api/v1/partners/{partner_id}/locations", json=HALL, headers=admin)
    assert hall.status_code == 201, hall.get_json()
    assert hall.get_json()["postcode"] == "1315AB"
    return partner_id, hall.get_json()["id"]


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"iban": "NL91ABNA0417164301"}, "invalid_iban", "iban"),
        ({"iban": "XX00"}, "invalid_iban", "iban"),
        ({"kvk_number": "1234"}, "invalid_kvk_number", "kvk_number"),
        ({"bic": "ABN"}, "invalid_bic", "bic"),
        ({"payout_method": "cash"}, "validation_failed", "payout_method"),
    ],
)
def test_a_bad_iban_or_kvk_number_is_a_400_naming_the_field_and_nothing_is_written(
    client: FlaskClient, db: Session, change: dict[str, Any], code: str, field: str
) -> None:
    admin = headers_for(client, db, Role.administrator)
    response = client.post("/api/v1/partners", json={**PARTNER, **change}, headers=admin)
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == code
    assert [e["field"] for e in body["errors"]] == [field]
    assert db.scalar(select(func.count()).select_from(Partner)) == 0
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action.like("partner.%"))) == 0  # fmt: skip


def test_the_english_refusal_of_an_iban(client: FlaskClient, db: Session) -> None:
    admin = headers_for(client, db, Role.administrator)
    body = {**PARTNER, "iban": "NL91ABNA0417164301"}
    response = client.post("/api/v1/partners?lang=en", json=body, headers=admin)
    assert response.get_json()["title"] == "This IBAN is not right"


def test_a_device_key_is_shown_once_works_until_revoked_and_is_stored_hashed(
    client: FlaskClient, db: Session
) -> None:
    admin = headers_for(client, db, Role.administrator)
    partner_id, hall_id = partner_with_location(client, admin)
    created = client.post(
        f"/api/v1/partners/{partner_id}/devices",
        json={"name": "Kassa 1", "location_id": hall_id},
        headers=admin,
    )
    assert created.status_code == 201, created.get_json()
    key = created.get_json()["key"]
    assert devices.authenticate_device(db, key, KEYS).id == created.get_json()["id"]

    listed = client.get(f"/api/v1/partners/{partner_id}/devices", headers=admin)
    assert key not in listed.get_data(as_text=True)
    assert "key" not in listed.get_json()["items"][0]
    row = db.execute(text("SELECT * FROM partner_device")).one()
    assert not any(key in str(value) for value in row)

    device_id = created.get_json()["id"]
    revoked = client.post(
        f"/api/v1/partners/{partner_id}/devices/{device_id}/revocation", headers=admin
    )
    assert revoked.status_code == 200 and revoked.get_json()["revoked_at"] is not None
    assert key not in revoked.get_data(as_text=True)
    with pytest.raises(DeviceRevoked):
        devices.authenticate_device(db, key, KEYS)


def test_an_overlapping_contract_is_a_409(client: FlaskClient, reference: Session) -> None:
    admin = headers_for(client, reference, Role.administrator)
    partner_id, hall_id = partner_with_location(client, admin)
    contract = {"scheme": "stadsfonds", "location_ids": [hall_id], "valid_from": "2027-01-01",
                "tariff_kind": "amount_redeemed"}  # fmt: skip
    url = f"/api/v1/partners/{partner_id}/contracts"
    first = client.post(url, json=contract, headers=admin)
    assert first.status_code == 201, first.get_json()
    again = client.post(url, json={**contract, "valid_from": "2028-01-01"}, headers=admin)
    assert again.status_code == 409 and again.get_json()["code"] == "contract_overlaps"

    ended = client.patch(
        f"{url}/{first.get_json()['id']}", json={"valid_to": "2027-12-31"}, headers=admin
    )
    assert ended.status_code == 200, ended.get_json()
    later = client.post(url, json={**contract, "valid_from": "2028-01-01"}, headers=admin)
    assert later.status_code == 201, later.get_json()
    listed = client.get(url, headers=admin).get_json()["items"]
    assert [(c["valid_from"], c["valid_to"]) for c in listed] == [
        ("2027-01-01", "2027-12-31"),
        ("2028-01-01", None),
    ]


def test_a_contract_at_another_partners_location_is_refused(
    client: FlaskClient, reference: Session
) -> None:
    admin = headers_for(client, reference, Role.administrator)
    _, theirs = partner_with_location(client, admin)
    ours = client.post(
        "/api/v1/partners", json={**PARTNER, "kvk_number": "87654321"}, headers=admin
    ).get_json()["id"]
    response = client.post(
        f"/api/v1/partners/{ours}/contracts",
        json={"scheme": "stadsfonds", "location_ids": [theirs], "valid_from": "2027-01-01",
              "tariff_kind": "per_unit", "tariff": 150},
        headers=admin,
    )  # fmt: skip
    assert response.status_code == 400
    assert response.get_json()["code"] == "location_of_another_partner"


def test_a_manager_gets_a_second_factor_shown_once(client: FlaskClient, db: Session) -> None:
    admin = headers_for(client, db, Role.administrator)
    partner_id, _ = partner_with_location(client, admin)
    url = f"/api/v1/partners/{partner_id}/users"
    created = client.post(
        url,
        json={"username": "anna", "display_name": "Anna", "role": "manager",
              "password": "lang-genoeg-wachtwoord"},
        headers=admin,
    )  # fmt: skip
    assert created.status_code == 201, created.get_json()
    secret = created.get_json()["totp_secret"]
    assert secret and created.get_json()["second_factor"] is True
    listed = client.get(url, headers=admin)
    assert secret not in listed.get_data(as_text=True)
    assert "password" not in listed.get_data(as_text=True)


def test_finance_reads_partners_but_may_not_change_them(client: FlaskClient, db: Session) -> None:
    admin = headers_for(client, db, Role.administrator)
    partner_id, _ = partner_with_location(client, admin)
    finance = headers_for(client, db, Role.finance)
    assert client.get(f"/api/v1/partners/{partner_id}", headers=finance).status_code == 200
    changed = client.patch(f"/api/v1/partners/{partner_id}", json={"active": False},
                           headers=finance)  # fmt: skip
    assert changed.status_code == 403
    caseworker = headers_for(client, db, Role.caseworker)
    assert client.get("/api/v1/partners", headers=caseworker).status_code == 403


def test_an_offer_is_made_and_ended(client: FlaskClient, db: Session) -> None:
    admin = headers_for(client, db, Role.administrator)
    partner_id, _ = partner_with_location(client, admin)
    url = f"/api/v1/partners/{partner_id}/offers"
    offer = {"title_nl": "10 % korting op een zwemkaart", "title_en": "10% off a swimming pass",
             "description_nl": "Laat uw pas zien.", "description_en": "Show your pass.",
             "valid_from": "2026-01-01"}  # fmt: skip
    created = client.post(url, json=offer, headers=admin)
    assert created.status_code == 201, created.get_json()
    ended = client.patch(
        f"{url}/{created.get_json()['id']}", json={"valid_to": "2026-06-30"}, headers=admin
    )
    assert ended.status_code == 200 and ended.get_json()["valid_to"] == "2026-06-30"
