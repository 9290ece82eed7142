"""A member leaves, the household moves within Almere or out of it, its contact details change."""

from __future__ import annotations

import datetime as dt

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.audit import values
from almerepas.models import AuditEvent, Household, MemberRole, Role
from tests.factories import make_household
from tests.web.conftest import SignIn, actions, field_error, location, page, submit

A, C = MemberRole.applicant, MemberRole.child


@pytest.fixture
def family(reference: Session) -> Household:
    """A parent (Lid0) and a child (Lid1) at 1315 AB (Almere Stad) since 2024."""
    return make_household(
        reference, [(A, dt.date(1990, 4, 1)), (C, dt.date(2016, 5, 5))], since=dt.date(2024, 1, 1)
    )


def base(household: Household) -> str:
    return f"/medewerkers/huishoudens/{household.id}"


def member_id(household: Household, given_name: str) -> int:
    return next(m.person_id for m in household.memberships if m.person.given_name == given_name)


def test_a_member_leaves_the_household(
    caseworker: FlaskClient, family: Household, reference: Session
) -> None:
    child = member_id(family, "Lid1")
    household_page = page(caseworker.get(base(family)))
    assert f'href="{base(family)}/leden/{child}/vertrek"' in household_page
    path = f"{base(family)}/leden/{child}/vertrek"
    assert "Laatste dag in dit huishouden" in page(caseworker.get(path))

    target = location(submit(caseworker, path, {"last_day": "31-01-2026"}))
    html = page(caseworker.get(target))
    assert "Lid1 Test woont hier niet meer na 31-01-2026." in html
    assert 'tot en met <time datetime="2026-01-31">31-01-2026</time>' in html
    departure = reference.scalars(
        select(AuditEvent).where(AuditEvent.action == "household.departure")
    ).one()
    assert departure.entity_id == str(family.id)
    assert departure.changes == {f"person_{child}.valid_to": [None, "2026-01-31"]}


def test_a_last_day_before_moving_in_is_refused_at_the_field(
    caseworker: FlaskClient, family: Household, reference: Session
) -> None:
    path = f"{base(family)}/leden/{member_id(family, 'Lid1')}/vertrek"
    response = submit(caseworker, path, {"last_day": "31-12-2023"})
    assert response.status_code == 400
    html = page(response)
    assert field_error(html, "last_day") == (
        "Kies een laatste dag op of na de dag waarop deze persoon hier kwam wonen."
    )
    assert 'value="31-12-2023"' in html
    assert "household.departure" not in actions(reference)
    reference.refresh(family)
    assert all(m.valid_to is None for m in family.memberships)


def test_a_move_within_almere_changes_the_address_and_the_district(
    caseworker: FlaskClient, family: Household, reference: Session
) -> None:
    path = f"{base(family)}/adres"
    assert 'value="1315 AB"' in page(caseworker.get(path))  # the form starts from the address
    form = {"street": "Nieuwe Weg", "house_number": "7", "house_number_suffix": "B",
            "postcode": "1361aa"}  # fmt: skip
    html = page(caseworker.get(location(submit(caseworker, path, form))))
    assert "Het nieuwe adres is opgeslagen." in html
    assert "<bdi>Nieuwe Weg 7 B</bdi>" in html and "<bdi>1361 AA</bdi> Almere" in html
    assert "Almere Poort" in html
    moved = reference.scalars(
        select(AuditEvent).where(AuditEvent.action == "household.address_change")
    ).one()
    assert moved.changes is not None and "1361AA" not in str(moved.changes)  # a reference
    shown = values.changes_of(reference, [moved])[moved.id]
    assert shown["postcode"] == ["1315AB", "1361AA"]
    assert shown["district"] == ["almere_stad", "almere_poort"]


def test_a_postcode_outside_almere_is_refused_and_nothing_changes(
    caseworker: FlaskClient, family: Household, reference: Session
) -> None:
    form = {"street": "Damrak", "house_number": "1", "house_number_suffix": "",
            "postcode": "1012 AB"}  # fmt: skip
    response = submit(caseworker, f"{base(family)}/adres", form)
    assert response.status_code == 400
    html = page(response)
    assert field_error(html, "postcode").startswith("Deze postcode ligt niet in Almere.")
    assert 'value="Damrak"' in html and 'value="1012 AB"' in html
    assert "household.address_change" not in actions(reference)
    reference.refresh(family)
    assert family.postcode == "1315AB" and family.street == "Stadhuisplein"


