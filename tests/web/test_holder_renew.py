"""Pas verlengen on Mijn Almerepas: the holder sees what is known, and starts an application
prefilled with it, which goes on through the application's own pages into the queue."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.applications import drafting
from almerepas.applications.models import Application, ApplicationStatus
from almerepas.core import clock
from almerepas.income.assessments import record_assessment
from almerepas.income.lines import IncomeLineInput
from tests.fixtures import FrozenClock
from tests.holders.helpers import EMAIL, family, last_code, member
from tests.web.conftest import page
from tests.web.test_holder_pages import ask_code, browser, enter_code, post_form

TODAY = dt.date(2026, 3, 2)


def test_a_holder_renews_with_what_is_known_filled_in(
    app: Flask, reference: Session, frozen_clock: FrozenClock
) -> None:
    db = reference
    household = family(db)
    mother, father = member(household, 0), member(household, 1)
    household.email = EMAIL
    record_assessment(
        db, household, assessed_on=TODAY, assessed_by="test",
        lines=[IncomeLineInput(mother.id, "wages", 123_456),
               IncomeLineInput(father.id, "benefit", 98_700)],
    )  # fmt: skip
    db.commit()
    client = browser(app)
    ask_code(client, EMAIL)
    enter_code(client, last_code(db))

    overview = page(client.get("/mijn"))
    assert 'href="/mijn/verlengen"' in overview
    known = page(client.get("/mijn/verlengen"))
    assert "Fatima" in known and "Netto loon, € 1.234,56" in known
    assert "€ 987,00" in known and "Stadhuisplein" in known

    started = post_form(client, "/mijn/verlengen", "/mijn/verlengen", {})
    assert started.status_code == 303 and started.headers["Location"] == "/aanvragen/controleren"
    application = db.scalars(select(Application)).one()
    assert application.status == ApplicationStatus.draft
    found = drafting.read(db, application.answers, clock.today())
    assert found.errors == []  # everything known reads back as a right application
    assert [(m.given_name, m.born) for m in found.members] == [
        (m.person.given_name, m.person.date_of_birth) for m in household.memberships
    ]
    assert sorted(i.amount for i in found.incomes) == [98_700, 123_456]
    assert found.address is not None and found.address.postcode == household.postcode
    review = page(client.get("/aanvragen/controleren"))
    assert "bewijs" in review.lower()  # a recent proof of income is asked for before sending


def test_a_child_cannot_renew_for_the_household(
    app: Flask, reference: Session, frozen_clock: FrozenClock
) -> None:
    db = reference
    household = family(db, email=None)
    child = member(household, 2)
    child.email = "kind@example.nl"
    db.commit()
    client = browser(app)
    ask_code(client, "kind@example.nl")
    enter_code(client, last_code(db, "kind@example.nl"))
    assert 'href="/mijn/verlengen"' not in page(client.get("/mijn"))
    assert client.get("/mijn/verlengen").status_code == 404
