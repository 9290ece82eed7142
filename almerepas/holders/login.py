"""Logging in as a holder with a one-time code sent by e-mail or text message.

``HolderLogin`` is what the code pages call; ``OneTimeCodeLogin`` implements it. DigiD through
an OpenID Connect broker runs beside it (almerepas/holders/sso.py; docs/login.md, "Residents").

Rules: a 6-digit code, kept only as an HMAC with a per-request salt; it works 10 minutes,
once, and stops after 5 wrong tries; at most 3 codes per contact per 15 minutes. Asking for a
code answers the same whether or not someone has that contact: for a contact nobody has, a row
without a code is written, which counts for the rate limit, expires and counts wrong tries
like a real one, so no answer differs.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from collections.abc import Callable
from typing import Protocol

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.core import clock, gemeente
from almerepas.core.crypto import Keyring
from almerepas.core.i18n import N_
from almerepas.holders.contacts import Contact, normal_mobile, parse_contact
from almerepas.holders.errors import (
    LoginCodeExpired,
    LoginCodeInvalid,
    LoginCodeLocked,
    TooManyCodes,
)
from almerepas.holders.household import HOUSEHOLD_ROLES, membership_on
from almerepas.holders.models import LoginCode
from almerepas.households.models import Household, Person
from almerepas.outbox.models import Channel
from almerepas.outbox.queue import queue

CODE_LIFETIME = dt.timedelta(minutes=10)
MAX_ATTEMPTS = 5
RATE_WINDOW = dt.timedelta(minutes=15)
CODES_PER_WINDOW = 3
#: Requests older than this are deleted when a new code is asked for.
KEEP_REQUESTS = dt.timedelta(days=1)

EMAIL_SUBJECT = N_("Uw code voor Mijn %(pass_name)s")
EMAIL_TEXT = N_(
    "Uw code is %(code)s.\n\n"
    "Vul deze code in op de website van Mijn %(pass_name)s. De code werkt 10 minuten.\n\n"
    "Heeft u geen code gevraagd? Dan hoeft u niets te doen. Niemand kan inloggen zonder "
    "deze code."
)
SMS_TEXT = N_("Uw code voor Mijn %(pass_name)s is %(code)s. De code werkt 10 minuten.")


class HolderLogin(Protocol):
    """How a resident proves who they are with a code: ``start`` sends it; ``finish`` checks the
    answer and returns the person, or raises a refusal. (DigiD: almerepas/holders/sso.py.)"""

    def start(self, contact: str) -> None: ...

    def finish(self, contact: str, code: str) -> Person: ...


def _identity(text: str) -> str:
    return text


class OneTimeCodeLogin:
    """A code by e-mail or text message, queued in the outbox in the caller's transaction."""

    def __init__(
        self,
        session: Session,
        *,
        keys: Keyring,
        now: dt.datetime,
        actor: Actor,
        translate: Callable[[str], str] = _identity,
    ) -> None:
        self.session = session
        self.keys = keys
        self.now = now
        self.actor = actor
        self.translate = translate

    def _contact_hash(self, contact: Contact) -> str:
        return self.keys.keyed_hash(contact.value, "holder-contact")

    def _code_hash(self, salt: str, code: str) -> str:
        return self.keys.keyed_hash(f"{salt}:{code}", "holder-login-code")

    def start(self, contact: str) -> None:
        """Queue a code for whoever has this contact; raise TooManyCodes past the limit."""
        parsed = parse_contact(contact)
        contact_hash = self._contact_hash(parsed)
        self.session.execute(
            delete(LoginCode).where(LoginCode.created_at < self.now - KEEP_REQUESTS)
        )
        recent = list(
            self.session.scalars(
                select(LoginCode.created_at)
                .where(
                    LoginCode.contact_hash == contact_hash,
                    LoginCode.created_at > self.now - RATE_WINDOW,
                )
                .order_by(LoginCode.created_at)
            )
        )
        if len(recent) >= CODES_PER_WINDOW:
            wait = recent[-CODES_PER_WINDOW] + RATE_WINDOW - self.now
            raise TooManyCodes(retry_after=int(wait.total_seconds()) + 1)
        person = find_holder(self.session, parsed, self.now)
        salt = secrets.token_hex(16)
        code = f"{secrets.randbelow(10**6):06d}"
        expires_at = self.now + CODE_LIFETIME
        self.session.add(
            LoginCode(
                contact_hash=contact_hash,
                person_id=person.id if person else None,
                code_hash=self._code_hash(salt, code) if person else None,
                salt=salt,
                created_at=self.now,
                expires_at=expires_at,
                attempts=0,
            )
        )
        self.session.flush()
        if person is None:
            return
        # Filled here too: a translator that gives the message id back leaves the placeholders.
        place = gemeente.current()
        text = place.fill(
            self.translate(EMAIL_TEXT if parsed.channel == Channel.email else SMS_TEXT)
        )
        queue(
            self.session,
            channel=parsed.channel,
            recipient=parsed.value,
            purpose="holder.login_code",
            subject=place.fill(self.translate(EMAIL_SUBJECT))
            if parsed.channel == Channel.email
            else None,
            body=text % {"code": code},
            keys=self.keys,
            now=self.now,
            expires_at=expires_at,
        )
        audit.record(
            self.session,
            actor=self.actor,
            action="holder.code_sent",
            entity_type="person",
            entity_id=person.id,
            changes={"channel": parsed.channel.value},
        )

    def finish(self, contact: str, code: str) -> Person:
        """The person, once; or LoginCodeInvalid, LoginCodeExpired or LoginCodeLocked.

        A wrong try is counted on the newest request for this contact and flushed before the
        refusal is raised: the caller commits it (the login page catches the refusal).
        """
        parsed = parse_contact(contact)
        request = self.session.scalars(
            select(LoginCode)
            .where(LoginCode.contact_hash == self._contact_hash(parsed))
            .order_by(LoginCode.created_at.desc(), LoginCode.id.desc())
            .limit(1)
            .with_for_update()
        ).first()
        if request is None or request.used_at is not None:
            raise LoginCodeInvalid()
        if request.attempts >= MAX_ATTEMPTS:
            raise LoginCodeLocked()
        if request.expires_at <= self.now:
            raise LoginCodeExpired()
        typed = code.strip().replace(" ", "")
        expected = request.code_hash or self._code_hash(request.salt, "no code was sent")
        if not hmac.compare_digest(self._code_hash(request.salt, typed), expected) or (
            request.person_id is None
        ):
            request.attempts += 1
            if request.person_id is not None:
                audit.record(
                    self.session,
                    actor=self.actor,
                    action="holder.login_failed",
                    entity_type="person",
                    entity_id=request.person_id,
                    changes={"attempts": request.attempts},
                )
            self.session.flush()
            if request.attempts >= MAX_ATTEMPTS:
                raise LoginCodeLocked()
            raise LoginCodeInvalid()
        request.used_at = self.now
        person = self.session.get_one(Person, request.person_id)
        audit.record(
            self.session,
            actor=Actor(f"holder:{person.id}", "holder", self.actor.request_id),
            action="holder.login",
            entity_type="person",
            entity_id=person.id,
        )
        return person


