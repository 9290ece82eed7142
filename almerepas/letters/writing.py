"""Writing a letter about a decision, and taking the paper ones for the print batch. Flushes,
never commits: the letter belongs to the decision's own transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.core import clock, gemeente
from almerepas.core.crypto import Keyring
from almerepas.core.i18n import translator
from almerepas.households.members import Address
from almerepas.households.models import Household
from almerepas.letters.content import KINDS, paragraphs, plain_text, subject
from almerepas.letters.models import Letter, LetterChannel
from almerepas.letters.pdf import PrintedLetter
from almerepas.outbox.models import Channel
from almerepas.outbox.queue import queue

#: Letters are written in these languages; a household that reads another gets Dutch (the PDF
#: cannot set right-to-left scripts yet, docs/letters.md).
LETTER_LANGUAGES = ("nl", "en")


@dataclass(frozen=True)
class Addressee:
    """Whom a letter goes to and how: a household, or someone who applied and has none yet."""

    name: str
    address: Address
    email: str | None
    by_post: bool
    language: str = "nl"
    household_id: int | None = None

    @classmethod
    def of(cls, household: Household, name: str) -> Addressee:
        address = Address(household.postcode, household.house_number, household.street,
                          household.house_number_suffix)  # fmt: skip
        return cls(name, address, household.email, household.letters_by_post,
                   household.language, household.id)  # fmt: skip

    def address_lines(self) -> list[str]:
        """For the envelope's window: name, street, postcode and the place in capitals."""
        suffix = f" {self.address.house_number_suffix}" if self.address.house_number_suffix else ""
        postcode = self.address.postcode.replace(" ", "")
        return [
            self.name,
            f"{self.address.street} {self.address.house_number}{suffix}",
            f"{postcode[:4]} {postcode[4:]}  {gemeente.current().name.upper()}",
        ]


def write_letter(
    session: Session,
    to: Addressee,
    *,
    kind: str,
    facts: dict[str, Any],
    source_key: str,
    keys: Keyring,
    now: dt.datetime,
    actor: Actor,
) -> Letter:
    """The letter about one decision (``source_key``), once: the same key gives the same letter.

    By e-mail when there is an address and no wish for paper; otherwise on paper, in the next
    print batch. The facts get the name and the address, so a letter can be printed for
    someone who has no household yet.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind of letter: {kind}")
    existing = session.scalar(select(Letter).where(Letter.source_key == source_key))
    if existing is not None:
        return existing
    language = to.language if to.language in LETTER_LANGUAGES else "nl"
    email = to.email if to.email and not to.by_post else None
    letter = Letter(
        household_id=to.household_id,
        kind=kind,
        language=language,
        channel=LetterChannel.email if email else LetterChannel.post,
        facts={**facts, "name": to.name, "address": to.address_lines()},
        source_key=source_key,
        created_at=now,
        created_by=actor.name[:120],
    )
    session.add(letter)
    session.flush()
    if email:
        _ = translator(language)
        letter.message_id = queue(
            session,
            channel=Channel.email,
            recipient=email,
            purpose=f"letter.{kind}",
            subject=subject(kind, _),
            body=plain_text(kind, letter.facts, _, language),
            keys=keys,
            now=now,
        ).id
    audit.record(
        session,
        actor=actor,
        action="letter.written",
        entity_type="household" if to.household_id else "letter",
        entity_id=to.household_id or letter.id,
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


def print_letter(
    session: Session, letter: Letter, *, now: dt.datetime, actor: Actor
) -> PrintedLetter:
    """Record that ``letter`` goes into this batch, and what to draw for it."""
    letter.printed_at, letter.printed_by = now, actor.name[:120]
    audit.record(
        session,
        actor=actor,
        action="letter.printed",
        entity_type="household" if letter.household_id else "letter",
        entity_id=letter.household_id or letter.id,
        changes={"letter": letter.id, "kind": letter.kind},
    )
    session.flush()
    _ = translator(letter.language)
    return PrintedLetter(
        address_lines=list(letter.facts["address"]),
        day=now.astimezone(clock.LOCAL).date(),  # the day it is sent: objection time counts from it
        language=letter.language,
        paragraphs=paragraphs(letter.kind, letter.facts, _, letter.language),
    )
