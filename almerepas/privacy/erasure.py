"""Erasure after the retention period (docs/privacy.md): persons become pseudonyms.

Ids stay, so grants, redemptions, the ledger and settlements stay whole and balanced for the
accountants; what named or reached a person goes: names, BSN, birth day and month, contact
details, the address, the typed answers and uploaded files, letter facts and message bodies,
login codes and holder sessions, and the personal values the audit log's rows about them
refer to (the rows themselves stay: they are append-only). A person who also lives in a
household still within its retention period is left alone. Run it daily:
``almerepas privacy erase``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from almerepas.applications import evidence as evidence_files
from almerepas.applications.models import Application
from almerepas.audit import log as audit
from almerepas.audit import values as audit_values
from almerepas.audit.log import Actor
from almerepas.audit.models import AuditEvent
from almerepas.grants.models import Grant
from almerepas.holders.models import HolderSession, LoginCode
from almerepas.households.models import Household, Membership, Person
from almerepas.income.models import IncomeAssessment
from almerepas.letters.models import Letter
from almerepas.outbox.models import Message, MessageStatus
from almerepas.outreach.models import OutreachContact
from almerepas.passes.models import Pass
from almerepas.privacy.export import audit_events_about
from almerepas.redemptions.models import Redemption
from almerepas.reimbursements.models import Reimbursement
from almerepas.uploads import store as uploads

#: what a pseudonymised person and address are called instead
ERASED = "verwijderd"


@dataclass(frozen=True)
class Erased:
    households: list[int] = field(default_factory=list)
    persons: list[int] = field(default_factory=list)
    files: int = 0
    letters: int = 0
    messages: int = 0
    #: personal values deleted from the audit log (``audit_value`` rows)
    audit_values: int = 0


def _latest(*days: dt.date | None) -> dt.date:
    return max(d for d in days if d is not None)


def _day(moment: dt.datetime | dt.date | None) -> dt.date | None:
    return moment.date() if isinstance(moment, dt.datetime) else moment


def _activity_columns() -> list[Any]:
    """The last day anything ran for a household, as correlated subqueries: an assessment's
    end, a member leaving, a member's pass ending, a grant made or expired, a redemption of
    one, an application changed."""
    members = select(Membership.person_id).where(Membership.household_id == Household.id)
    grants = select(Grant.id).where(
        or_(Grant.household_id == Household.id, Grant.person_id.in_(members))
    )

    def latest(column: Any, *where: Any) -> Any:
        return select(func.max(column)).where(*where).scalar_subquery()

    return [
        latest(IncomeAssessment.valid_to, IncomeAssessment.household_id == Household.id),
        latest(Membership.valid_to, Membership.household_id == Household.id),
        latest(Pass.valid_until, Pass.person_id.in_(members)),
        latest(Grant.created_at, Grant.id.in_(grants)),
        latest(Grant.expired_at, Grant.id.in_(grants)),
        latest(Redemption.created_at, Redemption.grant_id.in_(grants)),
        latest(Application.updated_at, Application.household_id == Household.id),
    ]


def due(session: Session, *, today: dt.date, years: int) -> list[Household]:
    """Households not yet pseudonymised whose last activity is over ``years`` years ago: one
    query, and a household made since the cutoff is not even looked at."""
    day = today - dt.timedelta(days=1) if (today.month, today.day) == (2, 29) else today
    cutoff = day.replace(year=day.year - years)
    since = dt.datetime.combine(cutoff, dt.time(), tzinfo=dt.UTC)
    rows = session.execute(
        select(Household, *_activity_columns())
        .where(Household.pseudonymised_at.is_(None), Household.created_at < since)
        .order_by(Household.id)
    )
    return [
        household
        for household, *days in rows
        if _latest(household.created_at.date(), household.moved_out_on, *map(_day, days)) < cutoff
    ]


def erase(
    session: Session,
    *,
    today: dt.date,
    years: int,
    now: dt.datetime,
    actor: Actor,
) -> Erased:
    """Pseudonymise every household past retention; one audit row each, without personal
    data. Flushes, never commits."""
    households = due(session, today=today, years=years)
    ids = {h.id for h in households}
    result = Erased()
    for household in households:
        done = _erase_household(session, household, ids, now=now)
        audit.record(
            session,
            actor=actor,
            action="privacy.erase",
            entity_type="household",
            entity_id=household.id,
            changes={
                "persons": done.persons,
                "files": done.files,
                "letters": done.letters,
                "messages": done.messages,
                "audit_values": done.audit_values,
            },
        )
        result.households.append(household.id)
        result.persons.extend(done.persons)
        result = Erased(
            result.households,
            result.persons,
            result.files + done.files,
            result.letters + done.letters,
            result.messages + done.messages,
            result.audit_values + done.audit_values,
        )
    session.flush()
    return result


def _erase_household(
    session: Session,
    household: Household,
    erasing: set[int],
    *,
    now: dt.datetime,
) -> Erased:
    household.street = ERASED
    household.house_number = 1
    household.house_number_suffix = None
    household.postcode = household.postcode[:4] + "XX"  # the PC4 keeps the district's figures
    household.email = None
    household.phone = None
    household.pseudonymised_at = now
    persons = [p for p in {m.person for m in household.memberships} if _only_in(p, erasing)]
    for person in persons:
        pseudonymise(person)
    person_ids = [p.id for p in persons]
    if person_ids:
        session.execute(delete(LoginCode).where(LoginCode.person_id.in_(person_ids)))
        session.execute(delete(HolderSession).where(HolderSession.person_id.in_(person_ids)))
    files = 0
    applications = list(
        session.scalars(select(Application).where(Application.household_id == household.id))
    )
    for application in applications:
        application.answers = {}
        application.info_request = None
        application.decision_note = None
        for item in application.evidence:
            if item.deleted_at is None:
                evidence_files.remove(session, item, now=now)
                files += 1
    declarations = list(
        session.scalars(select(Reimbursement).where(Reimbursement.holder_id.in_(person_ids)))
    )
    for declaration in declarations:
        uploads.delete(session, [declaration.file_id])
        declaration.paid_to = ERASED
        declaration.iban = ERASED
        declaration.account_name = ERASED
        declaration.note = None
        files += 1
    letters = list(session.scalars(select(Letter).where(Letter.household_id == household.id)))
    for letter in letters:
        letter.facts = {}
    message_ids = {x.message_id for x in letters} | set(
        session.scalars(
            select(OutreachContact.message_id).where(OutreachContact.household_id == household.id)
        )
    )
    messages = _messages(session, [m for m in message_ids if m is not None])
    for message in messages:
        message.recipient = ERASED
        message.subject = None
        message.body_encrypted = b""
        if message.status == MessageStatus.pending:  # never send an emptied message
            message.status = MessageStatus.failed
            message.last_error = "erased after the retention period"
    about: dict[str, Sequence[int]] = {
        "household": [household.id],
        "person": person_ids,
        "pass": list(session.scalars(select(Pass.id).where(Pass.person_id.in_(person_ids)))),
        "application": [a.id for a in applications],
        "reimbursement": [d.id for d in declarations],
    }
    refs = session.scalars(select(AuditEvent.changes).where(audit_events_about(about)))
    removed = audit_values.remove(session, set().union(*map(audit_values.refs, refs)))
    return Erased([], person_ids, files, len(letters), len(messages), removed)


def _only_in(person: Person, erasing: set[int]) -> bool:
    """Erased only when every household the person was ever in is past retention too."""
    return all(
        m.household_id in erasing or m.household.pseudonymised_at is not None
        for m in person.memberships
    )


def pseudonymise(person: Person) -> None:
    """The person keeps an id and a year of birth (for the age figures), nothing else."""
    person.given_name = ERASED
    person.family_name = f"{ERASED} {person.id}"
    person.date_of_birth = dt.date(person.date_of_birth.year, 1, 1)
    person.bsn_encrypted = None
    person.bsn_hash = None
    person.email = None
    person.phone = None


def _messages(session: Session, ids: Sequence[int]) -> list[Message]:
    if not ids:
        return []
    return list(session.scalars(select(Message).where(Message.id.in_(ids))))
