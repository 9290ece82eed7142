"""Renewal: before a household's assessment runs out it is invited to confirm or update its
income, and reminded once if it has not reacted. Nothing is taken away early: a household that
does not react keeps everything until the assessment's last day (docs/one-desk.md, "Verlengen").

Who is due is read from the data, not from a schedule: an assessment that runs out within
``INVITE_BEFORE``, is the household's newest and not superseded, of a household still in
the gemeente, without an invitation letter yet. A reminder goes ``REMIND_AFTER`` after the
invitation
while the assessment still runs and no newer one exists. Both are letters
(``almerepas.letters``) with a key per assessment, so a run repeated on the same day, or a day
missed, sends nothing twice and nothing is skipped.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased

from almerepas.applications import drafting
from almerepas.applications.models import Application
from almerepas.audit.log import Actor
from almerepas.core import clock
from almerepas.core.crypto import Keyring
from almerepas.core.money import format_cents, half_up
from almerepas.households.members import members_on
from almerepas.households.models import Household, MemberRole
from almerepas.income.assessments import assessment_on
from almerepas.income.models import IncomeAssessment, Per
from almerepas.letters import writing
from almerepas.letters.content import RENEWAL_INVITE, RENEWAL_REMINDER
from almerepas.letters.models import Letter

#: How long before the last day of an assessment the household is invited.
INVITE_BEFORE = dt.timedelta(weeks=8)
#: How long after the invitation a household that has not reacted is reminded.
REMIND_AFTER = dt.timedelta(weeks=3)


@dataclass(frozen=True)
class Due:
    assessment_id: int
    household_id: int
    kind: str


def invite_key(assessment_id: int) -> str:
    return f"renewal:{assessment_id}:invite"


def reminder_key(assessment_id: int) -> str:
    return f"renewal:{assessment_id}:reminder"


def _running_and_newest(today: dt.date) -> list[object]:
    newer = aliased(IncomeAssessment)
    return [
        IncomeAssessment.valid_from <= today,
        IncomeAssessment.valid_to >= today,
        IncomeAssessment.superseded_on.is_(None),
        ~exists().where(
            newer.household_id == IncomeAssessment.household_id,
            newer.valid_from > IncomeAssessment.valid_from,
        ),
        Household.moved_out_on.is_(None) | (Household.moved_out_on > today),
    ]


def ending(session: Session, today: dt.date) -> list[tuple[int, int, dt.date]]:
    """(assessment, household, last day) of the running, newest assessments that end within
    ``INVITE_BEFORE``: the households due for renewal (also outreach's list)."""
    rows = session.execute(
        select(IncomeAssessment.id, IncomeAssessment.household_id, IncomeAssessment.valid_to)
        .join(Household, Household.id == IncomeAssessment.household_id)
        .where(*_running_and_newest(today))  # type: ignore[arg-type]
        .where(IncomeAssessment.valid_to < today + INVITE_BEFORE)
        .order_by(IncomeAssessment.id)
    ).all()
    return [(a, h, last) for a, h, last in rows]


def due(session: Session, today: dt.date) -> list[Due]:
    """The invitations and reminders to send on ``today``, by assessment."""
    running_out = [(a, h) for a, h, _last in ending(session, today)]
    keys = [k for a, _h in running_out for k in (invite_key(a), reminder_key(a))]
    written = dict(
        session.execute(
            select(Letter.source_key, Letter.created_at).where(Letter.source_key.in_(keys))
        ).all()
    )
    result = []
    for assessment_id, household_id in running_out:
        invited = written.get(invite_key(assessment_id))
        if invited is None:
            result.append(Due(assessment_id, household_id, RENEWAL_INVITE))
        elif (
            reminder_key(assessment_id) not in written
            and invited.astimezone(clock.LOCAL).date() + REMIND_AFTER <= today
        ):
            result.append(Due(assessment_id, household_id, RENEWAL_REMINDER))
    return result


def send(
    session: Session, item: Due, *, keys: Keyring, now: dt.datetime, today: dt.date, actor: Actor
) -> Letter:
    """The invitation or reminder for one assessment, in the household's channel."""
    assessment = session.get_one(IncomeAssessment, item.assessment_id)
    household = session.get_one(Household, item.household_id)
    members = members_on(household, today)
    greeted = next((m.person for m in members if m.role == MemberRole.applicant), None)
    greeted = greeted or members[0].person
    key = (invite_key if item.kind == RENEWAL_INVITE else reminder_key)(assessment.id)
    return writing.write_letter(
        session,
        writing.Addressee.of(household, f"{greeted.given_name} {greeted.family_name}"),
        kind=item.kind,
        facts={"until": assessment.valid_to.isoformat()},
        source_key=key,
        keys=keys,
        now=now,
        actor=actor,
    )


# -- the form: an application prefilled with what is known ------------------------------------


def _money(cents: int) -> str:
    """As the form asks for it: 1.234,56."""
    return format_cents(cents).removeprefix("€ ")


def known_answers(session: Session, household: Household, today: dt.date) -> dict[str, Any]:
    """What the gemeente knows, in the application form's own fields, so the resident only
    changes what changed: the members living there, the address and contact, and the income of
    the running assessment per member (a yearly amount as a twelfth, rounded half up)."""
    members = members_on(household, today)[: drafting.MEMBER_ROWS]
    typed: dict[str, Any] = {step: {} for step in drafting.STEPS}
    row_of: dict[int, int] = {}
    for row, membership in enumerate(members):
        person = membership.person
        row_of[person.id] = row
        typed["members"] |= {
            f"member-{row}-given_name": person.given_name,
            f"member-{row}-family_name": person.family_name,
            f"member-{row}-born": f"{person.date_of_birth:%d-%m-%Y}",
            f"member-{row}-role": membership.role.value,
        }
    typed["address"] = drafting.as_typed("address", {
        "postcode": f"{household.postcode[:4]} {household.postcode[4:]}",
        "house_number": str(household.house_number),
        "suffix": household.house_number_suffix or "",
        "street": household.street,
        "email": household.email or "",
        "phone": household.phone or "",
        "letters": "ja" if household.letters_by_post else "",
    })  # fmt: skip
    assessment = assessment_on(session, household.id, today)
    lines = [line for line in (assessment.lines if assessment else []) if line.person_id in row_of]
    for row, line in enumerate(lines[: drafting.INCOME_ROWS]):
        monthly = line.amount if line.per == Per.month else half_up(Fraction(line.amount, 12))
        typed["income"] |= {
            f"income-{row}-member": str(row_of[line.person_id]),
            f"income-{row}-kind": line.kind,
            f"income-{row}-amount": _money(monthly),
        }
    return typed


def start_renewal(
    session: Session, household: Household, *, now: dt.datetime, today: dt.date, actor: Actor
) -> tuple[Application, str]:
    """A new application, prefilled with what is known, and its resume code: the resident
    checks it, changes what changed, adds a recent proof of income and sends it."""
    application, code = drafting.start(session, now=now, actor=actor)
    application.answers = known_answers(session, household, today)
    session.flush()
    return application, code
