"""Geld terugvragen: a parent hands in a receipt for a child's budget on Mijn Almerepas, the
caseworker decides on it in the queue, and the parent follows it until the money is sent."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from almerepas.models import AuditEvent, Person, Role
from almerepas.reimbursements.declaring import read_receipt
from almerepas.reimbursements.models import Reimbursement, ReimbursementStatus
from almerepas.settlements import paying, runs
from almerepas.settlements.payouts import Debtor
from tests.applications.support import fake_pdf, png_bytes
from tests.fixtures import FrozenClock
from tests.holders.helpers import family, member
from tests.settlements.support import APPROVER, PREPARER
from tests.web.conftest import SignIn, field_error, page, submit
from tests.web.test_holder_pages import TOKEN, budgets, signed_in

MARCH = dt.date(2026, 3, 2)
TYPED = {
    "paid_to": "Zwemvereniging De Dolfijn",
    "amount": "45,00",
    "paid_on": "01-03-2026",
    "iban": "NL91 ABNA 0417 1643 00",
    "account_name": "F. El Amrani",
}


@pytest.fixture
def parent(
    app: Flask, reference: Session, frozen_clock: FrozenClock, tmp_path: Path
) -> FlaskClient:
    """The mother of a family at 100 % of its norm, with the children's 2026 budgets."""
    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    household = family(reference)
    budgets(reference, household, MARCH)
    reference.commit()
    return signed_in(app, reference, member(household, 0))


def _budget_of_first_child(html: str) -> str:
    options = [line for line in html.splitlines() if '<option value="' in line and "van " in line]
    assert options, "no budget to choose"
    return options[0].split('value="')[1].split('"')[0]


def _declare(client: FlaskClient, changes: dict[str, object]) -> TestResponse:
    form = page(client.get("/mijn/declaraties/nieuw"))
    token = TOKEN.search(form)
    assert token
    data: dict[str, object] = TYPED | {"budget": _budget_of_first_child(form)} | changes
    photo = data.get("receipt", png_bytes((90, 60)))
    assert isinstance(photo, bytes)
    data["receipt"] = (io.BytesIO(photo), "bonnetje.png")  # the name never counts
    return client.post("/mijn/declaraties/nieuw", data={**data, "csrf_token": token.group(1)})