def test_a_move_out_of_almere_ends_every_membership(
    caseworker: FlaskClient, family: Household, reference: Session
) -> None:
    path = f"{base(family)}/vertrek-uit-gemeente"
    html = page(caseworker.get(location(submit(caseworker, path, {"day": "28-02-2026"}))))
    assert "Het huishouden is uit Almere vertrokken." in html
    assert "Verhuisd uit Almere" in html and 'datetime="2026-02-28"' in html
    assert "Woont hier niet meer" not in html  # nobody lives here any more
    left = reference.scalars(
        select(AuditEvent).where(AuditEvent.action == "household.move_out")
    ).one()
    assert left.changes is not None and left.changes["moved_out_on"] == [None, "2026-02-28"]

    again = submit(caseworker, path, {"day": "01-03-2026"})
    assert again.status_code == 400
    assert field_error(page(again), "day") == "Dit huishouden is al uit Almere vertrokken"


def test_a_move_out_before_someone_moved_in_is_refused(
    caseworker: FlaskClient, family: Household, reference: Session
) -> None:
    response = submit(caseworker, f"{base(family)}/vertrek-uit-gemeente", {"day": "01-06-2023"})
    assert response.status_code == 400
    assert field_error(page(response), "day") == (
        "Kies een vertrekdatum op of na de dag waarop de laatste persoon hier kwam wonen."
    )
    reference.refresh(family)
    assert family.moved_out_on is None and "household.move_out" not in actions(reference)


def test_contact_details_and_preferences_change(
    caseworker: FlaskClient, family: Household, reference: Session
) -> None:
    form = {"email": "sara@example.nl", "phone": "036 123 4567", "language": "en",
            "letters_by_post": "ja"}  # fmt: skip
    html = page(caseworker.get(location(submit(caseworker, f"{base(family)}/contact", form))))
    assert "De contactgegevens zijn opgeslagen." in html
    assert "<bdi>sara@example.nl</bdi>" in html and "<bdi>036 123 4567</bdi>" in html
    assert "Engels" in html and "met de post" in html
    changed = reference.scalars(
        select(AuditEvent).where(AuditEvent.action == "household.contact_change")
    ).one()
    assert "sara@example.nl" not in str(changed.changes)
    assert values.changes_of(reference, [changed])[changed.id] == {
        "email": [None, "sara@example.nl"],
        "language": ["nl", "en"],
        "letters_by_post": [False, True],
        "phone": [None, "036 123 4567"],
    }


def test_a_bad_email_address_is_refused_and_what_was_typed_stays(
    caseworker: FlaskClient, family: Household, reference: Session
) -> None:
    form = {"email": "sara@", "phone": "036 123 4567", "language": "nl"}
    response = submit(caseworker, f"{base(family)}/contact", form)
    assert response.status_code == 400
    html = page(response)
    assert field_error(html, "email") == "Vul een e-mailadres in zoals naam@voorbeeld.nl."
    assert 'value="sara@"' in html and 'value="036 123 4567"' in html
    reference.refresh(family)
    assert family.email is None and family.phone is None
    assert "household.contact_change" not in actions(reference)


PAGES = ["leden/{child}/vertrek", "adres", "vertrek-uit-gemeente", "contact"]


@pytest.mark.parametrize("role", [Role.auditor, Role.finance, Role.policy, Role.administrator])
@pytest.mark.parametrize("path", PAGES)
def test_only_caseworkers_may_change_a_household(
    sign_in: SignIn, family: Household, reference: Session, role: Role, path: str
) -> None:
    client = sign_in(role)
    url = f"{base(family)}/" + path.format(child=member_id(family, "Lid1"))
    assert client.get(url).status_code == 403
    assert submit(client, url, {"day": "28-02-2026", "last_day": "28-02-2026"}).status_code == 403
    reference.refresh(family)
    assert family.moved_out_on is None and all(m.valid_to is None for m in family.memberships)
