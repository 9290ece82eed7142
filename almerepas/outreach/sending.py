"""Sending reminders: in the household's channel and language, once per scheme per period (or
per ending assessment), never to a household that opted out, every one recorded.

The unique ``outreach_contact.key`` is what keeps it once: the row is written in a savepoint
before anything is sent, so a second run, or two runs at the same moment, finds the key taken
and sends nothing. Flushes, never commits.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.core.crypto import Keyring
from almerepas.core.i18n import N_, translator
from almerepas.holders.contacts import normal_mobile
from almerepas.households.members import members_on
from almerepas.households.models import Household, MemberRole, Person
from almerepas.letters import writing
from almerepas.letters.content import OUTREACH_EXPIRING, OUTREACH_UNUSED
from almerepas.outbox.models import Channel
from almerepas.outbox.queue import queue
from almerepas.outreach.listing import Candidate
from almerepas.outreach.models import Group, OptOut, OutreachContact, OutreachRun, Reason
from almerepas.schemes.models import Scheme

SMS_UNUSED = N_(
    "%(organisation)s: met uw %(pass_name)s heeft u %(scheme)s. U heeft het nog niet gebruikt. "
    "Het werkt tot en met %(until)s. Kijk op Mijn %(pass_name)s. Geen sms meer? Zet het uit op "
    "Mijn %(pass_name)s of bel %(phone)s."
)
SMS_EXPIRING = N_(
    "%(organisation)s: uw %(pass_name)s werkt tot en met %(until)s. Wilt u de pas houden? Kies "
    "'Pas verlengen' op Mijn %(pass_name)s. Geen sms meer? Zet het uit op "
    "Mijn %(pass_name)s of bel %(phone)s."
)


def channel_of(household: Household) -> str:
    """Paper when asked for; else e-mail; else a text message to a mobile number; else paper."""
    if household.letters_by_post:
        return "post"
    if household.email:
        return "email"
    return "sms" if household.phone and normal_mobile(household.phone) else "post"


def language_of(household: Household) -> str:
    return household.language if household.language in writing.LETTER_LANGUAGES else "nl"


def split(keys: Sequence[str], seed: int) -> set[str]:
    """The half of ``keys`` to remind: shuffled by ``seed`` from a sorted start, so the same
    list and seed always give the same half (the larger half when the count is odd)."""
    ordered = sorted(keys)
    random.Random(seed).shuffle(ordered)  # noqa: S311 (a reproducible split, not a secret)
    return set(ordered[: (len(ordered) + 1) // 2])


def plan(candidates: Sequence[Candidate], *, seed: int | None) -> list[tuple[Candidate, Group]]:
    """Who is reminded and who is the comparison group. Opted-out households are left out.
    With a seed (an experiment) the unused list is split at random; a pass that ends is always
    a reminder, as it is not what the experiment measures."""
    willing = [c for c in candidates if not c.opted_out]
    if seed is None:
        return [(c, Group.reminded) for c in willing]
    halves = split([c.key for c in willing if c.reason == Reason.unused], seed)
    return [
        (c, Group.reminded if c.reason == Reason.expiring or c.key in halves else Group.comparison)
        for c in willing
    ]


def start_run(
    session: Session,
    *,
    day: dt.date,
    weeks: int,
    seed: int | None,
    now: dt.datetime,
    actor: Actor,
) -> OutreachRun:
    run = OutreachRun(
        day=day, weeks=weeks, experiment=seed is not None, seed=seed, started_at=now,
        started_by=actor.name[:120],
    )  # fmt: skip
    session.add(run)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="outreach.run",
        entity_type="outreach_run",
        entity_id=run.id,
        changes={"weeks": weeks, "experiment": seed is not None, "seed": seed},
    )
    return run


def new_seed() -> int:
    """A seed for an experiment's split; kept on the run."""
    return random.SystemRandom().randrange(1, 2**31)