def test_a_parent_declares_a_receipt_and_follows_it_until_it_is_paid(
    app: Flask,
    parent: FlaskClient,
    reference: Session,
    sign_in: SignIn,
    frozen_clock: FrozenClock,
) -> None:
    overview = page(parent.get("/mijn"))
    assert 'href="/mijn/declaraties"' in overview
    assert "Geld terugvragen met een bonnetje" in page(parent.get("/mijn/declaraties"))

    sent = _declare(parent, {})
    assert sent.status_code == 303 and sent.headers["Location"] == "/mijn/declaraties"
    mine = page(parent.get("/mijn/declaraties"))
    assert "Wij hebben uw declaratie van € 45,00 ontvangen" in mine
    assert "Zwemvereniging De Dolfijn" in mine and "Een medewerker kijkt ernaar" in mine

    caseworker = sign_in(Role.caseworker)
    applications = page(caseworker.get("/medewerkers/aanvragen"))
    assert "Er wacht ook 1 declaratie." in applications
    assert 'href="/medewerkers/declaraties"' in applications
    queue = page(caseworker.get("/medewerkers/declaraties"))
    declaration = reference.scalars(select(Reimbursement)).one()
    assert f"Declaratie {declaration.id}" in queue and "€ 45,00" in queue
    path = f"/medewerkers/declaraties/{declaration.id}"
    one = page(caseworker.get(path))
    assert "Stadsfonds" in one and "NL91ABNA0417164300" in one
    receipt = caseworker.get(f"{path}/bonnetje")
    assert receipt.mimetype == "image/png"
    assert receipt.data == read_receipt(reference, declaration)
    assert receipt.headers["Content-Disposition"].startswith("attachment;")
    assert submit(caseworker, f"{path}/besluit", {"besluit": "approve"}).status_code == 303
    reference.refresh(declaration)
    assert declaration.status == ReimbursementStatus.approved
    assert "declaratie." not in page(caseworker.get("/medewerkers/aanvragen"))
    assert "Goedgekeurd" in page(parent.get("/mijn/declaraties"))

    frozen_clock.set(dt.datetime(2026, 4, 2, 9, 0, tzinfo=dt.UTC))
    run, _held = runs.prepare(reference, period="2026-03", actor=PREPARER, now=frozen_clock.now())
    runs.approve(reference, run.id, actor=APPROVER, now=frozen_clock.now())
    debtor = Debtor("Gemeente Almere", "NL12BNGH0285010000", "BNGHNL2G")
    paying.sepa_file(
        reference, run.id, debtor=debtor, schema="pain.001.001.09",
        execution_date=dt.date(2026, 4, 7), actor=APPROVER, now=frozen_clock.now(),
    )  # fmt: skip
    reference.commit()
    again = signed_in(app, reference, reference.get_one(Person, declaration.holder_id))
    assert "Het geld is op 02-04-2026 naar uw rekening gestuurd" in page(
        again.get("/mijn/declaraties")
    )
    views = reference.scalars(
        select(AuditEvent.action).where(AuditEvent.entity_type == "reimbursement")
    )
    assert {"reimbursement.declare", "reimbursement.view", "reimbursement.approve"} <= set(views)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"amount": "45,0,0"}, "amount", "Schrijf het bedrag zoals op het bonnetje"),
        ({"amount": "999,00"}, "amount", "U kunt hoogstens dat bedrag declareren"),
        ({"paid_on": "31-02-2026"}, "paid_on", "Schrijf de datum als dag-maand-jaar"),
        ({"paid_on": "03-03-2026"}, "paid_on", "Deze datum ligt in de toekomst"),
        ({"iban": "NL91 ABNA 0417 1643 01"}, "iban", "Dit IBAN klopt niet"),
        ({"receipt": fake_pdf()}, "receipt", "geen PDF en geen foto"),
    ],
)
def test_a_mistake_comes_back_at_its_field_with_everything_typed_kept(
    parent: FlaskClient, reference: Session, changes: dict[str, object], field: str, message: str
) -> None:
    refused = _declare(parent, changes)
    assert refused.status_code == 400
    html = page(refused)
    assert message in field_error(html, field)
    assert 'value="Zwemvereniging De Dolfijn"' in html and 'value="F. El Amrani"' in html
    assert reference.scalars(select(Reimbursement)).all() == []


def test_the_same_receipt_twice_is_recognised(parent: FlaskClient, reference: Session) -> None:
    photo = png_bytes((70, 50))
    assert _declare(parent, {"receipt": photo}).status_code == 303
    again = _declare(parent, {"receipt": photo, "amount": "12,00"})
    assert again.status_code == 409
    assert "al eerder ingediend" in field_error(page(again), "receipt")
    assert len(reference.scalars(select(Reimbursement)).all()) == 1


def test_a_caseworker_rejects_with_a_reason_the_parent_reads(
    parent: FlaskClient, reference: Session, sign_in: SignIn
) -> None:
    assert _declare(parent, {}).status_code == 303
    declaration = reference.scalars(select(Reimbursement)).one()
    caseworker = sign_in(Role.caseworker)
    path = f"/medewerkers/declaraties/{declaration.id}/besluit"
    unexplained = submit(caseworker, path, {"besluit": "reject", "reason": "other"})
    assert unexplained.status_code == 400
    assert "toelichting" in field_error(page(unexplained), "note")
    done = submit(caseworker, path, {"besluit": "reject", "reason": "not_for_this_budget"})
    assert done.status_code == 303
    assert "Afgewezen. Dit tegoed is niet voor wat u betaald hebt." in page(
        parent.get("/mijn/declaraties")
    )
    assert sign_in(Role.finance).get("/medewerkers/declaraties").status_code == 403
