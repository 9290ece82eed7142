"""De wachtrij: the caseworker sees submitted applications with a proposal, opens the
evidence, corrects, and decides; the resident sees the outcome (issue 13)."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.applications.models import Application, ApplicationStatus, Evidence
from almerepas.models import AuditEvent, Household, Message, Pass, Role
from tests.applications.support import INCOME
from tests.factories import KEYS
from tests.fixtures import FrozenClock
from tests.web.apply_support import fill_in, post, resident, submit
from tests.web.conftest import SignIn, field_error, page
from tests.web.test_holder_pages import signed_in


@pytest.fixture
def uploads(app: Flask, tmp_path: Path) -> Path:
    """The old upload folder, empty: the files go in the database, never in it."""
    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    return tmp_path


@pytest.fixture
def applicant(app: Flask, keyed: Session, uploads: Path, frozen_clock: FrozenClock) -> FlaskClient:
    """A resident who has submitted an application."""
    client = resident(app)
    fill_in(client)
    assert submit(client).status_code == 303
    return client


def _application(db: Session) -> Application:
    return db.scalars(select(Application)).one()


def _decide(client: FlaskClient, application: Application, data: dict[str, str]):  # type: ignore[no-untyped-def]
    path = f"/medewerkers/aanvragen/{application.id}"
    return post(client, f"{path}/besluit", data, path)


def test_the_queue_lists_submitted_applications_with_the_proposal(
    applicant: FlaskClient, keyed: Session, sign_in: SignIn
) -> None:
    caseworker = sign_in(Role.caseworker)
    home = page(caseworker.get("/medewerkers"))
    assert 'href="/medewerkers/aanvragen"' in home and "Aanvragen beoordelen" in home
    html = page(caseworker.get("/medewerkers/aanvragen"))
    application = _application(keyed)
    assert f"Aanvraag {application.id}" in html and "Fatima El Amrani" in html
    # the proposal: what the grant run would give (a single parent on a benefit)
    assert "Gratis openbaar vervoer in Almere" in html and "Stadsfonds sport en cultuur" in html
    one = page(caseworker.get(f"/medewerkers/aanvragen/{application.id}"))
    assert "Voorstel" in one and ": ja, " in one
    assert sign_in(Role.finance).get("/medewerkers/aanvragen").status_code == 403
    auditor = page(sign_in(Role.auditor).get(f"/medewerkers/aanvragen/{application.id}"))
    assert "Goedkeuren" not in auditor
    views = select(AuditEvent).where(AuditEvent.action == "application.view")
    assert keyed.scalars(views).all()


def test_evidence_is_served_to_staff_only_as_an_attachment_of_its_checked_type(
    app: Flask, applicant: FlaskClient, keyed: Session, sign_in: SignIn
) -> None:
    application = _application(keyed)
    item = keyed.scalars(select(Evidence)).one()
    url = f"/medewerkers/aanvragen/{application.id}/bewijs/{item.id}"
    got = sign_in(Role.caseworker).get(url)
    assert got.status_code == 200 and got.data.startswith(b"%PDF-")
    assert got.mimetype == "application/pdf"
    assert got.headers["Content-Disposition"].startswith("attachment;")
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert resident(app).get(url).status_code in (302, 303, 401)
    assert applicant.get(url).status_code in (302, 303, 401)


def test_approval_registers_the_household_and_the_holder_sees_pass_and_grants(
    app: Flask, applicant: FlaskClient, keyed: Session, sign_in: SignIn
) -> None:
    application = _application(keyed)
    done = _decide(sign_in(Role.caseworker), application, {"besluit": "approve"})
    assert done.status_code == 303, done.get_data(as_text=True)[:3000]
    keyed.refresh(application)
    assert application.status == ApplicationStatus.approved
    household = keyed.get(Household, application.household_id)
    assert household is not None and done.headers["Location"].endswith(f"/{household.id}")
    assert "goedgekeurd" in page(applicant.get("/aanvragen/status"))
    mother = household.memberships[0].person
    overview = page(signed_in(app, keyed, mother).get("/mijn"))
    assert "Welkom, Fatima." in overview
    assert "Gratis openbaar vervoer in Almere" in overview
    assert "Korting in de sociale supermarkt" in overview
    number = keyed.scalars(select(Pass.number).where(Pass.person_id == mother.id)).one()
    assert "Pasnummer" in overview and number in overview


def test_more_information_goes_back_to_the_resident_and_comes_back(
    applicant: FlaskClient, keyed: Session, sign_in: SignIn
) -> None:
    caseworker = sign_in(Role.caseworker)
    application = _application(keyed)
    empty = _decide(caseworker, application, {"besluit": "info", "info_request": ""})
    assert empty.status_code == 400 and field_error(page(empty), "info_request")
    asked = _decide(
        caseworker, application, {"besluit": "info", "info_request": "Stuur ook februari."}
    )
    assert asked.status_code == 303
    status = page(applicant.get("/aanvragen/status"))
    assert "Stuur ook februari." in status
    assert "Stuur ook februari." in page(applicant.get("/aanvragen/huishouden"))
    changed = {**INCOME, "income-0-amount": "1.100,00", "actie": "volgende"}
    assert post(applicant, "/aanvragen/inkomen", changed, "/aanvragen/inkomen").status_code == 303
    assert submit(applicant).status_code == 303
    keyed.refresh(application)
    assert application.status == ApplicationStatus.submitted
    assert f"Aanvraag {application.id}" in page(caseworker.get("/medewerkers/aanvragen"))


def test_a_rejection_names_the_reason_to_the_resident(
    applicant: FlaskClient, keyed: Session, sign_in: SignIn
) -> None:
    caseworker = sign_in(Role.caseworker)
    application = _application(keyed)
    missing = _decide(caseworker, application, {"besluit": "reject"})
    assert missing.status_code == 400 and field_error(page(missing), "reason")
    done = _decide(
        caseworker, application,
        {"besluit": "reject", "reason": "income_above", "note": "Uw loon is € 2.900."},
    )  # fmt: skip
    assert done.status_code == 303
    status = page(applicant.get("/aanvragen/status"))
    assert "afgewezen" in status and "hoger dan de grens" in status
    told = keyed.scalars(select(Message).where(Message.purpose == "letter.rejected")).one()
    assert (told.recipient, told.subject) == ("fatima@example.nl", "U krijgt de Almerepas niet")
    letter = KEYS.decrypt(told.body_encrypted)
    assert "Uw inkomen is hoger dan de grens van de regeling." in letter
    assert "Uw loon is € 2.900." in letter and "binnen 6 weken" in letter
    assert "Uw loon is € 2.900." in status


def test_the_caseworker_corrects_the_income_before_deciding(
    applicant: FlaskClient, keyed: Session, sign_in: SignIn
) -> None:
    caseworker = sign_in(Role.caseworker)
    application = _application(keyed)
    path = f"/medewerkers/aanvragen/{application.id}/verbeteren/income"
    assert 'value="1.234,56"' in page(caseworker.get(path))
    wrong = post(caseworker, path, {**INCOME, "income-0-amount": "1,2,3"}, path)
    assert wrong.status_code == 400 and "1.234,56" in field_error(page(wrong), "income-0-amount")
    fixed = post(caseworker, path, {**INCOME, "income-0-amount": "1.300,00"}, path)
    assert fixed.status_code == 303
    assert "€ 1.300,00" in page(caseworker.get(f"/medewerkers/aanvragen/{application.id}"))
    corrected = keyed.scalars(
        select(AuditEvent).where(AuditEvent.action == "application.correct")
    ).one()
    assert corrected.changes == {"income-0-amount": ["1.234,56", "1.300,00"]}


def test_opening_the_queue_is_a_read_the_log_keeps(
    applicant: FlaskClient, keyed: Session, sign_in: SignIn
) -> None:
    """The queue shows applicants' names, so looking at it is audited (docs/privacy.md)."""
    html = page(sign_in(Role.caseworker).get("/medewerkers/aanvragen"))
    application = _application(keyed)
    assert "Fatima El Amrani" in html
    row = keyed.scalars(select(AuditEvent).where(AuditEvent.action == "applications.list")).one()
    assert row.actor.startswith("staff:") and row.role == "caseworker"
    assert row.changes == {"applications": [application.id]}