def remind(
    session: Session,
    run: OutreachRun,
    item: Candidate,
    group: Group,
    *,
    keys: Keyring,
    now: dt.datetime,
    actor: Actor,
) -> OutreachContact | None:
    """Record the household's reminder (or its place in the comparison group) and send it;
    None when the key was taken (already reminded, or by a run at the same moment)."""
    household = session.get_one(Household, item.household_id)
    contact = OutreachContact(
        run_id=run.id, key=item.key, reason=item.reason, household_id=household.id,
        scheme_id=item.scheme_id, period=item.period, assessment_id=item.assessment_id,
        grant_ids=list(item.grant_ids), group=group, language=language_of(household),
        created_at=now,
    )  # fmt: skip
    try:
        with session.begin_nested():
            session.add(contact)
            session.flush()
    except IntegrityError:
        return None
    if group == Group.reminded:
        contact.channel = channel_of(household)
        _send(session, contact, item, household, day=run.day, keys=keys, now=now, actor=actor)
    audit.record(
        session,
        actor=actor,
        action="outreach.reminded" if group == Group.reminded else "outreach.held_back",
        entity_type="household",
        entity_id=household.id,
        changes={"run": run.id, "key": item.key, "channel": contact.channel},
    )
    session.flush()
    return contact


def _send(
    session: Session,
    contact: OutreachContact,
    item: Candidate,
    household: Household,
    *,
    day: dt.date,
    keys: Keyring,
    now: dt.datetime,
    actor: Actor,
) -> None:
    facts: dict[str, object] = {"until": item.until.isoformat()}
    if item.scheme_id is not None:
        scheme = session.get_one(Scheme, item.scheme_id)
        people = session.scalars(select(Person).where(Person.id.in_(item.person_ids)))
        facts |= {
            "scheme_nl": scheme.name_nl,
            "scheme_en": scheme.name_en,
            "people": sorted(f"{p.given_name} {p.family_name}" for p in people),
        }
    if contact.channel == "sms":
        _ = translator(contact.language)
        text = _(SMS_UNUSED if item.reason == Reason.unused else SMS_EXPIRING)
        scheme_name = facts.get("scheme_en" if contact.language == "en" else "scheme_nl", "")
        until = f"{item.until:%d-%m-%Y}"
        contact.message_id = queue(
            session, channel=Channel.sms, recipient=normal_mobile(household.phone or "") or "",
            purpose="outreach.reminder", body=text % {"scheme": scheme_name, "until": until},
            keys=keys, now=now,
        ).id  # fmt: skip
        return
    letter = writing.write_letter(
        session,
        writing.Addressee.of(household, greeted_name(household, day)),
        kind=OUTREACH_UNUSED if item.reason == Reason.unused else OUTREACH_EXPIRING,
        facts=facts,
        source_key=f"outreach:{item.key}",
        keys=keys,
        now=now,
        actor=actor,
    )
    contact.letter_id, contact.message_id = letter.id, letter.message_id


def greeted_name(household: Household, day: dt.date) -> str:
    """The applicant's name, or the first member's."""
    members = members_on(household, day) or household.memberships
    person = next((m.person for m in members if m.role == MemberRole.applicant), members[0].person)
    return f"{person.given_name} {person.family_name}"


def wants_reminders(session: Session, household_id: int) -> bool:
    """False when the household opted out of reminders (on the holder's pages or by phone)."""
    return session.get(OptOut, household_id) is None


def set_opt_out(
    session: Session, household_id: int, wants_none: bool, *, now: dt.datetime, actor: Actor
) -> None:
    """Record that a household wants no reminders, or wants them again; audited."""
    session.get_one(Household, household_id)
    current = session.get(OptOut, household_id)
    if wants_none == (current is not None):
        return
    if wants_none:
        session.add(OptOut(household_id=household_id, created_at=now, created_by=actor.name[:120]))
    else:
        session.delete(current)
    audit.record(
        session,
        actor=actor,
        action="outreach.opt_out" if wants_none else "outreach.opt_in",
        entity_type="household",
        entity_id=household_id,
    )
    session.flush()


def send_all(
    session: Session,
    candidates: Sequence[Candidate],
    *,
    day: dt.date,
    weeks: int,
    seed: int | None,
    keys: Keyring,
    now: dt.datetime,
    actor: Actor,
) -> tuple[OutreachRun, list[OutreachContact]]:
    """One run over the list, as the caseworker's page sends it."""
    run = start_run(session, day=day, weeks=weeks, seed=seed, now=now, actor=actor)
    done = [
        remind(session, run, item, group, keys=keys, now=now, actor=actor)
        for item, group in plan(candidates, seed=seed)
    ]
    return run, [c for c in done if c is not None]
