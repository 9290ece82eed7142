"""The staff pages for partners: who sees them, who may change them, the list and one partner,
and the partner form with its Dutch errors at the fields (the other forms are in
test_partner_admin_forms.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almerepas.contracts import agreements, devices, offers, partners, users
from almerepas.contracts.models import Location, Partner
from almerepas.models import AuditEvent, Role
from almerepas.schemes import catalogue as schemes
from tests.factories import KEYS, TEST_ACTOR
from tests.web.conftest import SignIn, field_error, location, main_of, page, submit

LIST = "/medewerkers/partners"
NEW = "/medewerkers/partners/nieuw"

CLUB: dict[str, Any] = {
    "name": "Sportclub Almere",
    "kvk_number": "12345678",
    "iban": "NL91ABNA0417164300",
    "payout_method": "sepa",
}
HALL: dict[str, Any] = {
    "name": "Sporthal Haven",
    "street": "Havenstraat",
    "house_number": "12a",
    "postcode": "1315AB",
    "kind": "sport",
}


def make_partner(session: Session, **changes: Any) -> Partner:
    return partners.create_partner(session, {**CLUB, **changes}, actor=TEST_ACTOR)


def make_location(session: Session, partner: Partner, **changes: Any) -> Location:
    return partners.add_location(session, partner, {**HALL, **changes}, actor=TEST_ACTOR)


def partner_actions(session: Session) -> list[tuple[str, str]]:
    """(action, actor) of the audit rows about partners and their parts, oldest first."""
    query = select(AuditEvent.action, AuditEvent.actor).where(
        AuditEvent.action.like("partner.%")
        | AuditEvent.action.like("contract.%")
        | AuditEvent.action.like("device.%")
        | AuditEvent.action.like("offer.%")
    )
    return [(a, b) for a, b in session.execute(query.order_by(AuditEvent.id))]


def page_actions(session: Session) -> list[str]:
    """The actions written by a member of staff on a page (not by the test's own setup)."""
    return [action for action, actor in partner_actions(session) if actor.startswith("staff:")]


@pytest.fixture
def full_partner(reference: Session) -> Partner:
    """A partner with one of everything: a location, a contract, a user, a device, an offer."""
    club = make_partner(reference)
    hall = make_location(reference, club)
    agreements.create_contract(
        reference, club, scheme=schemes.get_scheme(reference, "ov"), location_ids=[hall.id],
        valid_from=dt.date(2027, 1, 1), valid_to=dt.date(2027, 12, 31),
        tariff_kind="per_ride", tariff=250, actor=TEST_ACTOR,
    )  # fmt: skip
    agreements.create_contract(
        reference, club, scheme=schemes.get_scheme(reference, "stadsfonds"),
        location_ids=[hall.id], valid_from=dt.date(2027, 1, 1), valid_to=None,
        tariff_kind="amount_redeemed", tariff=None, actor=TEST_ACTOR,
    )  # fmt: skip
    agreements.create_contract(
        reference, club, scheme=schemes.get_scheme(reference, "supermarkt"),
        location_ids=[hall.id], valid_from=dt.date(2027, 1, 1), valid_to=None,
        tariff_kind="discount_reimbursed", tariff=7500, actor=TEST_ACTOR,
    )  # fmt: skip
    users.create_partner_user(
        reference, club,
        {"username": "kassa.anna", "display_name": "Anna de Vries", "role": "cashier",
         "password": "lang genoeg wachtwoord"},
        keys=KEYS, actor=TEST_ACTOR,
    )  # fmt: skip
    devices.create_device(
        reference, club, {"name": "Kassa 1", "location_id": hall.id}, keys=KEYS, actor=TEST_ACTOR
    )
    offers.create_offer(
        reference, club,
        {"title_nl": "Gratis proefles", "title_en": "Free trial lesson",
         "description_nl": "Eén les.", "description_en": "One lesson.",
         "valid_from": dt.date(2027, 1, 1)},
        actor=TEST_ACTOR,
    )  # fmt: skip
    return club


# -- who may do what ----------------------------------------------------------------------------


def write_paths(partner_id: int) -> list[str]:
    base = f"{LIST}/{partner_id}"
    return [
        NEW,
        f"{base}/wijzigen",
        f"{base}/deactiveren",
        f"{base}/locaties/nieuw",
        f"{base}/contracten/nieuw",
        f"{base}/gebruikers/nieuw",
        f"{base}/apparaten/nieuw",
        f"{base}/aanbiedingen/nieuw",
    ]


@pytest.mark.parametrize("role", [Role.auditor, Role.finance, Role.policy])
def test_readers_see_everything_but_get_no_forms_and_cannot_change(
    sign_in: SignIn, reference: Session, full_partner: Partner, role: Role
) -> None:
    client = sign_in(role)
    home = page(client.get("/medewerkers"))
    assert 'href="/medewerkers/partners"' in home and "Partners en contracten bekijken" in home
    listed = page(client.get(LIST))
    assert "Sportclub Almere" in listed and "/medewerkers/partners/nieuw" not in listed
    html = page(client.get(f"{LIST}/{full_partner.id}"))
    assert "Kassa 1" in html and "Anna de Vries" in html and "Gratis proefles" in html
    assert "<form" not in main_of(html) and "/nieuw" not in html and "/wijzigen" not in html
    for path in write_paths(full_partner.id):
        assert client.get(path).status_code == 403, path
        assert submit(client, path, {"name": "Anders"}).status_code == 403, path
    device = full_partner.id  # any id: the guard refuses before looking
    revoke = f"{LIST}/{full_partner.id}/apparaten/{device}/intrekken"
    assert submit(client, revoke, {}).status_code == 403
    assert page_actions(reference) == []


def test_a_caseworker_gets_403_and_no_link(sign_in: SignIn, full_partner: Partner) -> None:
    client = sign_in(Role.caseworker)
    assert client.get(LIST).status_code == 403
    assert client.get(f"{LIST}/{full_partner.id}").status_code == 403
    assert submit(client, NEW, CLUB).status_code == 403
    assert "/medewerkers/partners" not in page(client.get("/medewerkers"))


def test_an_administrator_gets_every_form(sign_in: SignIn, full_partner: Partner) -> None:
    client = sign_in(Role.administrator)
    html = page(client.get(f"{LIST}/{full_partner.id}"))
    for path in write_paths(full_partner.id):
        assert f'href="{path}"' in html or path == NEW, path
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store"
        form = page(response)
        assert '<html lang="nl"' in form and 'name="csrf_token"' in form
    assert "Sleutel intrekken" in html
    assert 'href="/medewerkers/partners/nieuw"' in page(client.get(LIST))


def test_an_unknown_partner_is_a_404_page(sign_in: SignIn, reference: Session) -> None:
    response = sign_in(Role.auditor).get(f"{LIST}/999999")
    assert response.status_code == 404
    assert "Er is geen partner met nummer 999999." in page(response)


# -- the list and one partner -------------------------------------------------------------------


def test_the_list_shows_name_kvk_whether_active_and_counts(
    sign_in: SignIn, reference: Session, full_partner: Partner
) -> None:
    stopped = make_partner(reference, name="Bibliotheek Gesloten", kvk_number="87654321")
    partners.deactivate_partner(reference, stopped, actor=TEST_ACTOR)
    html = page(sign_in(Role.finance).get(LIST))
    rows = html.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]
    assert len(rows) == 2
    first, second = (" ".join(row.split()) for row in rows)
    # by name: the library first
    assert "Bibliotheek Gesloten" in first and "87654321" in first and "<td>Nee</td>" in first
    assert '<td class="number">0</td> <td class="number">0</td>' in first
    assert "Sportclub Almere" in second and "12345678" in second and "<td>Ja</td>" in second
    assert '<td class="number">1</td> <td class="number">3</td>' in second


