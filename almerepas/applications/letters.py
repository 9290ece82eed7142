"""The letter that tells a household what it now has: asked for here, written elsewhere.

There is no decision letter yet (a PDF letter per decision is a later item of issue 13), and
the outbox only knows e-mail and text messages. So a letter is asked for through
``LetterQueue``: the import calls ``queue`` for every household it granted something or
issued a pass to. ``AuditedLetters``, the only implementation today, records the request as a
``letter.requested`` audit row (the household, the source, what was granted, how many passes):
durable, in the same transaction, and readable by whoever builds the letters. The pass itself
is posted with its own letter by the card batch (``almerepas cards print``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from almerepas.audit import log as audit
from almerepas.audit.log import Actor

#: The audit action of a requested letter; the letter builder looks for these.
LETTER_REQUESTED = "letter.requested"


@dataclass(frozen=True)
class GrantLetter:
    """A letter to a household saying what it was granted without asking, and why."""

    household_id: int
    #: the administration the income came from (``--source``): the letter names it
    source: str
    #: "scheme period" per grant, e.g. "stadsfonds 2026"
    granted: tuple[str, ...]
    #: passes issued; the card batch sends each card with its own letter
    passes: int


class LetterQueue(Protocol):
    def queue(self, session: Session, letter: GrantLetter, *, actor: Actor) -> None:
        """Ask for the letter in the caller's transaction: kept only if it commits."""


class AuditedLetters:
    """Letters asked for as audit rows, until the decision letters exist."""

    def queue(self, session: Session, letter: GrantLetter, *, actor: Actor) -> None:
        audit.record(
            session,
            actor=actor,
            action=LETTER_REQUESTED,
            entity_type="household",
            entity_id=letter.household_id,
            changes={
                "kind": "grant_without_application",
                "source": letter.source,
                "granted": list(letter.granted),
                "passes": letter.passes,
                "by_post": True,
            },
        )
