"""Who may open which caseworker page, and a BSN that never shows up whole anywhere."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from flask import Flask
from sqlalchemy.orm import Session

from almerepas.models import Household, MemberRole, Role
from tests.factories import make_household, make_staff
from tests.web.conftest import BROWSER_ACCEPT, BSN, SignIn, location, main_of, page, submit


@pytest.fixture
def household(reference: Session) -> Household:
    return make_household(reference, [(MemberRole.applicant, dt.date(1990, 4, 1))])


def page_paths(household_id: int) -> list[str]:
    base = f"/medewerkers/huishoudens/{household_id}"
    return [
        "/medewerkers/huishoudens?naam=lid",
        "/medewerkers/huishoudens/nieuw",
        base,
        f"{base}/leden/nieuw",
        f"{base}/inkomenstoets",
        f"{base}/regelingen?datum=2026-03-15",
    ]


def form_paths(household_id: int) -> list[str]:
    base = f"/medewerkers/huishoudens/{household_id}"
    return ["/medewerkers/huishoudens/nieuw", f"{base}/leden/nieuw", f"{base}/inkomenstoets"]


@pytest.mark.parametrize("role", [Role.finance, Role.policy, Role.administrator])
def test_roles_without_household_rights_get_403_everywhere(
    sign_in: SignIn, household: Household, role: Role
) -> None:
    client = sign_in(role)
    for path in page_paths(household.id):
        assert client.get(path).status_code == 403, path
    for path in form_paths(household.id):
        assert submit(client, path, {}).status_code == 403, path
    assert submit(client, "/medewerkers/huishoudens/bsn", {"bsn": BSN}).status_code == 403
    home = page(client.get("/medewerkers"))
    assert "/medewerkers/huishoudens" not in home


def test_a_caseworker_opens_every_page(sign_in: SignIn, household: Household) -> None:
    client = sign_in(Role.caseworker)
    for path in page_paths(household.id):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store"  # personal data: never cached
        page(response)
    home = page(client.get("/medewerkers"))
    assert "Een huishouden zoeken" in home and "Een huishouden inschrijven" in home


def test_an_auditor_reads_without_forms_or_bsn(sign_in: SignIn, household: Household) -> None:
    client = sign_in(Role.auditor)
    search, new, detail, member, assessment, eligibility = page_paths(household.id)
    for path in (new, member, assessment):
        assert client.get(path).status_code == 403, path
        assert submit(client, path, {}).status_code == 403, path
    assert submit(client, "/medewerkers/huishoudens/bsn", {"bsn": BSN}).status_code == 403

    found = page(client.get(search))
    assert "Lid0 Test" in found
    assert 'name="bsn"' not in found and "/medewerkers/huishoudens/nieuw" not in found
    html = page(client.get(detail))
    assert "Lid0 Test" in html
    assert "Burgerservicenummer" not in html
    assert "/leden/nieuw" not in html and "/inkomenstoets" not in html
    assert "<form" not in main_of(html)
    assert "/regelingen" in html
    assert "Regelingen voor" in page(client.get(eligibility))
    home = page(client.get("/medewerkers"))
    assert "Een huishouden zoeken" in home and "Een huishouden inschrijven" not in home


def test_without_a_login_every_page_sends_you_to_the_login_page(
    app: Flask, household: Household
) -> None:
    client = app.test_client()
    for path in page_paths(household.id):
        response = client.get(path)
        assert response.status_code == 303, path
        target = urlsplit(response.headers["Location"])
        assert target.path == "/inloggen" and parse_qs(target.query)["next"] == [path]


def test_logging_in_on_the_real_form_leads_back_to_the_page_asked_for(
    app: Flask, reference: Session
) -> None:
    user, password, secret = make_staff(reference, Role.caseworker, app=app)
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT"] = BROWSER_ACCEPT
    asked = location(client.get("/medewerkers/huishoudens"))
    form = page(client.get(asked))
    token = form.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post(
        "/inloggen",
        data={"username": user.username, "password": password,
              "code": pyotp.TOTP(secret).now(), "next": "/medewerkers/huishoudens",
              "csrf_token": token},
    )  # fmt: skip
    assert location(response) == "/medewerkers/huishoudens"
    assert "Huishoudens zoeken" in page(client.get("/medewerkers/huishoudens"))


def test_a_bsn_never_appears_whole_in_a_page_or_a_url(sign_in: SignIn, reference: Session) -> None:
    caseworker = sign_in(Role.caseworker)
    form = {"street": "Stadhuisplein", "house_number": "3", "postcode": "1315AB",
            "given_name": "Sara", "family_name": "Bakker", "date_of_birth": "01-04-1990",
            "valid_from": "01-01-2024", "bsn": BSN}  # fmt: skip
    created = submit(caseworker, "/medewerkers/huishoudens/nieuw", form)
    target = location(created)
    household_id = int(target.rsplit("/", 1)[1])
    member = {"given_name": "Ilias", "family_name": "Bakker", "date_of_birth": "05-05-2016",
              "role": "child", "valid_from": "01-01-2024", "bsn": "123456782"}  # fmt: skip
    added = submit(caseworker, f"{target}/leden/nieuw", member)
    bsn_search = submit(caseworker, "/medewerkers/huishoudens/bsn", {"bsn": BSN})
    responses = [created, added, bsn_search]
    responses += [caseworker.get(path) for path in page_paths(household_id)]
    responses.append(caseworker.get("/medewerkers/huishoudens?naam=bakker"))
    auditor = sign_in(Role.auditor)
    responses += [auditor.get(target), auditor.get("/medewerkers/audit")]
    for response in responses:
        body = response.get_data(as_text=True)
        for bsn in (BSN, "123456782"):
            assert bsn not in body and bsn not in response.headers.get("Location", "")
    household_page = page(caseworker.get(target))
    assert "******333" in household_page and "******782" in household_page
