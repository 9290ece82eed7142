"""The partner forms an administrator fills in: a location, a contract, a partner user, a device
(its key shown once), an offer; each with its Dutch errors at the fields and its audit row."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image, ImageDraw
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.contracts import devices, partners
from almerepas.contracts.errors import DeviceRevoked
from almerepas.contracts.models import Contract, Device, Location, Offer, Partner, PartnerUser
from almerepas.core.session import get_keys
from almerepas.models import AuditEvent, Role
from tests.factories import TEST_ACTOR
from tests.qr import read_qr
from tests.web.conftest import SignIn, field_error, location, page, submit
from tests.web.test_partner_admin import LIST, make_location, make_partner, page_actions


@pytest.fixture
def club(reference: Session) -> Partner:
    return make_partner(reference)


@pytest.fixture
def hall(reference: Session, club: Partner) -> Location:
    return make_location(reference, club)


@pytest.fixture
def admin(sign_in: SignIn) -> FlaskClient:
    return sign_in(Role.administrator)


def scanned(html: str) -> list[str]:
    """What a phone reads from the inline SVG QR code on a page (its modules drawn as pixels)."""
    svg = html.split("<svg", 1)[1].split("</svg>", 1)[0]
    side = float(re.findall(r'viewBox="0 0 ([0-9.]+)', svg)[0])
    image = Image.new("L", (int(side * 10), int(side * 10)), 255)
    draw = ImageDraw.Draw(image)
    for x, y, right, bottom in re.findall(r"M([0-9.]+),([0-9.]+)H([0-9.]+)V([0-9.]+)H", svg):
        box = (float(x) * 10, float(y) * 10, float(right) * 10 - 1, float(bottom) * 10 - 1)
        draw.rectangle(box, fill=0)
    return [symbol.text for symbol in read_qr(image)]


def audit_row(session: Session, action: str) -> AuditEvent:
    return session.scalars(select(AuditEvent).where(AuditEvent.action == action)).one()


# -- a location ---------------------------------------------------------------------------------


def test_adding_a_location(admin: FlaskClient, reference: Session, club: Partner) -> None:
    path = f"{LIST}/{club.id}/locaties/nieuw"
    typed = {"name": "Zwembad", "street": "Kruisstraat", "house_number": "3",
             "postcode": "1315 ab", "kind": "culture"}  # fmt: skip
    back = location(submit(admin, path, typed))
    assert back == f"{LIST}/{club.id}#locaties"
    made = reference.scalars(select(Location)).one()
    assert (made.name, made.postcode, made.kind) == ("Zwembad", "1315AB", "culture")
    html = page(admin.get(f"{LIST}/{club.id}"))
    assert "De locatie Zwembad is toegevoegd." in html and "Cultuur" in html
    assert page_actions(reference) == ["partner.location_add"]


def test_a_location_form_names_every_wrong_field(
    admin: FlaskClient, reference: Session, club: Partner
) -> None:
    path = f"{LIST}/{club.id}/locaties/nieuw"
    empty = submit(admin, path, {})
    assert empty.status_code == 400
    html = page(empty)
    assert field_error(html, "name") == "Vul de naam van de locatie in."
    assert field_error(html, "postcode") == "Vul de postcode in, bijvoorbeeld 1315 AB."
    assert field_error(html, "kind") == "Kies wat voor locatie het is."
    typed = {"name": "Zwembad", "street": "Kruisstraat", "house_number": "3",
             "postcode": "131 AB", "kind": "zoo"}  # fmt: skip
    wrong = page(submit(admin, path, typed))
    assert field_error(wrong, "postcode") == (
        "Vul een postcode in zoals 1315 AB: 4 cijfers en 2 letters."
    )
    assert field_error(wrong, "kind") == "Kies wat voor locatie het is."
    assert 'value="Kruisstraat"' in wrong
    assert page_actions(reference) == []


# -- a contract ---------------------------------------------------------------------------------


def contract_form(hall: Location, **changes: str) -> dict[str, str]:
    form = {"scheme": "ov", "location_ids": str(hall.id), "valid_from": "01-01-2027",
            "valid_to": "31-12-2027", "tariff_kind": "per_ride", "tariff": "2,50"}  # fmt: skip
    return form | changes


def test_adding_a_contract_with_a_tariff_per_ride(
    admin: FlaskClient, reference: Session, club: Partner, hall: Location
) -> None:
    path = f"{LIST}/{club.id}/contracten/nieuw"
    form = page(admin.get(path))
    assert "Sporthal Haven" in form and "Gratis openbaar vervoer in Almere" in form
    assert "Stadspas-aanbod" not in form  # offers need no contract
    assert location(submit(admin, path, contract_form(hall))) == f"{LIST}/{club.id}#contracten"
    made = reference.scalars(select(Contract)).one()
    assert (made.tariff_kind, made.tariff) == ("per_ride", 250)
    assert made.valid_to == dt.date(2027, 12, 31)
    assert "€ 2,50 per rit" in page(admin.get(f"{LIST}/{club.id}"))
    event = audit_row(reference, "contract.create")
    assert event.changes is not None and event.changes["tariff"] == [None, 250]
    assert event.actor.startswith("staff:")


def test_a_discount_share_is_typed_as_a_percentage(
    admin: FlaskClient, reference: Session, club: Partner, hall: Location
) -> None:
    typed = contract_form(hall, scheme="supermarkt", tariff_kind="discount_reimbursed",
                          tariff="75 %", valid_to="")  # fmt: skip
    location(submit(admin, f"{LIST}/{club.id}/contracten/nieuw", typed))
    made = reference.scalars(select(Contract)).one()
    assert (made.tariff, made.valid_to) == (7500, None)
    assert "75% van de gegeven korting" in page(admin.get(f"{LIST}/{club.id}"))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"scheme": ""}, "scheme", "Kies een regeling."),
        ({"location_ids": ""}, "location_ids", "Kies minstens één locatie."),
        ({"valid_from": "1 januari"}, "valid_from",
         "Vul een datum in zoals 01-01-2027 (dag-maand-jaar)."),
        ({"valid_to": "31-12-2026"}, "valid_to", "De laatste dag ligt voor de eerste dag."),
        ({"tariff_kind": ""}, "tariff_kind", "Kies hoe de gemeente betaalt."),
        ({"tariff": "twee"}, "tariff", "Vul een bedrag in euro in, zoals 2,50."),
        ({"tariff": "-1"}, "tariff", "Vul een bedrag in euro in, zoals 2,50."),
        ({"tariff_kind": "amount_redeemed"}, "tariff",
         "Laat het tarief leeg: de gemeente betaalt het bedrag zelf."),
        ({"tariff_kind": "discount_reimbursed", "tariff": "120"}, "tariff",
         "Vul een percentage in van 0,01 tot en met 100, zoals 75."),
    ],
)  # fmt: skip
def test_a_wrong_contract_field_gets_its_dutch_message(
    admin: FlaskClient, reference: Session, club: Partner, hall: Location,
    changes: dict[str, str], field: str, message: str,
) -> None:  # fmt: skip
    response = submit(admin, f"{LIST}/{club.id}/contracten/nieuw", contract_form(hall, **changes))
    assert response.status_code == 400
    assert field_error(page(response), field) == message
    assert page_actions(reference) == []


def test_a_location_of_another_partner_is_refused_by_the_domain_at_the_field(
    admin: FlaskClient, reference: Session, club: Partner, hall: Location
) -> None:
    other = make_location(reference, make_partner(reference, kvk_number="87654321"))
    typed = contract_form(hall, location_ids=str(other.id))  # a form changed by hand
    response = submit(admin, f"{LIST}/{club.id}/contracten/nieuw", typed)
    assert response.status_code == 400
    assert field_error(page(response), "location_ids") == "Kies alleen locaties van deze partner."
    assert page_actions(reference) == []


def test_an_overlapping_contract_is_refused_at_the_dates(
    admin: FlaskClient, reference: Session, club: Partner, hall: Location
) -> None:
    path = f"{LIST}/{club.id}/contracten/nieuw"
    location(submit(admin, path, contract_form(hall)))
    again = submit(admin, path, contract_form(hall, valid_from="01-06-2027", valid_to=""))
    assert again.status_code == 400
    html = page(again)
    assert field_error(html, "valid_from").startswith("Deze partner heeft in deze periode al")
    assert f'value="{hall.id}" checked' in html  # the choice stays
    assert len(reference.scalars(select(Contract)).all()) == 1
    assert page_actions(reference) == ["contract.create"]


# -- a partner user -----------------------------------------------------------------------------


def test_a_manager_gets_a_second_factor_shown_once(
    app: Flask, admin: FlaskClient, reference: Session, club: Partner
) -> None:
    path = f"{LIST}/{club.id}/gebruikers/nieuw"
    typed = {"username": "Jan.Manager", "display_name": "Jan Jansen", "role": "manager",
             "password": "een heel lang wachtwoord"}  # fmt: skip
    response = submit(admin, path, typed)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = page(response)
    secret = re.search(r'<code class="pass-number">([A-Z2-7]{32})</code>', html)
    assert secret, html
    assert "Deze sleutel wordt nooit meer getoond." in html
    assert "otpauth://totp/" in html
    assert 'role="img" aria-label="QR-code om in de app te scannen"' in html
    [uri] = scanned(html)
    assert uri.startswith("otpauth://totp/") and f"secret={secret.group(1)}" in uri
    user = reference.scalars(select(PartnerUser)).one()
    assert user.username == "jan.manager"
    with app.app_context():  # the secret shown is the one kept, encrypted
        assert user.totp_secret_encrypted is not None
        assert get_keys().decrypt(user.totp_secret_encrypted) == secret.group(1)
    later = page(admin.get(f"{LIST}/{club.id}"))
    assert secret.group(1) not in later and "jan.manager" in later and "Leidinggevende" in later
    event = audit_row(reference, "partner.user_create")
    assert event.changes is not None and event.changes["second_factor"] == [None, True]
    assert "een heel lang wachtwoord" not in str(event.changes)


def test_a_cashier_without_second_factor_sees_no_secret(
    admin: FlaskClient, reference: Session, club: Partner
) -> None:
    typed = {"username": "kassa", "display_name": "Kassa", "role": "cashier",
             "password": "een heel lang wachtwoord"}  # fmt: skip
    html = page(submit(admin, f"{LIST}/{club.id}/gebruikers/nieuw", typed))
    assert "Gebruiker kassa is toegevoegd" in html and "Tweede factor" not in html
    assert reference.scalars(select(PartnerUser)).one().totp_secret_encrypted is None


def test_a_partner_user_form_names_the_wrong_fields_and_never_echoes_the_password(
    admin: FlaskClient, reference: Session, club: Partner
) -> None:
    path = f"{LIST}/{club.id}/gebruikers/nieuw"
    short = {"username": "anna", "display_name": "Anna", "role": "cashier", "password": "kort"}
    html = page(submit(admin, path, short))
    assert field_error(html, "password") == "Kies een wachtwoord van minstens 12 tekens."
    assert 'value="kort"' not in html and 'value="anna"' in html
    bad = page(submit(admin, path, {**short, "username": "Anna Maria!", "role": "baas"}))
    assert field_error(bad, "role") == "Kies een rol."
    long_enough = {**short, "password": "een heel lang wachtwoord"}
    assert submit(admin, path, long_enough).status_code == 200
    taken = page(submit(admin, path, long_enough))
    assert field_error(taken, "username") == "Deze naam bestaat al."
    assert page_actions(reference) == ["partner.user_create"]


# -- a device -----------------------------------------------------------------------------------


def test_a_device_key_is_shown_once_with_a_warning_and_works(
    app: Flask, admin: FlaskClient, reference: Session, club: Partner, hall: Location
) -> None:
    path = f"{LIST}/{club.id}/apparaten/nieuw"
    assert "Sporthal Haven" in page(admin.get(path))
    response = submit(admin, path, {"name": "Kassa 1", "location_id": str(hall.id)})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = page(response)
    key = re.search(r'value="(almdev_[A-Za-z0-9_-]+)"', html)
    assert key, html
    assert "Let op: u ziet deze sleutel maar één keer" in html
    assert "De sleutel wordt nooit meer getoond" in html
    with app.app_context():
        device = devices.authenticate_device(reference, key.group(1), get_keys())
    assert device.name == "Kassa 1"
    for later in (admin.get(f"{LIST}/{club.id}"), admin.get(path), admin.get(LIST)):
        assert key.group(1) not in later.get_data(as_text=True)
    event = audit_row(reference, "device.create")
    assert key.group(1) not in str(event.changes)


def test_a_device_form_names_the_wrong_fields(
    admin: FlaskClient, reference: Session, club: Partner, hall: Location
) -> None:
    other = make_location(reference, make_partner(reference, kvk_number="87654321"))
    path = f"{LIST}/{club.id}/apparaten/nieuw"
    html = page(submit(admin, path, {"name": "", "location_id": str(other.id)}))
    assert field_error(html, "name") == "Vul een naam in voor het apparaat, zoals Kassa 1."
    assert field_error(html, "location_id") == "Kies de locatie van het apparaat."
    assert reference.scalars(select(Device)).all() == []


def test_revoking_a_device_stops_its_key(
    app: Flask, admin: FlaskClient, reference: Session, club: Partner, hall: Location
) -> None:
    with app.app_context():
        device, key = devices.create_device(
            reference, club, {"name": "Kassa 1", "location_id": hall.id},
            keys=get_keys(), actor=TEST_ACTOR,
        )  # fmt: skip
    path = f"{LIST}/{club.id}/apparaten/{device.id}/intrekken"
    assert location(submit(admin, path, {})) == f"{LIST}/{club.id}#apparaten"
    html = page(admin.get(f"{LIST}/{club.id}"))
    assert "De sleutel van apparaat Kassa 1 is ingetrokken." in html and "Ingetrokken" in html
    assert "Sleutel intrekken" not in html
    with app.app_context(), pytest.raises(DeviceRevoked):
        devices.authenticate_device(reference, key, get_keys())
    assert page_actions(reference) == ["device.revoke"]


# -- an offer -----------------------------------------------------------------------------------


def test_adding_an_offer(admin: FlaskClient, reference: Session, club: Partner) -> None:
    typed = {"title_nl": "Gratis proefles", "title_en": "Free trial lesson",
             "description_nl": "Eén les.\nVoor iedereen.", "description_en": "One lesson.",
             "conditions_nl": "", "conditions_en": "", "valid_from": "01-01-2027",
             "valid_to": ""}  # fmt: skip
    back = location(submit(admin, f"{LIST}/{club.id}/aanbiedingen/nieuw", typed))
    assert back == f"{LIST}/{club.id}#aanbiedingen"
    made = reference.scalars(select(Offer)).one()
    assert made.description_nl == "Eén les.\nVoor iedereen." and made.conditions_nl is None
    assert made.valid_from == dt.date(2027, 1, 1)
    assert "Gratis proefles" in page(admin.get(back))
    assert page_actions(reference) == ["offer.create"]


def test_an_offer_form_names_the_wrong_fields(
    admin: FlaskClient, reference: Session, club: Partner
) -> None:
    path = f"{LIST}/{club.id}/aanbiedingen/nieuw"
    html = page(submit(admin, path, {"valid_from": "01-02-2027", "valid_to": "01-01-2027"}))
    assert field_error(html, "title_nl") == "Vul de titel in het Nederlands in."
    assert field_error(html, "title_en") == "Vul de titel in het Engels in."
    assert field_error(html, "description_en") == "Vul de beschrijving in het Engels in."
    assert field_error(html, "valid_to") == "De laatste dag ligt voor de eerste dag."
    assert page_actions(reference) == []


def test_a_partner_that_stopped_takes_nothing_new(
    admin: FlaskClient, reference: Session, club: Partner, hall: Location
) -> None:
    partners.deactivate_partner(reference, club, actor=TEST_ACTOR)
    response = submit(admin, f"{LIST}/{club.id}/apparaten/nieuw",
                      {"name": "Kassa 2", "location_id": str(hall.id)})  # fmt: skip
    assert response.status_code == 400
    assert field_error(page(response), "name") == "Deze partner doet niet meer mee"
    assert page_actions(reference) == []
