"""Renewal: invited eight weeks before the assessment ends, reminded once three weeks later if
nothing happened, never twice, and nothing taken away before the last day."""

from __future__ import annotations

import datetime as dt

from babel.dates import format_date
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.applications import renewal
from almerepas.core import clock
from almerepas.income.assessments import assessment_on, record_assessment
from almerepas.letters.models import Letter, LetterChannel
from almerepas.outbox.models import Message
from tests.factories import KEYS, assess
from tests.fixtures import FrozenClock
from tests.holders.helpers import EMAIL, family


def on(frozen_clock: FrozenClock, day: dt.date) -> None:
    frozen_clock.set(clock.local_moment(day, dt.time(9)))


def send(app: Flask) -> str:
    result = app.test_cli_runner().invoke(args=["renewals", "send"])
    assert result.exit_code == 0, result.output
    return result.output


def kinds(db: Session) -> list[tuple[str, str]]:
    return [(x.kind, x.source_key) for x in db.scalars(select(Letter).order_by(Letter.id))]


def test_invited_eight_weeks_before_the_end_reminded_once_and_kept_to_the_last_day(
    app: Flask, reference: Session, frozen_clock: FrozenClock
) -> None:
    db = reference
    household = family(db)
    household.email = EMAIL
    assessment = assess(db, household, (1, 1))
    db.commit()
    end = assessment.valid_to

    on(frozen_clock, end - renewal.INVITE_BEFORE)
    assert "Vandaag hoeft niemand" in send(app)
    on(frozen_clock, end - renewal.INVITE_BEFORE + dt.timedelta(days=1))
    assert "uitnodiging per e-mail" in send(app)
    assert kinds(db) == [("renewal_invite", f"renewal:{assessment.id}:invite")]
    message = db.scalars(select(Message)).one()
    assert message.subject == "Wilt u uw Almerepas houden?"
    body = KEYS.decrypt(message.body_encrypted)
    assert f"Uw Almerepas werkt tot en met {format_date(end, 'd MMMM y', locale='nl')}." in body
    assert "kies 'Pas verlengen'" in body
    assert "Doet u niets?" in body
    assert "Vandaag hoeft niemand" in send(app)  # the same day again: nothing twice

    invited = clock.today()
    on(frozen_clock, invited + renewal.REMIND_AFTER - dt.timedelta(days=1))
    assert "Vandaag hoeft niemand" in send(app)
    on(frozen_clock, invited + renewal.REMIND_AFTER + dt.timedelta(days=4))  # a few days missed
    assert "herinnering per e-mail" in send(app)
    assert [kind for kind, _key in kinds(db)] == ["renewal_invite", "renewal_reminder"]
    newest = db.scalars(select(Message).order_by(Message.id.desc()).limit(1)).one()
    assert "Wij hebben nog niets van u gehoord." in KEYS.decrypt(newest.body_encrypted)

    on(frozen_clock, end - dt.timedelta(days=1))
    assert "Vandaag hoeft niemand" in send(app)  # one reminder, not more
    assert assessment_on(db, household.id, end) is not None  # nothing ends before the last day
    assert assessment_on(db, household.id, end + dt.timedelta(days=1)) is None
    on(frozen_clock, end + dt.timedelta(days=1))
    assert renewal.due(db, clock.today()) == []


def test_a_household_that_renewed_gets_no_reminder(
    app: Flask, reference: Session, frozen_clock: FrozenClock
) -> None:
    db = reference
    household = family(db)
    old = assess(db, household, (1, 1))
    on(frozen_clock, old.valid_to - dt.timedelta(weeks=6))
    send(app)
    record_assessment(db, household, net_income=old.net_income, assessed_on=clock.today(),
                      assessed_by="test")  # fmt: skip
    db.commit()
    on(frozen_clock, old.valid_to - dt.timedelta(days=2))
    assert renewal.due(db, clock.today()) == []
    assert [kind for kind, _key in kinds(db)] == ["renewal_invite"]


def test_paper_for_who_wants_paper_and_nothing_for_who_moved_away(
    app: Flask, reference: Session, frozen_clock: FrozenClock
) -> None:
    db = reference
    on_paper = family(db)
    on_paper.email, on_paper.letters_by_post = EMAIL, True
    moved = family(db)
    ending = assess(db, on_paper, (1, 1))
    assess(db, moved, (1, 1))
    moved.moved_out_on = dt.date(2026, 6, 1)
    db.commit()
    on(frozen_clock, ending.valid_to - dt.timedelta(weeks=4))

    dry = app.test_cli_runner().invoke(args=["renewals", "send", "--dry-run"])
    assert "proefrun" in dry.output and kinds(db) == []

    assert "uitnodiging per post" in send(app)
    [letter] = db.scalars(select(Letter)).all()
    assert (letter.household_id, letter.channel) == (on_paper.id, LetterChannel.post)
    assert db.scalars(select(Message)).all() == []