def test_a_partner_page_shows_the_tariffs_in_words(sign_in: SignIn, full_partner: Partner) -> None:
    html = page(sign_in(Role.policy).get(f"{LIST}/{full_partner.id}"))
    assert "NL91 ABNA 0417 1643 00" in html and "SEPA-overboeking" in html
    assert "Havenstraat 12a</bdi>, <bdi>1315 AB" in html
    assert "€ 2,50 per rit" in html
    assert "het bedrag dat is afgeschreven" in html
    assert "75% van de gegeven korting" in html
    assert ">01-01-2027</time> tot en met <time" in html and "vanaf <time" in html
    assert "kassa.anna" in html and "Kassamedewerker" in html
    assert "Werkt" in html  # the device
    assert "almdev_" not in html  # never a key


def test_the_page_in_english(sign_in: SignIn, full_partner: Partner) -> None:
    html = page(sign_in(Role.auditor).get(f"{LIST}/{full_partner.id}?lang=en"))
    assert '<html lang="en"' in html
    assert "€ 2,50 per ride" in html and "75% of the discount given" in html
    assert "Free trial lesson" in html


# -- making and changing a partner ---------------------------------------------------------------


def test_an_administrator_makes_a_partner_and_it_is_audited(
    sign_in: SignIn, reference: Session
) -> None:
    client = sign_in(Role.administrator)
    form = page(client.get(NEW))
    assert '<label for="iban">' in form and 'id="iban"' in form
    typed = {**CLUB, "iban": "nl91 abna 0417 1643 00", "kvk_number": "1234 5678", "bic": "abnanl2a"}
    target = location(submit(client, NEW, typed))
    made = reference.scalars(select(Partner)).one()
    assert target == f"{LIST}/{made.id}"
    assert (made.iban, made.kvk_number, made.bic) == ("NL91ABNA0417164300", "12345678", "ABNANL2A")
    assert "De partner Sportclub Almere is gemaakt." in page(client.get(target))
    assert partner_actions(reference)[-1][0] == "partner.create"
    event = reference.scalars(select(AuditEvent).where(AuditEvent.action == "partner.create")).one()
    assert event.actor.startswith("staff:") and event.role == "administrator"


