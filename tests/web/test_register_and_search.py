"""Registering a household on the page, and finding it again by name, postcode, birth date, BSN."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almerepas.models import AuditEvent, Household, MemberRole, Role
from tests.factories import make_household
from tests.web.conftest import (
    BSN,
    OTHER_BSN,
    SignIn,
    actions,
    field_error,
    location,
    page,
    submit,
)

NEW = "/medewerkers/huishoudens/nieuw"


def applicant(**changes: str) -> dict[str, str]:
    form = {
        "street": "Stadhuisplein",
        "house_number": "12",
        "house_number_suffix": "A",
        "postcode": "1315 ab",
        "given_name": "Sara",
        "family_name": "Bakker",
        "date_of_birth": "01-04-1990",
        "valid_from": "01-01-2024",
        "bsn": "",
    }
    return form | changes


def households_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Household)) or 0


def test_a_caseworker_registers_a_household_with_its_applicant(
    caseworker: FlaskClient, reference: Session
) -> None:
    form = page(caseworker.get(NEW))
    assert 'name="csrf_token"' in form and "Postcode (bijvoorbeeld 1315 AB)" in form

    response = submit(caseworker, NEW, applicant(bsn="111 222 333"))
    target = location(response)
    assert BSN not in target
    household = reference.scalars(select(Household)).one()
    assert target == f"/medewerkers/huishoudens/{household.id}"
    assert household.postcode == "1315AB" and household.house_number_suffix == "A"

    html = page(caseworker.get(target))
    assert "Het huishouden is ingeschreven." in html
    assert "<bdi>Stadhuisplein 12 A</bdi>" in html and "<bdi>1315 AB</bdi>" in html
    assert "Almere Stad" in html
    assert "<bdi>Sara Bakker</bdi>" in html and ">01-04-1990</time>" in html and "Aanvrager" in html
    assert "<bdi>******333</bdi>" in html and BSN not in html
    assert "Er is nog geen inkomenstoets." in html

    assert actions(reference) == ["household.create", "household.add_member", "household.view"]
    added = reference.scalars(
        select(AuditEvent).where(AuditEvent.action == "household.add_member")
    ).one()
    assert added.changes is not None and added.changes["bsn"] == [
        None,
        "***",
    ]  # the log never holds a BSN
    assert added.actor.startswith("staff:") and added.role == "caseworker"


def test_a_postcode_outside_almere_is_named_at_the_field_and_nothing_is_written(
    caseworker: FlaskClient, reference: Session
) -> None:
    response = submit(caseworker, NEW, applicant(postcode="1012 AB"))
    assert response.status_code == 400
    html = page(response)
    assert field_error(html, "postcode") == (
        "Deze postcode ligt niet in Almere. "
        "Alleen inwoners van Almere kunnen een Almerepas krijgen."
    )
    assert 'aria-invalid="true"' in html and 'role="alert"' in html
    assert "<title>Fout: Een huishouden inschrijven" in html
    # What was typed stays, so only the postcode needs fixing.
    for value in ("Stadhuisplein", "1012 AB", "Sara", "Bakker", "01-04-1990"):
        assert f'value="{value}"' in html
    assert households_count(reference) == 0 and actions(reference) == []


def test_every_wrong_field_gets_its_own_message(
    caseworker: FlaskClient, reference: Session
) -> None:
    empty = page(submit(caseworker, NEW, {}))
    for name in ("street", "house_number", "postcode", "given_name", "family_name"):
        assert field_error(empty, name)
    assert field_error(empty, "date_of_birth") == "Vul de geboortedatum in."
    # The summary lists the fields in the order of the page.
    assert empty.index('href="#street"') < empty.index('href="#postcode"')
    assert empty.index('href="#postcode"') < empty.index('href="#given_name"')

    wrong = page(
        submit(
            caseworker,
            NEW,
            applicant(
                house_number="12a",
                postcode="131 AB",
                date_of_birth="31-02-1990",
                valid_from="gisteren",
                bsn="123456789",
            ),
        )
    )
    assert "Een letter gaat bij" in field_error(wrong, "house_number")
    assert field_error(wrong, "postcode").startswith("Vul een postcode in zoals 1315 AB")
    assert field_error(wrong, "date_of_birth") == (
        "Vul een datum in zoals 15-03-1980 (dag-maand-jaar)."
    )
    assert field_error(wrong, "valid_from").startswith("Vul een datum in zoals")
    assert field_error(wrong, "bsn") == (
        "Dit burgerservicenummer klopt niet. Controleer de 9 cijfers."
    )
    assert "123456789" not in wrong

    future = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=30)
    response = submit(caseworker, NEW, applicant(date_of_birth=future.strftime("%d-%m-%Y")))
    assert response.status_code == 400
    assert field_error(page(response), "date_of_birth") == (
        "De geboortedatum ligt in de toekomst. Controleer de datum."
    )
    assert households_count(reference) == 0


def test_a_typed_bsn_is_never_put_back_into_the_page(
    caseworker: FlaskClient, reference: Session
) -> None:
    response = submit(caseworker, NEW, applicant(family_name="", bsn=BSN))
    html = page(response)
    assert BSN not in html
    assert field_error(html, "bsn").startswith("Vul het burgerservicenummer opnieuw in.")
    assert field_error(html, "family_name") == "Vul de achternaam in."


def test_a_bsn_that_belongs_to_someone_else_is_refused(
    caseworker: FlaskClient, reference: Session
) -> None:
    location(submit(caseworker, NEW, applicant(bsn=OTHER_BSN)))
    before = actions(reference)
    response = submit(caseworker, NEW, applicant(house_number="14", bsn=OTHER_BSN))
    assert response.status_code == 400
    html = page(response)
    assert field_error(html, "bsn").startswith("Dit burgerservicenummer hoort al bij iemand anders")
    assert OTHER_BSN not in html
    assert households_count(reference) == 1 and actions(reference) == before


def test_search_by_name_postcode_and_birth_date_with_pages(
    caseworker: FlaskClient, reference: Session
) -> None:
    page_one = page(caseworker.get("/medewerkers/huishoudens"))
    assert "Resultaten" not in page_one and 'name="bsn"' in page_one
    for _ in range(21):
        make_household(reference, [(MemberRole.applicant, dt.date(1985, 6, 1))])
    yilmaz = make_household(
        reference, [(MemberRole.applicant, dt.date(1970, 2, 3))], postcode="1361 AA"
    )
    yilmaz.memberships[0].person.family_name = "Yılmaz"
    reference.flush()

    html = page(
        caseworker.get("/medewerkers/huishoudens?naam=lid0&postcode=&geboortedatum=01-06-1985")
    )
    assert "21 huishoudens gevonden." in html
    assert "pagina 1 van 2" in html and 'rel="next"' in html
    second = page(
        caseworker.get(
            "/medewerkers/huishoudens?naam=lid0&postcode=&geboortedatum=01-06-1985&pagina=2"
        )
    )
    assert "pagina 2 van 2" in second and 'rel="prev"' in second and 'rel="next"' not in second

    by_postcode = page(
        caseworker.get("/medewerkers/huishoudens?naam=&postcode=1361aa&geboortedatum=")
    )
    assert "1 huishouden gevonden." in by_postcode
    assert "Almere Poort" in by_postcode and "<bdi>Lid0 Yılmaz</bdi>" in by_postcode
    assert f'href="/medewerkers/huishoudens/{yilmaz.id}"' in by_postcode

    searches = reference.scalars(
        select(AuditEvent).where(AuditEvent.action == "household.search").order_by(AuditEvent.id)
    ).all()
    assert len(searches) == 3
    assert searches[-1].changes == {
        "criteria": {"name": False, "postcode": "1361AA", "date_of_birth": False},
        "households": [yilmaz.id],  # whose data the page showed, by id
        "persons": [yilmaz.memberships[0].person_id],
    }
    assert searches[0].changes is not None and len(searches[0].changes["households"]) == 20


def test_a_search_with_nothing_or_something_wrong_says_what_to_fix(
    caseworker: FlaskClient, reference: Session
) -> None:
    nothing = caseworker.get("/medewerkers/huishoudens?naam=&postcode=&geboortedatum=")
    assert nothing.status_code == 400
    assert field_error(page(nothing), "naam") == (
        "Vul een naam, een postcode of een geboortedatum in."
    )
    wrong = caseworker.get("/medewerkers/huishoudens?naam=&postcode=AB&geboortedatum=1-13-1980")
    html = page(wrong)
    assert field_error(html, "postcode") == "Vul een postcode in zoals 1315 AB."
    assert field_error(html, "geboortedatum").startswith("Vul de geboortedatum in zoals")
    assert 'value="1-13-1980"' in html
    assert "household.search" not in actions(reference)


def test_search_by_bsn_is_posted_and_shows_no_number(
    caseworker: FlaskClient, reference: Session
) -> None:
    target = location(submit(caseworker, NEW, applicant(bsn=BSN)))
    response = submit(caseworker, "/medewerkers/huishoudens/bsn", {"bsn": BSN})
    assert response.status_code == 200
    html = page(response)
    assert "1 huishouden gevonden." in html and f'href="{target}"' in html
    assert BSN not in html
    household = reference.scalars(select(Household)).one()
    searched = reference.scalars(
        select(AuditEvent).where(AuditEvent.action == "household.search_bsn")
    ).one()
    sara = household.memberships[0].person_id
    assert searched.changes == {
        "found": 1, "person": sara, "households": [household.id], "persons": [sara]
    }  # fmt: skip

    nobody = page(submit(caseworker, "/medewerkers/huishoudens/bsn", {"bsn": OTHER_BSN}))
    assert "0 huishoudens gevonden." in nobody and OTHER_BSN not in nobody
    wrong = submit(caseworker, "/medewerkers/huishoudens/bsn", {"bsn": "123"})
    assert wrong.status_code == 400
    assert field_error(page(wrong), "bsn") == (
        "Dit burgerservicenummer klopt niet. Controleer de 9 cijfers."
    )


def test_an_applicant_cannot_live_here_before_their_birth(
    caseworker: FlaskClient, reference: Session
) -> None:
    response = submit(
        caseworker, NEW, applicant(date_of_birth="01-04-1990", valid_from="31-03-1990")
    )
    assert response.status_code == 400
    assert field_error(page(response), "valid_from") == (
        "Deze datum ligt voor de geboortedatum. Controleer de datum."
    )
    assert households_count(reference) == 0 and actions(reference) == []


#: A page's CSRF token and script nonces are random text that may hold "111" by chance.
RANDOM_TOKENS = re.compile(r'name="csrf_token" value="[^"]*"|nonce="[^"]*"')


@pytest.mark.parametrize(
    ("field", "typed"),
    [("naam", "111 222 333"), ("naam", "Bakker 111.222.333"), ("naam", "123456789"),
     ("postcode", "111222333"), ("geboortedatum", "111222333")],
)  # fmt: skip
def test_a_bsn_typed_into_the_name_search_is_refused_and_never_shown(
    caseworker: FlaskClient, reference: Session, field: str, typed: str
) -> None:
    """The search is a GET, so the browser already sent the number in the URL: the page refuses
    it, points to the BSN search (a POST), and does not put it in the page or the audit log."""
    make_household(reference, [(MemberRole.applicant, dt.date(1985, 6, 1))])
    before = len(actions(reference))
    response = caseworker.get("/medewerkers/huishoudens", query_string={field: typed})
    assert response.status_code == 400
    html = page(response)
    assert field_error(html, field) == (
        "Dit lijkt een burgerservicenummer. Zoek daarop hieronder, bij 'Zoeken op "
        "burgerservicenummer': dan komt het nummer niet in de adresbalk."
    )
    digits = "".join(c for c in typed if c.isdigit())
    shown = RANDOM_TOKENS.sub("", html)  # random tokens may hold any digits: out first
    for shape in (typed, digits, typed.split()[-1], typed.replace(" ", "+")):
        assert shape not in shown
    assert "111" not in shown and "123456" not in shown  # not in a link (the language switch)
    assert len(actions(reference)) == before


def test_the_auditor_is_told_there_is_no_bsn_search_for_them(
    sign_in: SignIn, reference: Session
) -> None:
    auditor = sign_in(Role.auditor)
    response = auditor.get("/medewerkers/huishoudens", query_string={"naam": "111222333"})
    assert response.status_code == 400
    assert field_error(page(response), "naam") == (
        "Dit lijkt een burgerservicenummer. Daarop kunt u hier niet zoeken."
    )


def test_logging_in_again_does_not_carry_a_bsn_in_the_return_address(app: Flask) -> None:
    response = app.test_client().get("/medewerkers/huishoudens?naam=111+222+333&postcode=")
    assert response.status_code == 303
    assert response.headers["Location"] == "/inloggen?next=/medewerkers/huishoudens"


def test_text_that_is_not_utf8_is_refused_before_the_search(
    caseworker: FlaskClient, reference: Session
) -> None:
    """%ED%A0%80 is a lone surrogate written as UTF-8: werkzeug used to read it as that text."""
    before = len(actions(reference))
    response = caseworker.get("/medewerkers/huishoudens?naam=%ED%A0%80")
    assert response.status_code == 400
    assert "De invoer klopt niet" in page(response)
    assert len(actions(reference)) == before


def test_a_form_post_that_is_not_utf8_writes_nothing(
    caseworker: FlaskClient, reference: Session
) -> None:
    home = caseworker.get("/medewerkers").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', home)
    assert match
    form = urlencode(applicant(csrf_token=match.group(1))) + "&street=Stad%ED%A0%80plein"
    response = caseworker.post(NEW, data=form, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "De invoer klopt niet" in page(response)
    assert households_count(reference) == 0
