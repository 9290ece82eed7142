"""The assessment page takes the income per member and kind; the household page shows what
counted and why (issue 9, item 6). Wrong rows are named at their field; nothing is written."""

from __future__ import annotations

import datetime as dt

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almerepas.households import members as households
from almerepas.models import Household, IncomeAssessment, IncomeLine, MemberRole, Membership
from tests.factories import KEYS, make_household
from tests.web.conftest import actions, field_error, location, page, submit
from tests.web.test_households import NOT_AN_AMOUNT, add_child, parent  # noqa: F401 - fixture

PATH = "/medewerkers/huishoudens/{}/inkomenstoets"


def people(household: Household) -> dict[str, str]:
    return {m.person.given_name: str(m.person_id) for m in household.memberships}


def row(n: int, person: str = "", kind: str = "", amount: str = "") -> dict[str, str]:
    return {f"line-{n}-person": person, f"line-{n}-kind": kind, f"line-{n}-amount": amount}


def written(session: Session) -> tuple[int, int, int]:
    assessments = session.scalar(select(func.count()).select_from(IncomeAssessment)) or 0
    lines = session.scalar(select(func.count()).select_from(IncomeLine)) or 0
    return assessments, lines, actions(session).count("assessment.create")


def test_the_income_per_member_is_counted_and_the_household_page_shows_how(
    caseworker: FlaskClient,
    parent: Household,  # noqa: F811 - the fixture
    reference: Session,
) -> None:
    add_child(caseworker, parent)
    reference.refresh(parent)
    who = people(parent)
    form = page(caseworker.get(PATH.format(parent.id)))
    assert form.count('<fieldset class="income-line">') == 6
    assert f'<option value="{who["Sara"]}">Sara Bakker, geboren 01-04-1990</option>' in form
    assert '<option value="holiday_pay">Vakantiegeld (per jaar)</option>' in form
    assert '<option value="child_benefit">Kinderbijslag</option>' in form

    data = {
        "assessed_on": "01-03-2026",
        **row(0, who["Sara"], "wages", "1.500,00"),
        **row(1, who["Sara"], "holiday_pay", "1440"),
        **row(3, who["Sara"], "child_benefit", "300"),  # row 2 left blank
        **row(4, who["Ilias"], "wages", "200"),
        "net_income": "",
        "evidence_ref": "loonstroken maart",
    }
    target = location(submit(caseworker, PATH.format(parent.id), data))
    html = page(caseworker.get(target))
    # 1.500 + 1.440 / 12 = 1.620 a month: 115,59% of the single-parent norm (€ 1.401,50).
    assert "Het inkomen is 115,6% van het sociaal minimum." in html
    recorded = reference.scalars(select(IncomeAssessment)).one()
    assert recorded.net_income == 162000 and len(recorded.lines) == 4

    assert f'<a href="#inkomen-{recorded.id}">per lid en soort</a>' in html
    breakdown = html[html.index(f'id="inkomen-{recorded.id}"') :]
    breakdown = breakdown[: breakdown.index("</table>")]
    assert "Zo is het inkomen van de toets van" in breakdown
    rows = [r.split("</tr>")[0] for r in breakdown.split("<tr>")[2:]]
    assert len(rows) == 5  # four lines and the total
    assert "<bdi>Sara Bakker</bdi>" in rows[0] and "Netto loon" in rows[0]
    assert "€ 1.500,00</bdi> per maand" in rows[0] and "Telt mee." in rows[0]
    assert "Vakantiegeld" in rows[1] and "€ 1.440,00</bdi> per jaar" in rows[1]
    assert "€ 120,00" in rows[1] and "Per jaar ingevuld: 1/12 telt mee per maand." in rows[1]
    assert "Telt niet mee: kinderbijslag telt niet als inkomen." in rows[2]
    assert "<bdi>Ilias Bakker</bdi>" in rows[3]
    assert "Telt niet mee: verdiensten van een kind onder 18 tellen niet." in rows[3]
    assert "Inkomen per maand" in rows[4] and "€ 1.620,00" in rows[4]


def test_a_total_alone_is_still_possible_and_says_so(
    caseworker: FlaskClient,
    parent: Household,  # noqa: F811 - the fixture
    reference: Session,
) -> None:
    data = {"assessed_on": "01-03-2026", "net_income": "1200"}
    html = page(caseworker.get(location(submit(caseworker, PATH.format(parent.id), data))))
    assert "alleen het totaal is bekend" in html and "Zo is het inkomen" not in html
    assert reference.scalars(select(IncomeAssessment)).one().lines == []