def test_a_wrong_iban_kvk_and_bic_each_get_a_dutch_message_at_the_field(
    sign_in: SignIn, reference: Session
) -> None:
    client = sign_in(Role.administrator)
    wrong = {**CLUB, "iban": "NL91ABNA0417164301", "kvk_number": "1234567", "bic": "ABN"}
    response = submit(client, NEW, wrong)
    assert response.status_code == 400
    html = page(response)
    assert field_error(html, "iban") == (
        "Dit IBAN klopt niet. Controleer het nummer, zoals NL91 ABNA 0417 1643 00."
    )
    assert field_error(html, "kvk_number") == "Een KvK-nummer heeft 8 cijfers, zoals 12345678."
    assert field_error(html, "bic") == "Deze BIC klopt niet: 8 of 11 tekens, zoals ABNANL2A."
    assert 'role="alert"' in html and "<title>Fout: Een partner toevoegen" in html
    assert 'value="NL91ABNA0417164301"' in html  # what was typed stays
    assert html.index('href="#kvk_number"') < html.index('href="#iban"')
    assert reference.scalar(select(func.count()).select_from(Partner)) == 0
    assert partner_actions(reference) == []

    empty = page(submit(client, NEW, {}))
    assert field_error(empty, "name") == "Vul de naam van de partner in."
    assert field_error(empty, "iban") == "Vul het IBAN in, zoals NL91 ABNA 0417 1643 00."
    assert field_error(empty, "payout_method") == "Kies hoe de partner betaald wordt."


def test_a_stripe_partner_gets_its_connected_account(sign_in: SignIn, reference: Session) -> None:
    """Without the account a Stripe partner is held back at settlement, so the form asks it."""
    club = make_partner(reference)
    client = sign_in(Role.administrator)
    edit = f"{LIST}/{club.id}/wijzigen"
    assert 'name="stripe_account"' in page(client.get(edit))
    wrong = submit(client, edit, {**CLUB, "payout_method": "stripe", "stripe_account": "1Nv0FGQ9"})
    assert wrong.status_code == 400
    assert field_error(page(wrong), "stripe_account").startswith("Dit Stripe-account klopt niet")
    typed = {**CLUB, "payout_method": "stripe", "stripe_account": " acct_1Nv0FGQ9RK "}
    target = location(submit(client, edit, typed))
    reference.refresh(club)
    assert (club.payout_method, club.stripe_account) == ("stripe", "acct_1Nv0FGQ9RK")
    assert "acct_1Nv0FGQ9RK" in page(client.get(target))
    assert 'value="acct_1Nv0FGQ9RK"' in page(client.get(edit))


def test_a_kvk_number_of_another_partner_is_named_at_the_field(
    sign_in: SignIn, reference: Session
) -> None:
    make_partner(reference)
    html = page(submit(sign_in(Role.administrator), NEW, {**CLUB, "name": "Tweede"}))
    assert field_error(html, "kvk_number") == "Er is al een partner met dit nummer."
    assert reference.scalar(select(func.count()).select_from(Partner)) == 1


def test_changing_the_iban_leaves_an_audit_row_with_before_and_after(
    sign_in: SignIn, reference: Session
) -> None:
    club = make_partner(reference)
    client = sign_in(Role.administrator)
    path = f"{LIST}/{club.id}/wijzigen"
    form = page(client.get(path))
    assert 'value="NL91 ABNA 0417 1643 00"' in form and 'value="Sportclub Almere"' in form
    wrong = submit(client, path, {**CLUB, "iban": "NL00 ABNA 0417 1643 00"})
    assert wrong.status_code == 400 and field_error(page(wrong), "iban").startswith("Dit IBAN")
    assert location(submit(client, path, {**CLUB, "iban": "NL02 ABNA 0123 4567 89"}))
    event = reference.scalars(select(AuditEvent).where(AuditEvent.action == "partner.update")).one()
    assert event.changes == {"iban": ["NL91ABNA0417164300", "NL02ABNA0123456789"]}
    assert event.role == "administrator"
    # the same values again change nothing and write nothing
    assert location(submit(client, path, {**CLUB, "iban": "NL02ABNA0123456789"}))
    assert page_actions(reference) == ["partner.update"]


def test_deactivating_asks_first_then_stops_the_partner(
    sign_in: SignIn, reference: Session, full_partner: Partner
) -> None:
    client = sign_in(Role.administrator)
    path = f"{LIST}/{full_partner.id}/deactiveren"
    question = page(client.get(path))
    assert "werken zijn apparaten meteen niet meer" in question
    assert page_actions(reference) == []
    back = location(submit(client, path, {}))
    html = page(client.get(back))
    assert "Sportclub Almere doet niet meer mee." in html
    assert "Nee, deze partner doet niet meer mee." in html
    assert "/locaties/nieuw" not in html and "/deactiveren" not in html
    assert page_actions(reference) == ["partner.update"]
    event = reference.scalars(select(AuditEvent).where(AuditEvent.action == "partner.update")).one()
    assert event.changes == {"active": [True, False]}
    reference.refresh(full_partner)
    assert full_partner.active is False
