"""Aanvragen: the resident's application, step by step, without JavaScript (issue 13)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.applications.models import Application, ApplicationStatus, Evidence
from almerepas.models import AuditEvent, Message, Role
from tests.applications.support import ADDRESS, INCOME, MEMBERS, fake_pdf, png_bytes
from tests.factories import KEYS
from tests.fixtures import FrozenClock
from tests.uploads.support import stored as stored_files
from tests.web.apply_support import fill_in, post, resident, submit, upload
from tests.web.conftest import SignIn, field_error, page


@pytest.fixture
def uploads(app: Flask, tmp_path: Path) -> Path:
    """The old upload folder, empty: the files go in the database, never in it."""
    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    return tmp_path


def _application(db: Session) -> Application:
    return db.scalars(select(Application).order_by(Application.id.desc()).limit(1)).one()


def test_the_check_carries_the_household_over_to_the_application(
    app: Flask, reference: Session, frozen_clock: FrozenClock
) -> None:
    client = resident(app)
    typed = {"huishouden": "samen", "leeftijd": "40", "leeftijd_partner": "38",
             "kinderen": "4, 11", "inkomen": "1.500"}  # fmt: skip
    result = page(post(client, "/recht", typed, "/recht"))
    assert 'action="/aanvragen"' in result and ">Aanvragen</button>" in result
    hidden = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', result))
    assert "inkomen" not in hidden  # the amount is asked per member, not carried
    started = post(client, "/aanvragen", hidden, "/recht")
    assert started.status_code == 303
    html = page(client.get("/aanvragen/huishouden"))
    roles = re.findall(r'<option value="(\w+)" selected>', html)
    assert roles == ["applicant", "partner", "child", "child"]
    assert "Uw code om later verder te gaan" in html


def test_a_resident_applies_step_by_step_and_sees_it_was_received(
    app: Flask, reference: Session, uploads: Path, frozen_clock: FrozenClock
) -> None:
    client = resident(app)
    fill_in(client)
    review = page(client.get("/aanvragen/controleren"))
    assert "Fatima El Amrani, 02-04-1990" in review and "€ 1.234,56" in review
    assert "1 bestand toegevoegd" in review
    sent = submit(client)
    assert sent.status_code == 303 and sent.headers["Location"] == "/aanvragen/status"
    assert "Wij hebben uw aanvraag ontvangen" in page(client.get("/aanvragen/status"))
    application = _application(reference)
    assert application.status == ApplicationStatus.submitted and application.filled_by is None
    stored = reference.scalars(select(Evidence)).one()
    assert list(stored_files(reference)) == [stored.file_id] and not any(uploads.iterdir())
    assert "loonstrook" not in stored.file_id


def test_a_double_submission_gets_the_first_result(
    app: Flask, reference: Session, uploads: Path, frozen_clock: FrozenClock
) -> None:
    client = resident(app)
    fill_in(client)
    review = client.get("/aanvragen/controleren").get_data(as_text=True)
    data = {
        "csrf_token": re.findall(r'name="csrf_token" value="([^"]+)"', review)[-1],
        "token": re.findall(r'name="token" value="([^"]+)"', review)[0],
    }
    first = client.post("/aanvragen/versturen", data=data)
    second = client.post("/aanvragen/versturen", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"] == "/aanvragen/status"
    assert _application(reference).status == ApplicationStatus.submitted
    submits = select(AuditEvent).where(AuditEvent.action == "application.submit")
    assert len(reference.scalars(submits).all()) == 1


@pytest.mark.parametrize(
    ("step", "data", "field", "says"),
    [
        (
            "/aanvragen/huishouden",
            {**MEMBERS, "member-1-born": "01-01-2030"},
            "member-1-born",
            "toekomst",
        ),
        ("/aanvragen/huishouden", {}, "member-0-given_name", "minstens één persoon"),
        ("/aanvragen/adres", {**ADDRESS, "postcode": "1011 AB"}, "postcode", "niet in Almere"),
        (
            "/aanvragen/inkomen",
            {**INCOME, "income-0-amount": "12,345"},
            "income-0-amount",
            "1.234,56",
        ),
    ],
)
def test_bad_input_is_named_next_to_the_field_and_nothing_typed_is_lost(
    app: Flask, reference: Session, frozen_clock: FrozenClock,
    step: str, data: dict[str, str], field: str, says: str,
) -> None:  # fmt: skip
    client = resident(app)
    post(client, "/aanvragen", {})
    if step == "/aanvragen/inkomen":
        post(client, "/aanvragen/huishouden", {**MEMBERS, "actie": "volgende"}, step)
    response = post(client, step, {**data, "actie": "volgende"}, step)
    assert response.status_code == 400
    html = page(response)
    assert says in field_error(html, field)
    typed = {n: v for n, v in data.items() if not n.endswith(("role", "kind", "-member"))}
    for value in typed.values():
        assert f'value="{value}"' in html
    # and kept: the step shows it again when opened later
    later = page(client.get(step))
    assert all(f'value="{value}"' in later for value in typed.values())


def test_an_upload_is_checked_by_its_content(
    app: Flask, reference: Session, uploads: Path, frozen_clock: FrozenClock
) -> None:
    client = resident(app)
    post(client, "/aanvragen", {})
    text = upload(client, fake_pdf(), "loonstrook.pdf")
    assert text.status_code == 400
    assert "geen PDF en geen foto" in field_error(page(text), "bestand")
    app.config["UPLOAD_MAX_BYTES"] = 2000
    big = upload(client, png_bytes((300, 300)) + b"\0" * 5000, "foto.png")
    assert big.status_code in (400, 413)
    assert "te groot" in field_error(page(big), "bestand")
    huge = upload(client, b"\0" * 200_000, "foto.png")  # beyond the request limit
    assert huge.status_code == 413 and "te groot" in field_error(page(huge), "bestand")
    assert upload(client, png_bytes(), "foto.png").status_code == 303
    assert len(stored_files(reference)) == 1 and reference.scalars(select(Evidence)).one()


def test_saved_for_later_with_a_code_and_an_e_mail_then_continued(
    app: Flask, reference: Session, frozen_clock: FrozenClock
) -> None:
    client = resident(app)
    post(client, "/aanvragen", {})
    post(client, "/aanvragen/huishouden", {**MEMBERS, "actie": "volgende"}, "/aanvragen/adres")
    saved = post(client, "/aanvragen/adres", {**ADDRESS, "actie": "opslaan"}, "/aanvragen/adres")
    assert saved.headers["Location"] == "/aanvragen/opgeslagen"
    html = page(client.get("/aanvragen/opgeslagen"))
    code = re.search(r"<strong>([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})</strong>", html)
    assert code and "e-mail" in html
    body = KEYS.decrypt(reference.scalars(select(Message.body_encrypted)).one())
    assert code.group(1) in body and "/aanvragen/verder?code=" in body

    later = resident(app)  # another day, another browser
    wrong = post(later, "/aanvragen/verder", {"code": "AAAA-BBBB-CCCC"})
    assert wrong.status_code == 400 and "kennen wij niet" in field_error(page(wrong), "code")
    back = post(later, "/aanvragen/verder", {"code": code.group(1).lower()})
    assert back.headers["Location"] == "/aanvragen/huishouden"
    assert 'value="Fatima"' in page(later.get("/aanvragen/huishouden"))
    assert 'value="Stadhuisplein"' in page(later.get("/aanvragen/adres"))


def test_a_support_worker_filling_it_in_is_recorded(
    app: Flask, reference: Session, uploads: Path, sign_in: SignIn, frozen_clock: FrozenClock
) -> None:
    desk = sign_in(Role.caseworker)
    fill_in(desk)
    assert submit(desk).status_code == 303
    application = _application(reference)
    assert application.filled_by is not None and application.filled_by.startswith("staff:")


def test_the_pages_fit_a_phone_and_work_without_javascript(
    app: Flask, reference: Session, uploads: Path, frozen_clock: FrozenClock
) -> None:
    client = resident(app)
    post(client, "/aanvragen", {})
    for path in ("/aanvragen", "/aanvragen/huishouden", "/aanvragen/adres",
                 "/aanvragen/inkomen", "/aanvragen/bewijs", "/aanvragen/controleren"):  # fmt: skip
        html = page(client.get(path))  # strict HTML, no <script>
        assert "<table" not in html, path  # rows stack on a narrow screen