@pytest.mark.parametrize(
    ("rows", "total", "field", "message"),
    [
        (row(0, "Sara", "wages", "-5"), "", "line-0-amount", "Een bedrag kan niet negatief zijn."),
        (row(0, "Sara", "wages", "12,345"), "", "line-0-amount", NOT_AN_AMOUNT),
        (row(0, "Sara", "wages", "veel"), "", "line-0-amount", NOT_AN_AMOUNT),
        (row(0, "Sara", "wages", "99999999"), "", "line-0-amount",
         "Dit bedrag is te hoog. Controleer het bedrag."),
        (row(0, "Sara", "wages", ""), "", "line-0-amount",
         "Vul het bedrag in. Geen inkomen van deze soort? Maak de regel leeg."),
        (row(1, "Sara", "", "100"), "", "line-1-kind", "Kies de soort inkomen."),
        (row(1, "Sara", "lottery", "100"), "", "line-1-kind",
         "Kies een soort inkomen uit de lijst."),
        (row(2, "", "wages", "100"), "", "line-2-person", "Kies van wie dit inkomen is."),
        (row(2, "999999", "wages", "100"), "", "line-2-person",
         "Kies een lid van het huishouden uit de lijst."),
        # Tom moves in on 1 April: not a member on the assessment date, named at his own row.
        (row(0, "Sara", "wages", "100") | row(4, "Tom", "wages", "100"), "", "line-4-person",
         "Deze persoon woont op de peildatum niet in dit huishouden. "
         "Kies een ander lid of een andere peildatum."),
        (row(0, "Sara", "wages", "100"), "1200", "net_income",
         "Vul het inkomen per lid in, of alleen het totaal: niet allebei. "
         "Maak dit veld leeg als u de regels hierboven gebruikt."),
        ({}, "", "line-0-person",
         "Vul het inkomen in: per lid en soort, of alleen het totaal. "
         "Geen inkomen? Vul dan bij het totaal 0 in."),
    ],
)  # fmt: skip
def test_a_wrong_row_is_named_at_its_field_and_nothing_is_written(
    caseworker: FlaskClient,
    parent: Household,  # noqa: F811 - the fixture
    reference: Session,
    rows: dict[str, str],
    total: str,
    field: str,
    message: str,
) -> None:
    tom = households.create_person(
        reference, given_name="Tom", family_name="Bakker", date_of_birth=dt.date(1988, 2, 1),
        keys=KEYS,
    )  # fmt: skip
    households.add_member(reference, parent, tom, role=MemberRole.partner,
                          valid_from=dt.date(2026, 4, 1))  # fmt: skip
    reference.refresh(parent)
    who = people(parent)
    typed = {k: who.get(v, v) if k.endswith("-person") else v for k, v in rows.items()}
    before = written(reference)
    response = submit(
        caseworker,
        PATH.format(parent.id),
        {"assessed_on": "01-03-2026", **typed, "net_income": total},
    )
    assert response.status_code == 400
    html = page(response)
    assert field_error(html, field) == message
    for name, value in typed.items():  # what was typed or chosen comes back
        if value and name.endswith("-amount"):
            assert f'value="{value}"' in html
        elif value and value in (who["Sara"], "wages"):
            assert f'<option value="{value}" selected>' in html
    assert written(reference) == before


def test_a_member_not_yet_born_on_the_date_is_named_at_the_date(
    caseworker: FlaskClient, reference: Session
) -> None:
    household = make_household(reference, [(MemberRole.applicant, dt.date(1990, 1, 1))])
    unborn = households.create_person(
        reference, given_name="Noor", family_name="Test", date_of_birth=dt.date(2026, 5, 1),
        keys=KEYS, today=dt.date(2026, 6, 1),
    )  # fmt: skip
    reference.add(Membership(household=household, person=unborn, role=MemberRole.child,
                             valid_from=dt.date(2026, 1, 1)))  # an old row  # fmt: skip
    reference.flush()
    before = written(reference)
    data = {"assessed_on": "01-03-2026", "net_income": "1000"}
    response = submit(caseworker, PATH.format(household.id), data)
    assert response.status_code == 400
    assert field_error(page(response), "assessed_on") == (
        "Op deze peildatum woont er volgens de gegevens een lid dat dan nog niet geboren is. "
        "Kies een latere peildatum, of laat de datum van inwonen verbeteren."
    )
    assert written(reference) == before