def find_holder(session: Session, contact: Contact, now: dt.datetime) -> Person | None:
    """The person living in the gemeente today who has this contact, or whose household has it.

    Several matches: one's own contact before the household's; then the applicant, the partner,
    anyone else; then the lowest id.
    """
    today = now.astimezone(clock.LOCAL).date()
    own = _people_with(session, contact)
    for group in (own, _household_adults(session, contact, today)):
        ranked = []
        for person in group:
            membership = membership_on(session, person.id, today)
            if membership is not None:
                rank = 0 if membership.role in HOUSEHOLD_ROLES else 1
                ranked.append((rank, membership.role.value, person.id, person))
        if ranked:
            return min(ranked, key=lambda r: r[:3])[3]
    return None


def _phone_ends_with(column: InstrumentedAttribute[str | None], number: str) -> ColumnElement[bool]:
    """The column, without spaces, dashes, dots and brackets, ends in the number's last 8
    digits; the caller compares the normal forms of what this finds."""
    stripped: ColumnElement[str | None] = column.expression
    for sign in (" ", "-", ".", "(", ")"):
        stripped = func.replace(stripped, sign, "")
    return stripped.like(f"%{number[-8:]}")


def _people_with(session: Session, contact: Contact) -> list[Person]:
    if contact.channel == Channel.email:
        return list(
            session.scalars(
                select(Person).where(func.lower(func.trim(Person.email)) == contact.value)
            )
        )
    candidates = session.scalars(
        select(Person).where(_phone_ends_with(Person.phone, contact.value))
    )
    return [p for p in candidates if p.phone and normal_mobile(p.phone) == contact.value]


def _household_adults(session: Session, contact: Contact, today: dt.date) -> list[Person]:
    if contact.channel == Channel.email:
        condition = func.lower(func.trim(Household.email)) == contact.value
    else:
        condition = _phone_ends_with(Household.phone, contact.value)
    households = [
        h
        for h in session.scalars(select(Household).where(condition))
        if contact.channel == Channel.email or (h.phone and normal_mobile(h.phone) == contact.value)
    ]
    return [
        m.person
        for h in households
        for m in h.memberships
        if m.active_on(today) and m.role in HOUSEHOLD_ROLES
    ]
