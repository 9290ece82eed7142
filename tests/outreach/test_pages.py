"""The caseworker's page /medewerkers/bereik: the list, the send button (also as an
experiment), a run's take-up, and opting a household out; nobody else may see it."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.models import AuditEvent, Message, OptOut, OutreachContact, OutreachRun, Role
from tests.fixtures import FrozenClock
from tests.outreach.support import MARCH, family, grant_budgets, on
from tests.web.conftest import SignIn, location, main_of, page, submit


def test_the_caseworker_sees_the_list_sends_and_reads_the_take_up(
    app: Flask, reference: Session, sign_in: SignIn, frozen_clock: FrozenClock
) -> None:
    db = reference
    anna = family(db, "Anna", email="anna@example.nl")
    family(db, "Bram", by_post=True)
    grant_budgets(db)
    db.commit()
    on(frozen_clock, MARCH)
    client = sign_in(Role.caseworker)

    html = main_of(page(client.get("/medewerkers/bereik")))
    assert "Anna Test" in html and "Kind van Anna Test" in html
    assert "Stadsfonds sport en cultuur 2026: nog niets gebruikt" in html
    assert "e-mail" in html and "brief" in html
    assert 'href="/medewerkers/bereik"' in page(client.get("/medewerkers"))  # in the menu
    assert db.scalars(select(AuditEvent.action).where(AuditEvent.action == "outreach.view")).all()

    answer = submit(client, "/medewerkers/bereik/versturen", {"experiment": "ja"})
    run = db.scalars(select(OutreachRun)).one()
    assert location(answer) == f"/medewerkers/bereik/runs/{run.id}"
    assert run.experiment and run.seed is not None
    assert len(db.scalars(select(OutreachContact)).all()) == 2
    shown = main_of(page(client.get(location(answer))))
    assert "1 herinneringen verstuurd, 1 in de vergelijkingsgroep." in shown
    assert "Kregen een herinnering" in shown and "Vergelijkingsgroep: kregen niets" in shown
    assert "Met 95% zekerheid" in shown
    assert "Deze cijfers zijn nog niet definitief" in shown
    assert "Er hoeft nu niemand een herinnering te krijgen." in page(
        client.get("/medewerkers/bereik")
    )
    assert anna.id in {c.household_id for c in db.scalars(select(OutreachContact))}


def test_a_caseworker_opts_a_household_out_and_in_again(
    app: Flask, reference: Session, sign_in: SignIn, frozen_clock: FrozenClock
) -> None:
    db = reference
    anna = family(db, "Anna", email="anna@example.nl")
    grant_budgets(db)
    db.commit()
    on(frozen_clock, MARCH)
    client = sign_in(Role.caseworker)

    answer = submit(
        client,
        "/medewerkers/bereik/afmelden",
        {"household_id": str(anna.id), "herinneringen": "nee"},
    )
    assert location(answer) == "/medewerkers/bereik"
    assert db.get(OptOut, anna.id) is not None
    html = main_of(page(client.get("/medewerkers/bereik")))
    assert "Dit huishouden krijgt geen herinneringen meer." in html
    assert "Weer herinneringen sturen" in html
    assert "uitgezet door een medewerker op 02-03-2026" in html
    submit(client, "/medewerkers/bereik/versturen", {})
    assert db.scalars(select(Message)).all() == []

    submit(
        client,
        "/medewerkers/bereik/afmelden",
        {"household_id": str(anna.id), "herinneringen": "ja"},
    )
    db.expire_all()
    assert db.get(OptOut, anna.id) is None


def test_only_caseworkers_see_the_list(app: Flask, reference: Session, sign_in: SignIn) -> None:
    for role in (Role.policy, Role.finance, Role.auditor, Role.administrator):
        client = sign_in(role)
        assert client.get("/medewerkers/bereik").status_code == 403
        assert 'href="/medewerkers/bereik"' not in page(client.get("/medewerkers"))
