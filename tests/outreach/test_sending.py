"""Reminders: in the household's channel and language, the e-mail through the real SMTP path,
once per scheme per period however often the batch runs, never after an opt-out, every one in
the log; a dry run writes nothing."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almerepas.core import clock
from almerepas.models import AuditEvent, Letter, LetterChannel, Message
from almerepas.outreach import listing, sending
from almerepas.outreach.models import Group, OptOut, OutreachContact, OutreachRun
from tests.factories import KEYS, TEST_ACTOR
from tests.fixtures import FrozenClock, SmtpServer
from tests.outreach.support import MARCH, cli, family, grant_budgets, on


def count(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def contact_of(db: Session, household_id: int) -> OutreachContact:
    return db.scalars(
        select(OutreachContact).where(OutreachContact.household_id == household_id)
    ).one()


def test_each_household_in_its_own_channel_and_language_the_e_mail_by_smtp(
    app: Flask, reference: Session, frozen_clock: FrozenClock, smtp_server: SmtpServer
) -> None:
    db = reference
    mail = family(db, "Anna", email="anna@example.nl")
    english = family(db, "Ben", email="ben@example.nl", language="en")
    paper = family(db, "Cor", email="cor@example.nl", by_post=True)
    text = family(db, "Dina", phone="06-1234 5678")
    nothing = family(db, "Evi")
    grant_budgets(db)
    db.commit()
    on(frozen_clock, MARCH)

    output = cli(app, "send")
    assert "herinnering per e-mail" in output and "herinnering per sms" in output

    channels = {h.id: contact_of(db, h.id).channel for h in (mail, english, paper, text, nothing)}
    assert channels == {mail.id: "email", english.id: "email", paper.id: "post",
                        text.id: "sms", nothing.id: "post"}  # fmt: skip
    letters = {x.household_id: x for x in db.scalars(select(Letter))}
    assert letters[paper.id].channel == LetterChannel.post and letters[paper.id].message_id is None
    assert letters[nothing.id].channel == LetterChannel.post
    assert letters[english.id].language == "en"
    sms = db.scalars(select(Message).where(Message.recipient == "+31612345678")).one()
    assert "Stadsfonds sport en cultuur" in KEYS.decrypt(sms.body_encrypted)
    assert "31-12-2026" in KEYS.decrypt(sms.body_encrypted)

    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port)
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    received = {m["To"]: m for m in smtp_server.wait_for(2)}
    assert set(received) == {"anna@example.nl", "ben@example.nl"}
    dutch = received["anna@example.nl"]
    assert dutch["Subject"] == "U heeft nog tegoed op uw Almerepas"
    body = dutch.get_content()
    assert "Beste Anna Test," in body
    assert "Met uw Almerepas heeft u Stadsfonds sport en cultuur." in body
    assert "Kind van Anna Test" in body
    assert "31 december 2026" in body
    assert "Wilt u deze herinneringen niet meer?" in body
    english_body = received["ben@example.nl"].get_content()
    assert "City fund for sport and culture" in english_body
    assert "31 December 2026" in english_body


def test_one_reminder_per_scheme_per_period_however_often_it_runs(
    app: Flask, reference: Session, frozen_clock: FrozenClock
) -> None:
    db = reference
    family(db, "Anna", email="anna@example.nl")
    grant_budgets(db)
    db.commit()
    on(frozen_clock, MARCH)
    [read_before] = listing.outreach_list(db, MARCH, weeks=8)  # what a second run read too

    assert "herinnering per e-mail" in cli(app, "send")
    assert "Vandaag hoeft niemand" in cli(app, "send")
    frozen_clock.advance(days=30)
    assert "Vandaag hoeft niemand" in cli(app, "send")
    assert count(db, Message) == 1

    # A run that read the list before the first committed: the unique key keeps it out.
    run = sending.start_run(db, day=MARCH, weeks=8, seed=None, now=clock.now(), actor=TEST_ACTOR)
    late = sending.remind(
        db, run, read_before, Group.reminded, keys=KEYS, now=clock.now(), actor=TEST_ACTOR
    )
    db.commit()
    assert late is None
    assert count(db, Message) == 1 and count(db, OutreachContact) == 1


def test_a_household_that_opted_out_gets_nothing_and_is_marked_on_the_list(
    app: Flask, reference: Session, frozen_clock: FrozenClock
) -> None:
    db = reference
    quiet = family(db, "Anna", email="anna@example.nl")
    other = family(db, "Bram", email="bram@example.nl")
    grant_budgets(db)
    sending.set_opt_out(db, quiet.id, True, now=clock.now(), actor=TEST_ACTOR)
    db.commit()
    on(frozen_clock, MARCH)

    marked = {c.household_id: c.opted_out for c in listing.outreach_list(db, MARCH, weeks=8)}
    assert marked == {quiet.id: True, other.id: False}
    cli(app, "send")
    assert [c.household_id for c in db.scalars(select(OutreachContact))] == [other.id]
    assert db.scalars(select(Message.recipient)).all() == ["bram@example.nl"]
    actions = db.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.action.like("outreach.%"))
        .order_by(AuditEvent.id)  # without it PostgreSQL may return them in any order
    ).all()
    assert actions == ["outreach.opt_out", "outreach.run", "outreach.reminded"]

    sending.set_opt_out(db, quiet.id, False, now=clock.now(), actor=TEST_ACTOR)
    assert db.get(OptOut, quiet.id) is None
    assert [c.household_id for c in listing.outreach_list(db, MARCH, weeks=8)] == [quiet.id]


def test_a_dry_run_counts_and_writes_nothing(
    app: Flask, reference: Session, frozen_clock: FrozenClock
) -> None:
    db = reference
    family(db, "Anna", email="anna@example.nl")
    family(db, "Bram")
    grant_budgets(db)
    db.commit()
    on(frozen_clock, MARCH)
    tables = (OutreachRun, OutreachContact, Message, Letter, AuditEvent)
    before = [count(db, t) for t in tables]

    assert "Vandaag hoeft niemand" in cli(app, "send", "--dry-run", "--weeks", "10")
    output = cli(app, "send", "--dry-run")

    assert "proefrun: niets opgeslagen" in output
    assert "herinnering per e-mail" in output and "herinnering per brief" in output
    assert [count(db, t) for t in tables] == before


def test_a_paper_reminder_goes_into_the_print_batch_in_plain_dutch(
    app: Flask, reference: Session, frozen_clock: FrozenClock, tmp_path: Path
) -> None:
    db = reference
    family(db, "Cor", by_post=True)
    grant_budgets(db)
    db.commit()
    on(frozen_clock, MARCH)
    assert "herinnering per brief" in cli(app, "send")

    target = tmp_path / "brieven.pdf"
    result = app.test_cli_runner().invoke(args=["letters", "print", str(target)])
    assert result.exit_code == 0, result.output
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(target).pages)
    assert "U heeft nog tegoed op uw Almerepas" in text
    assert "Beste Cor Test," in text
    assert "Kind van Cor Test" in text
    assert "31 december 2026" in text
    assert "Wilt u deze herinneringen niet meer?" in text
