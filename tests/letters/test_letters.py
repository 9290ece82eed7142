"""Letters about decisions: by e-mail or on paper, once per decision, in the household's
language, with the objection (bezwaar) under every decision; the paper ones printed by
`almerepas letters print` into a PDF whose text is read back here."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from flask import Flask
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almerepas.audit.models import AuditEvent
from almerepas.core import clock
from almerepas.letters import writing
from almerepas.letters.content import APPROVED, MORE_INFO, REJECTED, Benefit
from almerepas.letters.models import Letter, LetterChannel
from almerepas.outbox.models import Message
from tests.factories import KEYS, TEST_ACTOR
from tests.fixtures import FrozenClock
from tests.holders.helpers import EMAIL, family

SPORT = Benefit("Sport en cultuur voor kinderen", "Sport and culture for children",
                ["Lid2", "Lid3"], cents_per_year=57_500)  # fmt: skip
BUS = Benefit("Gratis met de bus in Almere", "Free local buses", ["Fatima"])
PERIOD = Benefit("Menstruatieproducten", "Period products", ["Fatima"], units_per_year=12)


def approved(**more: Any) -> dict[str, Any]:
    return {"name": "Fatima Test", "until": "2027-02-28",
            "benefits": [SPORT.as_fact(), BUS.as_fact(), PERIOD.as_fact()], **more}  # fmt: skip


def write(db: Session, household: Any, kind: str, facts: dict[str, Any], key: str) -> Letter:
    to = writing.Addressee.of(household, facts.pop("name"))
    return writing.write_letter(db, to, kind=kind, facts=facts, source_key=key,
                                keys=KEYS, now=clock.now(), actor=TEST_ACTOR)  # fmt: skip


def body_of(db: Session, letter: Letter) -> str:
    message = db.get_one(Message, letter.message_id)
    return KEYS.decrypt(message.body_encrypted)


def pdf_text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return len(reader.pages), " ".join(text.split())


def test_an_approval_reaches_a_household_with_an_e_mail_address_by_e_mail(
    reference: Session, frozen_clock: FrozenClock
) -> None:
    db = reference
    household = family(db)
    household.email = EMAIL
    letter = write(db, household, APPROVED, approved(), "application:1:approved")

    assert letter.channel == LetterChannel.email
    message = db.get_one(Message, letter.message_id)
    assert (message.recipient, message.subject) == (EMAIL, "U krijgt de Almerepas")
    body = body_of(db, letter)
    assert "U krijgt de Almerepas tot en met 28 februari 2027." in body
    assert "- Sport en cultuur voor kinderen, voor Lid2, Lid3: € 575,00 per jaar" in body
    assert "- Gratis met de bus in Almere, voor Fatima: zo vaak als u wilt" in body
    assert "- Menstruatieproducten, voor Fatima: 12 pakken per jaar" in body
    assert "binnen 6 weken" in body and "Postbus 200, 1300 AE Almere" in body
    audit = db.scalars(select(AuditEvent.action).where(AuditEvent.entity_id == str(household.id)))
    assert "letter.written" in list(audit)


def test_one_decision_gets_one_letter_however_often_it_is_written(
    reference: Session, frozen_clock: FrozenClock
) -> None:
    db = reference
    household = family(db)
    household.email = EMAIL
    first = write(db, household, APPROVED, approved(), "application:7:approved")
    again = write(db, household, APPROVED, approved(), "application:7:approved")
    assert again.id == first.id
    assert db.scalar(select(func.count()).select_from(Message)) == 1


def test_a_household_that_reads_english_gets_its_letter_in_english(
    reference: Session, frozen_clock: FrozenClock
) -> None:
    db = reference
    household = family(db)
    household.email, household.language = EMAIL, "en"
    letter = write(db, household, REJECTED,
                   {"name": "Fatima Test", "reason": "income_above", "note": None},
                   "application:2:rejected")  # fmt: skip
    message = db.get_one(Message, letter.message_id)
    assert message.subject == "You do not get the Almerepas"
    body = body_of(db, letter)
    assert "Your income is above the scheme's limit." in body
    assert "within 6 weeks" in body and "Why not?" in body


def test_a_household_that_reads_a_language_without_letters_gets_dutch(
    reference: Session, frozen_clock: FrozenClock
) -> None:
    db = reference
    household = family(db)
    household.email, household.language = EMAIL, "ar"
    letter = write(db, household, APPROVED, approved(), "application:3:approved")
    assert letter.language == "nl"
    assert db.get_one(Message, letter.message_id).subject == "U krijgt de Almerepas"


def test_paper_letters_are_printed_once_into_a_pdf_that_says_what_the_letter_says(
    app: Flask, reference: Session, frozen_clock: FrozenClock, tmp_path: Path
) -> None:
    db = reference
    on_paper = family(db, email=None)
    wants_paper = family(db)
    wants_paper.email, wants_paper.letters_by_post = EMAIL, True
    write(db, on_paper, APPROVED, approved(), "application:4:approved")
    question = {
        "name": "Fatima Test",
        "note": "Een loonstrook van oktober.",
        "deadline": "2026-03-16",
        "link": "https://almerepas.example/aanvragen",
    }
    write(db, wants_paper, MORE_INFO, question, "application:5:more_info")
    db.commit()
    assert db.scalar(select(func.count()).select_from(Message)) == 0
    runner = app.test_cli_runner()
    target = tmp_path / "brieven.pdf"

    dry = runner.invoke(args=["letters", "print", str(target), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert not target.exists()
    assert len(writing.letters_to_print(db)) == 2

    frozen_clock.advance(days=1)
    done = runner.invoke(args=["letters", "print", str(target)])
    assert done.exit_code == 0, done.output
    pages, text = pdf_text(target.read_bytes())
    assert pages == 2  # each letter on a page of its own
    assert "Fatima Test Stadhuisplein" in text
    assert "1315 AB ALMERE" in text
    assert "Almere, 3 maart 2026" in text  # the day it is printed and sent
    assert "Sport en cultuur voor kinderen, voor Lid2, Lid3: € 575,00 per jaar" in text
    assert "Bent u het niet eens met dit besluit?" in text
    assert "Een loonstrook van oktober." in text
    assert "Stuur het ons vóór 16 maart 2026. Ga naar https://almerepas.example/aanvragen" in text
    assert writing.letters_to_print(db) == []
    printed = db.scalars(select(Letter.printed_at)).all()
    assert set(printed) == {clock.now()}

    again = runner.invoke(args=["letters", "print", str(tmp_path / "nog.pdf")])
    assert "Er zijn geen brieven om te drukken." in again.output
    assert not (tmp_path / "nog.pdf").exists()


def test_a_long_letter_runs_on_to_a_second_page(
    app: Flask, reference: Session, frozen_clock: FrozenClock, tmp_path: Path
) -> None:
    db = reference
    household = family(db, email=None)
    many = [Benefit(f"Regeling {n}", f"Scheme {n}", ["Fatima"], cents_per_year=n * 100).as_fact()
            for n in range(1, 31)]  # fmt: skip
    write(db, household, APPROVED, approved(benefits=many), "application:6:approved")
    db.commit()
    target = tmp_path / "lang.pdf"
    result = app.test_cli_runner().invoke(args=["letters", "print", str(target)])
    assert result.exit_code == 0, result.output
    pages, text = pdf_text(target.read_bytes())
    assert pages == 2
    assert "Regeling 30, voor Fatima: € 30,00 per jaar" in text
    assert text.endswith("Met vriendelijke groet, Gemeente Almere")
