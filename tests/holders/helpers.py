"""Residents who can log in, and the code the outbox holds for them."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.core import clock
from almerepas.holders.login import OneTimeCodeLogin
from almerepas.models import Household, MemberRole, Message, Person
from tests.factories import KEYS, TEST_ACTOR, make_household

EMAIL = "fatima.elamrani@example.nl"


def family(session: Session, *, email: str | None = EMAIL, phone: str | None = None) -> Household:
    """A mother (applicant) with her contact, a father (partner) and two children."""
    household = make_household(
        session,
        [
            (MemberRole.applicant, dt.date(1988, 4, 2)),
            (MemberRole.partner, dt.date(1986, 9, 12)),
            (MemberRole.child, dt.date(2014, 6, 1)),
            (MemberRole.child, dt.date(2019, 2, 20)),
        ],
    )
    mother = household.memberships[0].person
    mother.given_name, mother.email, mother.phone = "Fatima", email, phone
    session.flush()
    return household


def member(household: Household, index: int) -> Person:
    return household.memberships[index].person


def login(session: Session) -> OneTimeCodeLogin:
    return OneTimeCodeLogin(session, keys=KEYS, now=clock.now(), actor=TEST_ACTOR)


def last_code(session: Session, recipient: str = EMAIL) -> str:
    """The 6 digits of the newest message to ``recipient`` in the outbox."""
    body = session.scalars(
        select(Message.body_encrypted)
        .where(Message.recipient == recipient)
        .order_by(Message.id.desc())
        .limit(1)
    ).one()
    match = re.search(r"\b([0-9]{6})\b", KEYS.decrypt(body))
    assert match, "no code in the message"
    return match.group(1)
