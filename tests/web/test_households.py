"""The household page, adding a member, recording an assessment and the eligibility page."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from almerepas.audit.log import Actor
from almerepas.grants import runs as grants
from almerepas.households import members as households
from almerepas.models import Household, IncomeAssessment, MemberRole
from tests.factories import KEYS, assess, born, make_household
from tests.web.conftest import BSN, actions, field_error, location, page, submit

A, C = MemberRole.applicant, MemberRole.child
NOT_AN_AMOUNT = (
    "Vul een bedrag in euro's in, zoals 1.234,56. Gebruik hoogstens 2 cijfers achter de komma."
)


@pytest.fixture
def parent(reference: Session, app: Flask) -> Household:
    """A single parent (born 1990, with a BSN) living in Almere since 2024; no children yet."""
    household = make_household(reference, [], since=dt.date(2024, 1, 1))
    with app.app_context():  # the BSN is encrypted with the app's key
        person = households.create_person(
            reference,
            given_name="Sara",
            family_name="Bakker",
            date_of_birth=dt.date(1990, 4, 1),
            bsn=BSN,
            keys=KEYS,
        )
    households.add_member(reference, household, person, role=A, valid_from=dt.date(2024, 1, 1))
    reference.refresh(household)
    return household


def add_child(client: FlaskClient, household: Household, **changes: str) -> str:
    form = {"given_name": "Ilias", "family_name": "Bakker", "date_of_birth": "05-05-2016",
            "role": "child", "valid_from": "01-01-2024", "bsn": ""} | changes  # fmt: skip
    return location(submit(client, f"/medewerkers/huishoudens/{household.id}/leden/nieuw", form))


def assessments_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(IncomeAssessment)) or 0


def test_a_caseworker_adds_a_child(
    caseworker: FlaskClient, parent: Household, reference: Session
) -> None:
    form = page(caseworker.get(f"/medewerkers/huishoudens/{parent.id}/leden/nieuw"))
    assert "Wie is deze persoon in het huishouden?" in form and 'type="radio"' in form

    target = add_child(caseworker, parent)
    assert target == f"/medewerkers/huishoudens/{parent.id}"
    html = page(caseworker.get(target))
    assert "Ilias is toegevoegd aan het huishouden." in html
    assert (
        "<bdi>Ilias Bakker</bdi>" in html
        and "Kind" in html
        and 'sinds <time datetime="2024-01-01">01-01-2024</time>' in html
    )
    assert actions(reference) == ["household.view", "household.add_member", "household.view"]


def test_a_member_with_wrong_dates_or_no_role_is_refused(
    caseworker: FlaskClient, parent: Household, reference: Session
) -> None:
    path = f"/medewerkers/huishoudens/{parent.id}/leden/nieuw"
    form = {"given_name": "Ilias", "family_name": "Bakker", "date_of_birth": "05-05-2099",
            "valid_from": "01-01-2024"}  # fmt: skip
    response = submit(caseworker, path, form)
    assert response.status_code == 400
    html = page(response)
    assert field_error(html, "date_of_birth") == (
        "De geboortedatum ligt in de toekomst. Controleer de datum."
    )
    assert field_error(html, "role") == "Kies wie deze persoon is in het huishouden."
    assert 'value="Ilias"' in html and 'value="05-05-2099"' in html

    before = page(caseworker.get(f"/medewerkers/huishoudens/{parent.id}"))
    response = submit(caseworker, path, {"given_name": "Ilias", "family_name": "Bakker",
        "date_of_birth": "05-05-2016", "role": "child", "valid_from": "01-01-2015"})  # fmt: skip
    html = page(response)
    assert field_error(html, "valid_from") == (
        "Deze datum ligt voor de geboortedatum. Controleer de datum."
    )
    assert 'value="child" checked' in html  # the choice is kept
    assert "household.add_member" not in actions(reference)
    assert "Ilias" not in before


def test_an_assessment_at_exactly_110_percent(
    caseworker: FlaskClient, parent: Household, reference: Session
) -> None:
    add_child(caseworker, parent)
    path = f"/medewerkers/huishoudens/{parent.id}/inkomenstoets"
    form = page(caseworker.get(path))
    assert "in euro (bijvoorbeeld 1.234,56)" in form

    # 110% of the published single-parent norm on 1 March 2026 (€ 1.401,50, Participatiewet
    # as of 2026-01-01, reference/seed/norms_2026.csv).
    data = {
        "net_income": "1.541,65",
        "assessed_on": "01-03-2026",
        "evidence_ref": "loonstrook maart",
    }
    target = location(submit(caseworker, path, data))
    html = page(caseworker.get(target))
    assert "Het inkomen is 110% van het sociaal minimum." in html
    assert "€ 1.541,65" in html and "€ 1.401,50" in html and "alleenstaande ouder" in html
    assert '<strong class="tag">voorlopig</strong>' not in html
    assert '>01-03-2026</time> tot en met <time datetime="2027-02-28">' in html
    assert "loonstrook maart" in html
    recorded = reference.scalars(select(IncomeAssessment)).one()
    assert recorded.net_income == 154165 and recorded.percentage_bp == 11000
    assert recorded.assessed_by.startswith("staff:")
    assert "assessment.create" in actions(reference)


@pytest.mark.parametrize(
    ("income", "message"),
    [
        ("-250", "Het inkomen kan niet negatief zijn. Geen inkomen? Vul dan 0 in."),
        ("veel", NOT_AN_AMOUNT),
        ("1234,567", NOT_AN_AMOUNT),
        ("99999999", "Dit bedrag is te hoog voor een inkomen per maand. Controleer het bedrag."),
    ],
)  # fmt: skip
def test_a_wrong_income_is_named_at_the_field_and_nothing_is_written(
    caseworker: FlaskClient, parent: Household, reference: Session, income: str, message: str
) -> None:
    path = f"/medewerkers/huishoudens/{parent.id}/inkomenstoets"
    response = submit(caseworker, path, {"net_income": income, "assessed_on": "01-03-2026"})
    assert response.status_code == 400
    html = page(response)
    assert field_error(html, "net_income") == message
    assert f'value="{income}"' in html and 'value="01-03-2026"' in html
    assert assessments_count(reference) == 0 and "assessment.create" not in actions(reference)


def test_a_date_without_a_norm_or_before_the_last_assessment_is_refused(
    caseworker: FlaskClient, parent: Household, reference: Session
) -> None:
    path = f"/medewerkers/huishoudens/{parent.id}/inkomenstoets"
    response = submit(caseworker, path, {"net_income": "1200", "assessed_on": "01-06-2027"})
    assert response.status_code == 400
    assert field_error(page(response), "assessed_on").startswith(
        "Voor deze peildatum is er geen sociaal minimum (norm) bekend."
    )
    assert assessments_count(reference) == 0

    location(submit(caseworker, path, {"net_income": "1200", "assessed_on": "01-03-2026"}))
    earlier = submit(caseworker, path, {"net_income": "1300", "assessed_on": "01-02-2026"})
    assert field_error(page(earlier), "assessed_on").startswith("Er is al een inkomenstoets")
    nobody = submit(caseworker, path, {"net_income": "1300", "assessed_on": "01-12-2023"})
    assert "geen aanvrager" in field_error(page(nobody), "assessed_on")
    assert assessments_count(reference) == 1
    assert actions(reference).count("assessment.create") == 1


def test_the_household_page_shows_grants_with_what_is_left(
    caseworker: FlaskClient, reference: Session
) -> None:
    family = make_household(reference, [(A, born(40)), (C, born(12))])
    assess(reference, family, (110, 100))
    grants.issue(reference, period="2026-03", actor=Actor("test"), today=dt.date(2026, 3, 1))
    html = page(caseworker.get(f"/medewerkers/huishoudens/{family.id}"))
    assert "Stadsfonds sport en cultuur" in html and "€ 800,00" in html
    assert "Gratis menstruatieproducten" in html and "3 pakken" in html
    assert "Korting in de sociale supermarkt" in html and "<bdi>Het hele huishouden</bdi>" in html
    assert "Mag er gebruik van maken" in html  # free buses: a right, no amount
    english = page(caseworker.get(f"/medewerkers/huishoudens/{family.id}?lang=en"))
    assert "City fund for sport and culture" in english and "3 packs" in english


def test_eligibility_per_member_with_the_reason(
    caseworker: FlaskClient, parent: Household, reference: Session
) -> None:
    add_child(caseworker, parent)
    path = f"/medewerkers/huishoudens/{parent.id}/inkomenstoets"
    location(submit(caseworker, path, {"net_income": "1538,38", "assessed_on": "01-03-2026"}))

    html = page(caseworker.get(f"/medewerkers/huishoudens/{parent.id}/regelingen?datum=2026-03-15"))
    stadsfonds = html[html.index("Stadsfonds sport en cultuur") :]
    stadsfonds = stadsfonds[: stadsfonds.index("</table>")]
    ilias = stadsfonds[stadsfonds.index("<bdi>Ilias Bakker</bdi>") :]
    assert ilias.index("Ja") < ilias.index("€ 800,00")
    sara = stadsfonds[stadsfonds.index("<bdi>Sara Bakker</bdi>") : stadsfonds.index("<bdi>Ilias")]
    assert "Nee" in sara and "Voor 4 tot en met 17 jaar. Deze persoon is 35." in sara
    assert 'value="2026-03-15"' in html and ">15-03-2026</time> valt." in html
    assert actions(reference)[-1] == "household.view"

    wrong = caseworker.get(f"/medewerkers/huishoudens/{parent.id}/regelingen?datum=15-15-2026")
    assert wrong.status_code == 400
    assert (
        field_error(page(wrong), "datum") == "Vul een datum in zoals 15-03-2026 (dag-maand-jaar)."
    )


def test_eligibility_before_the_first_assessment_gives_the_reason_that_decides(
    caseworker: FlaskClient, parent: Household, reference: Session
) -> None:
    add_child(caseworker, parent)
    path = f"/medewerkers/huishoudens/{parent.id}/inkomenstoets"
    # Above 110% of the single-parent norm from 1 March; nothing was assessed before that.
    location(submit(caseworker, path, {"net_income": "2000,00", "assessed_on": "01-03-2026"}))

    html = page(caseworker.get(f"/medewerkers/huishoudens/{parent.id}/regelingen?datum=2026-02-01"))
    stadsfonds = html[html.index("Stadsfonds sport en cultuur") :]
    stadsfonds = stadsfonds[: stadsfonds.index("</table>")]
    ilias = stadsfonds[stadsfonds.index("<bdi>Ilias Bakker</bdi>") :]
    assert "Nee" in ilias and "Dat is boven de grens van 110%." in ilias
    assert "Er is geen geldige inkomenstoets" not in stadsfonds


def test_the_eligibility_page_measures_last_years_assessment_against_the_norm_of_the_day(
    caseworker: FlaskClient, parent: Household, reference: Session
) -> None:
    add_child(caseworker, parent)
    path = f"/medewerkers/huishoudens/{parent.id}/inkomenstoets"
    # 112,49% of the single-parent norm of December 2025; 109,89% of the 2026 one.
    location(submit(caseworker, path, {"net_income": "1540,00", "assessed_on": "01-12-2025"}))

    html = page(caseworker.get(f"/medewerkers/huishoudens/{parent.id}/regelingen?datum=2026-03-15"))
    stadsfonds = html[html.index("Stadsfonds sport en cultuur") :]
    stadsfonds = stadsfonds[: stadsfonds.index("</table>")]
    ilias = stadsfonds[stadsfonds.index("<bdi>Ilias Bakker</bdi>") :]
    assert ilias.index("Ja") < ilias.index("€ 800,00")
    assert "Het inkomen is 109,89% van het sociaal minimum. De grens is 110%." in ilias


def test_an_unknown_household_is_a_404_page(caseworker: FlaskClient, reference: Session) -> None:
    response = caseworker.get("/medewerkers/huishoudens/999999")
    assert response.status_code == 404
    assert "Dit bestaat niet" in page(response)


def new_member(client: FlaskClient, household: Household, **changes: str) -> TestResponse:
    form = {"given_name": "Tom", "family_name": "Bakker", "date_of_birth": "01-02-1988",
            "role": "partner", "valid_from": "01-01-2025", "bsn": ""} | changes  # fmt: skip
    return submit(client, f"/medewerkers/huishoudens/{household.id}/leden/nieuw", form)


@pytest.mark.parametrize(
    ("first", "second", "message"),
    [
        ({"role": "partner"}, {"role": "applicant"},
         "Dit huishouden heeft op die datum al een aanvrager. Kies een andere rol."),
        ({"role": "partner"}, {"role": "partner"},
         "Dit huishouden heeft op die datum al een partner. Kies 'Ander lid van het huishouden' "
         "voor andere volwassenen."),
    ],
)  # fmt: skip
def test_a_second_applicant_or_partner_is_named_at_the_role(
    caseworker: FlaskClient,
    parent: Household,
    reference: Session,
    first: dict[str, str],
    second: dict[str, str],
    message: str,
) -> None:
    location(new_member(caseworker, parent, **first))
    response = new_member(caseworker, parent, given_name="Eva", **second)
    assert response.status_code == 400
    html = page(response)
    assert field_error(html, "role") == message
    assert 'value="Eva"' in html
    assert actions(reference) == ["household.add_member", "household.view"]
    other = new_member(caseworker, parent, given_name="Eva", role="other")
    assert location(other) == f"/medewerkers/huishoudens/{parent.id}"


def test_nobody_moves_in_before_their_birth_on_the_page(
    caseworker: FlaskClient, parent: Household, reference: Session
) -> None:
    response = new_member(caseworker, parent, role="child", date_of_birth="15-02-2026",
                          valid_from="01-01-2026")  # fmt: skip
    assert response.status_code == 400
    assert field_error(page(response), "valid_from") == (
        "Deze datum ligt voor de geboortedatum. Controleer de datum."
    )
    assert actions(reference) == ["household.view"]


def test_after_the_move_out_nobody_moves_in_and_no_assessment_starts(
    caseworker: FlaskClient, parent: Household, reference: Session
) -> None:
    households.move_out_of_almere(reference, parent, day=dt.date(2025, 12, 31))
    expected = (
        "Dit huishouden is op 31-12-2025 uit Almere vertrokken. Kies een datum op of voor die dag."
    )
    response = new_member(caseworker, parent, role="child", date_of_birth="05-05-2016",
                          valid_from="01-01-2026")  # fmt: skip
    assert response.status_code == 400
    assert field_error(page(response), "valid_from") == expected

    path = f"/medewerkers/huishoudens/{parent.id}/inkomenstoets"
    late = submit(caseworker, path, {"net_income": "1200", "assessed_on": "01-01-2026"})
    assert late.status_code == 400
    assert field_error(page(late), "assessed_on") == expected
    assert actions(reference) == ["household.view", "household.view"]
