"""Writing a letter about a decision, and taking the paper ones for the print batch. Flushes,
never commits: the letter belongs to the decision's own transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.core import clock
from almerepas.core.crypto import Keyring
from almerepas.core.i18n import translator
from almerepas.households.models import Household
from almerepas.letters.content import KINDS, paragraphs, plain_text, subject
from almerepas.letters.models import Letter, LetterChannel
from almerepas.letters.pdf import PrintedLetter
from almerepas.outbox.models import Channel
from almerepas.outbox.queue import queue

#: Letters are written in these languages; a household that reads another gets Dutch (the PDF
#: cannot set right-to-left scripts yet, docs/letters.md).
LETTER_LANGUAGES = ("nl", "en")


def write_letter(
    session: Session,
    household: Household,
    *,
    kind: str,
    facts: dict[str, Any],
    source_key: str,
    keys: Keyring,
    now: dt.datetime,
    actor: Actor,
) -> Letter:
    """The letter about one decision (``source_key``), once: the same key gives the same letter.

    By e-mail when the household has an address and did not ask for paper; otherwise on paper,
    in the next print batch.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind of letter: {kind}")
    existing = session.scalar(select(Letter).where(Letter.source_key == source_key))
    if existing is not None:
        return existing
    language = household.language if household.language in LETTER_LANGUAGES else "nl"
    by_email = bool(household.email) and not household.letters_by_post
    letter = Letter(
        household_id=household.id,
        kind=kind,
        language=language,
        channel=LetterChannel.email if by_email else LetterChannel.post,
        facts=facts,
        source_key=source_key,
        created_at=now,
        created_by=actor.name[:120],
    )
    session.add(letter)
    session.flush()
    if by_email:
        assert household.email is not None  # noqa: S101 - by_email says so
        _ = translator(language)
        letter.message_id = queue(
            session,
            channel=Channel.email,
            recipient=household.email,
            purpose=f"letter.{kind}",
            subject=subject(kind, _),
            body=plain_text(kind, facts, _, language),
            keys=keys,
            now=now,
        ).id
    audit.record(
        session,
        actor=actor,
        action="letter.written",
        entity_type="household",
        entity_id=household.id,
        changes={"letter": letter.id, "kind": kind, "channel": letter.channel.value},
    )
    session.flush()
    return letter


def letters_to_print(session: Session) -> list[Letter]:
    """Paper letters not printed yet, oldest first."""
    return list(
        session.scalars(
            select(Letter)
            .where(Letter.channel == LetterChannel.post, Letter.printed_at.is_(None))
            .order_by(Letter.id)
        )
    )


def address_lines(household: Household, name: str) -> list[str]:
    """For the envelope's window: the name the letter greets, then the address."""
    suffix = f" {household.house_number_suffix}" if household.house_number_suffix else ""
    return [
        name,
        f"{household.street} {household.house_number}{suffix}",
        f"{household.postcode[:4]} {household.postcode[4:]}  ALMERE",
    ]


def print_letter(
    session: Session, letter: Letter, *, now: dt.datetime, actor: Actor
) -> PrintedLetter:
    """Record that ``letter`` goes into this batch, and what to draw for it."""
    household = session.get_one(Household, letter.household_id)
    letter.printed_at, letter.printed_by = now, actor.name[:120]
    audit.record(
        session,
        actor=actor,
        action="letter.printed",
        entity_type="household",
        entity_id=household.id,
        changes={"letter": letter.id, "kind": letter.kind},
    )
    session.flush()
    _ = translator(letter.language)
    return PrintedLetter(
        address_lines=address_lines(household, letter.facts["name"]),
        day=now.astimezone(clock.LOCAL).date(),  # the day it is sent: objection time counts from it
        language=letter.language,
        paragraphs=paragraphs(letter.kind, letter.facts, _, letter.language),
    )
