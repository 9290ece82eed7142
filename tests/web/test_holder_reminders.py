"""Herinneringen on Mijn Almerepas: a parent stops the household's reminders and starts them
again, and the next ``outreach send`` follows; nobody changes another household's, a child
cannot change the household's, and the form needs its CSRF token. The caseworker's list
says who said no: the resident or a caseworker."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.models import AuditEvent, Message, OptOut, OutreachContact, Role
from tests.factories import KEYS
from tests.fixtures import FrozenClock
from tests.outreach.support import MARCH, cli, family, grant_budgets, on
from tests.web.conftest import SignIn, main_of, page
from tests.web.test_holder_pages import browser, post_form, signed_in

URL = "/mijn/herinneringen"


def reminded(db: Session) -> list[int]:
    """The households reminded so far, in the order they were."""
    return list(db.scalars(select(OutreachContact.household_id).order_by(OutreachContact.id)))


def test_a_parent_stops_the_reminders_and_starts_them_again(
    app: Flask, reference: Session, frozen_clock: FrozenClock
) -> None:
    db = reference
    anna = family(db, "Anna", email="anna@example.nl")
    bram = family(db, "Bram", email="bram@example.nl")
    grant_budgets(db)
    db.commit()
    on(frozen_clock, MARCH)
    parent = anna.memberships[0].person
    client = signed_in(app, db, parent)

    assert f'href="{URL}"' in page(client.get("/mijn"))
    shown = page(client.get(URL))
    assert "U krijgt nu herinneringen." in shown
    assert 'value="nee">Geen herinneringen meer</button>' in shown

    stopped = post_form(client, URL, URL, {"herinneringen": "nee"})
    assert (stopped.status_code, stopped.headers["Location"]) == (303, URL)
    after = page(client.get(URL))
    assert "Wij sturen u geen herinneringen meer." in after
    assert "U krijgt nu geen herinneringen." in after
    assert 'value="ja">Weer herinneringen krijgen</button>' in after
    assert db.get(OptOut, anna.id) is not None
    cli(app, "send")
    assert reminded(db) == [bram.id]
    [message] = db.scalars(select(Message)).all()
    assert message.recipient == "bram@example.nl"
    assert "Zet ze uit op Mijn Almerepas" in KEYS.decrypt(message.body_encrypted)

    started = post_form(client, URL, URL, {"herinneringen": "ja"})
    assert started.status_code == 303
    assert "Wij sturen u weer herinneringen." in page(client.get(URL))
    db.expire_all()
    assert db.get(OptOut, anna.id) is None
    cli(app, "send")
    assert reminded(db) == [bram.id, anna.id]
    rows = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.action.in_(["outreach.opt_out", "outreach.opt_in"]))
        .order_by(AuditEvent.id)
    ).all()
    assert [(r.action, r.actor, r.entity_id) for r in rows] == [
        ("outreach.opt_out", f"holder:{parent.id}", str(anna.id)),
        ("outreach.opt_in", f"holder:{parent.id}", str(anna.id)),
    ]


def test_a_holder_changes_only_their_own_household(
    app: Flask, reference: Session, frozen_clock: FrozenClock, sign_in: SignIn
) -> None:
    db = reference
    anna = family(db, "Anna", email="anna@example.nl")
    bram = family(db, "Bram", email="bram@example.nl")
    grant_budgets(db)
    db.commit()
    on(frozen_clock, MARCH)
    client = signed_in(app, db, bram.memberships[0].person)

    # The form names no household; one slipped in is not read.
    answer = post_form(client, URL, URL, {"herinneringen": "nee", "household_id": str(anna.id)})
    assert answer.status_code == 303
    assert db.get(OptOut, anna.id) is None
    assert db.get(OptOut, bram.id) is not None
    cli(app, "send")
    assert reminded(db) == [anna.id]
    # The caseworker sees that the resident said no, not a colleague.
    said_no = main_of(page(sign_in(Role.caseworker).get("/medewerkers/bereik")))
    assert re.search(
        rf"Huishouden {bram.id}</a>,\s+zelf uitgezet op Mijn Almerepas op 02-03-2026", said_no
    )


def test_a_child_cannot_change_the_households_reminders(
    app: Flask, reference: Session, frozen_clock: FrozenClock
) -> None:
    db = reference
    anna = family(db, "Anna", email="anna@example.nl")
    db.commit()
    client = signed_in(app, db, anna.memberships[1].person)

    assert f'href="{URL}"' not in page(client.get("/mijn"))
    assert client.get(URL).status_code == 404
    refused = post_form(client, URL, "/mijn", {"herinneringen": "nee"})
    assert refused.status_code == 404
    assert db.get(OptOut, anna.id) is None


def test_the_form_needs_its_csrf_token_and_a_known_answer(
    app: Flask, reference: Session, frozen_clock: FrozenClock
) -> None:
    db = reference
    anna = family(db, "Anna", email="anna@example.nl")
    db.commit()
    client = signed_in(app, db, anna.memberships[0].person)

    assert client.post(URL, data={"herinneringen": "nee"}).status_code == 400
    assert post_form(client, URL, URL, {"herinneringen": "misschien"}).status_code == 400
    assert post_form(client, URL, URL, {}).status_code == 400
    assert db.get(OptOut, anna.id) is None
    stranger = browser(app).get(URL)
    assert (stranger.status_code, stranger.headers["Location"]) == (
        303,
        "/mijn/inloggen?next=/mijn/herinneringen",
    )
