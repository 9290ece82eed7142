"""Printing cards: which passes need one, the letter and the card for each, what was printed.

A batch prints a card for every pass that works and has no printed card of its generation yet
(a replacement is a new generation, so it gets a card in the next batch). Each card gets a card
credential of its own (``almerepas.passes.credentials.issue_card_credential``), a row in
``card_print`` and a ``card.print`` audit row. The PDF itself is drawn by ``cards``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.core import clock, gemeente
from almerepas.core.crypto import Keyring
from almerepas.households.models import District, Household, Membership, Person
from almerepas.passes import credentials
from almerepas.passes.cards import CardFace, Letter
from almerepas.passes.errors import NotLivingInGemeente, PassNotActive
from almerepas.passes.models import CardPrint, Pass, PassStatus

#: Letters about a child's card go to the parents.
ADULT_AGE = 18


def issue_card_code(session: Session, pass_: Pass, *, keys: Keyring, now: dt.datetime) -> str:
    """The code printed in the card's QR: a new card credential for ``pass_``."""
    return credentials.issue_card_credential(session, pass_, keys=keys, now=now)


def _home(day: dt.date) -> Any:
    """Membership active on ``day`` in a household that still lives in the gemeente."""
    return and_(
        Membership.valid_from <= day,
        Membership.valid_to.is_(None) | (Membership.valid_to >= day),
        Household.moved_out_on.is_(None) | (Household.moved_out_on > day),
    )


def passes_to_print(
    session: Session, *, day: dt.date, district: District | None = None
) -> list[int]:
    """Ids of the passes that work on ``day`` and have no printed card of their generation,
    of holders who live in the gemeente (in ``district``, when given), in pass order."""
    printed = exists().where(CardPrint.pass_id == Pass.id, CardPrint.generation == Pass.generation)
    query = (
        select(Pass.id)
        .join(Membership, Membership.person_id == Pass.person_id)
        .join(Household, Household.id == Membership.household_id)
        .where(Pass.status == PassStatus.active, Pass.valid_until >= day, ~printed, _home(day))
        .order_by(Pass.id)
    )
    if district is not None:
        query = query.where(Household.district == district)
    return list(session.scalars(query))


@dataclass(frozen=True)
class PrintedCard:
    letter: Letter
    face: CardFace
    code: str


def _household(session: Session, person: Person, day: dt.date) -> Household:
    household = session.scalar(
        select(Household)
        .join(Membership, Membership.household_id == Household.id)
        .where(Membership.person_id == person.id, _home(day))
    )
    if household is None:
        raise NotLivingInGemeente()
    return household


def _age(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def print_card(
    session: Session, pass_: Pass, *, keys: Keyring, now: dt.datetime, actor: Actor
) -> PrintedCard:
    """Issue a card credential for ``pass_``, record the print, and return what to draw.

    Only a pass that works (``pass_not_active``), of someone living in the gemeente (the letter
    needs the address: ``not_living_in_almere``).
    """
    day = now.astimezone(clock.LOCAL).date()
    if pass_.status != PassStatus.active or pass_.valid_until < day:
        raise PassNotActive()
    person = pass_.person
    household = _household(session, person, day)
    code = issue_card_code(session, pass_, keys=keys, now=now)
    session.add(
        CardPrint(
            pass_id=pass_.id,
            generation=pass_.generation,
            printed_at=now,
            printed_by=actor.name[:120],
        )
    )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="card.print",
        entity_type="pass",
        entity_id=pass_.id,
        changes={"generation": pass_.generation},
    )
    suffix = f" {household.house_number_suffix}" if household.house_number_suffix else ""
    letter = Letter(
        holder_name=f"{person.given_name} {person.family_name}",
        given_name=person.given_name,
        minor=_age(person.date_of_birth, day) < ADULT_AGE,
        street_line=f"{household.street} {household.house_number}{suffix}",
        postcode=f"{household.postcode[:4]} {household.postcode[4:]}",
        city=gemeente.current().name,
        number=pass_.number,
        valid_until=pass_.valid_until,
        day=day,
    )
    face = CardFace(person.given_name, pass_.number, pass_.valid_until)
    return PrintedCard(letter=letter, face=face, code=code)
