"""The caseworker's decision on a submitted application: approve, ask for more, or reject.

Approval does, in the caller's one transaction, what a caseworker would do by hand through the
existing operations (casework, passes, grant runs): register the household and its members,
record the income assessment, give everyone a pass and grant every running scheme for the
current period to this household only. Every step writes its own audit row; the decision
writes ``application.approve``. Nothing here commits.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almerepas.applications import drafting, letters
from almerepas.applications.models import Application, ApplicationStatus
from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.casework import operations as casework
from almerepas.core.crypto import Keyring
from almerepas.core.errors import DomainError
from almerepas.core.i18n import N_
from almerepas.grants import runs
from almerepas.grants.report import running_schemes
from almerepas.households import members as households
from almerepas.households.members import Address
from almerepas.households.models import Household, MemberRole, Person
from almerepas.income.lines import IncomeLineInput
from almerepas.letters.content import APPROVED, MORE_INFO, REASONS, REJECTED
from almerepas.passes import operations as passes
from almerepas.schemes import periods

#: why an application is rejected: code -> words (the caseworker adds free text); the letter
#: says the same words
REJECT_REASONS = REASONS
#: How long a resident has to send what a caseworker asked for (the letter names the day).
ANSWER_WITHIN = dt.timedelta(weeks=4)


class NotDecidable(DomainError):
    code = "application_not_submitted"
    status = 409
    title = N_("Over deze aanvraag is al beslist, of hij is nog niet verstuurd.")


def _require_submitted(application: Application) -> None:
    if application.status != ApplicationStatus.submitted:
        raise NotDecidable()


def _decided(
    session: Session,
    application: Application,
    status: ApplicationStatus,
    *,
    actor: Actor,
    now: dt.datetime,
    action: str,
    **changes: object,
) -> None:
    before = application.status.value
    application.status = status
    application.decided_by = actor.name
    application.decided_at = now
    application.updated_at = now
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=action,
        entity_type="application",
        entity_id=application.id,
        changes={"status": [before, status.value], **{k: [None, v] for k, v in changes.items()}},
    )


def approve(
    session: Session,
    application: Application,
    *,
    actor: Actor,
    keys: Keyring,
    today: dt.date,
    now: dt.datetime,
) -> Household:
    """Household, members, assessment, passes and this period's grants; refused unless
    submitted and right (``drafting.read`` without errors). When the applicant already lives in
    a household in the gemeente (``existing_household``), that one is updated: address and contact,
    new members added, a new assessment, a pass for whoever has none, the grants not yet made."""
    _require_submitted(application)
    found = drafting.read(session, application.answers, today)
    if found.errors or found.address is None:
        raise NotDecidable(
            detail=N_("De gegevens van de aanvraag kloppen nog niet. Verbeter ze eerst.")
        )
    household = existing_household(session, found, today)
    if household is None:
        household = casework.register_household(
            session,
            address=found.address,
            email=found.email,
            phone=found.phone,
            letters_by_post=found.letters_by_post,
            actor=actor,
        )
    else:
        _update(session, household, found, found.address, actor=actor)
    living = {_key(m.person.given_name, m.person.family_name, m.person.date_of_birth): m.person
              for m in households.members_on(household, today)}  # fmt: skip
    people = [
        living.get(_key(m.given_name, m.family_name, m.born))
        or casework.add_person(
            session,
            household,
            given_name=m.given_name,
            family_name=m.family_name,
            date_of_birth=m.born,
            role=m.role,
            valid_from=today,
            today=today,
            keys=keys,
            actor=actor,
        )
        for m in found.members
    ]
    session.refresh(household)
    lines = [IncomeLineInput(people[i.member].id, i.kind, i.amount) for i in found.incomes]
    casework.assess(
        session,
        household,
        net_income=0 if not lines else None,
        lines=lines or None,
        assessed_on=today,
        evidence_ref=f"aanvraag {application.id}",
        actor=actor,
    )
    for person in people:
        if passes.active_pass(session, person.id) is None:
            passes.issue_pass(session, person, actor=actor, now=now)
    granted = grant_current_period(session, household, actor=actor, today=today)
    application.household_id = household.id
    _decided(
        session,
        application,
        ApplicationStatus.approved,
        actor=actor,
        now=now,
        action="application.approve",
        household=household.id,
        granted=granted,
    )
    letters.write_grant_letter(
        session, household, kind=APPROVED, source_key=f"application:{application.id}:approved",
        keys=keys, now=now, today=today, actor=actor,
    )  # fmt: skip
    return household


def _key(given_name: str, family_name: str, born: dt.date) -> tuple[str, str, dt.date]:
    return (given_name.strip().casefold(), family_name.strip().casefold(), born)


def existing_household(session: Session, found: drafting.Read, today: dt.date) -> Household | None:
    """The household in the gemeente where the applicant lives today, known by name and birth date:
    approval then updates it instead of registering the resident a second time."""
    applicant = next((m for m in found.members if m.role == MemberRole.applicant), None)
    if applicant is None:
        return None
    wanted = _key(applicant.given_name, applicant.family_name, applicant.born)
    candidates = session.scalars(
        select(Person).where(
            Person.date_of_birth == applicant.born,
            func.lower(Person.family_name) == applicant.family_name.strip().lower(),
        )
    )
    for person in candidates:
        if _key(person.given_name, person.family_name, person.date_of_birth) != wanted:
            continue
        for membership in person.memberships:
            if membership.valid_from <= today and (
                membership.valid_to is None or membership.valid_to >= today
            ):
                return membership.household
    return None


def _update(
    session: Session, household: Household, found: drafting.Read, address: Address, *, actor: Actor
) -> None:
    """The address and contact as the application gives them; members who are not on the
    application stay (a departure is the caseworker's to record)."""
    if (household.postcode, household.house_number, household.house_number_suffix,
            household.street) != (address.postcode, address.house_number,
                                  address.house_number_suffix, address.street):  # fmt: skip
        casework.move_within_almere(session, household, address=address, actor=actor)
    contact = (found.email, found.phone, found.letters_by_post)
    if (household.email, household.phone, household.letters_by_post) != contact:
        casework.change_contact(
            session, household, email=found.email, phone=found.phone,
            language=household.language, letters_by_post=found.letters_by_post, actor=actor,
        )  # fmt: skip


def grant_current_period(
    session: Session, household: Household, *, actor: Actor, today: dt.date
) -> dict[str, int]:
    """Every running scheme for the period of today, for this household only; a later run of
    the whole city finds these grants and skips them."""
    granted: dict[str, int] = {}
    for scheme in running_schemes(session, today):
        span = periods.span_for(scheme.period, periods.PeriodSpan(today, today, scheme.period))
        with session.begin_nested():
            run = runs.issue_scheme(
                session, scheme, span, actor=actor.name, household_id=household.id
            )
        granted[scheme.code] = run.granted
    return granted


def ask_for_information(
    session: Session,
    application: Application,
    message: str,
    *,
    actor: Actor,
    keys: Keyring,
    now: dt.datetime,
    today: dt.date,
    link: str,
) -> None:
    """Back to the resident, who adds to it and submits again; the message, and the letter,
    say what is needed and by when, and ``link`` where to add it."""
    _require_submitted(application)
    application.info_request = message[:1000]
    application.submission_token = None
    _decided(
        session,
        application,
        ApplicationStatus.more_info,
        actor=actor,
        now=now,
        action="application.ask_information",
        info_request=application.info_request,
    )
    facts = {"note": application.info_request, "link": link,
             "deadline": (today + ANSWER_WITHIN).isoformat()}  # fmt: skip
    letters.write_application_letter(session, application, kind=MORE_INFO, facts=facts,
                                     keys=keys, now=now, today=today, actor=actor)  # fmt: skip


def reject(
    session: Session,
    application: Application,
    reason: str,
    note: str,
    *,
    actor: Actor,
    keys: Keyring,
    now: dt.datetime,
    today: dt.date,
) -> None:
    """Refused with a reason from the list and the caseworker's words; the letter says both."""
    _require_submitted(application)
    if reason not in REJECT_REASONS:
        raise ValueError(f"unknown reason {reason!r}")
    application.decision_reason = reason
    application.decision_note = note[:1000] or None
    _decided(
        session,
        application,
        ApplicationStatus.rejected,
        actor=actor,
        now=now,
        action="application.reject",
        reason=reason,
        note=application.decision_note,
    )
    facts = {"reason": reason, "note": application.decision_note}
    letters.write_application_letter(session, application, kind=REJECTED, facts=facts,
                                     keys=keys, now=now, today=today, actor=actor)  # fmt: skip


def correct(
    session: Session,
    application: Application,
    step: str,
    typed: dict[str, str],
    *,
    actor: Actor,
    today: dt.date,
    now: dt.datetime,
) -> drafting.Errors:
    """A caseworker corrects one step of what was typed, before deciding: checked as the
    resident's step is; nothing changes when it is wrong (the errors are returned)."""
    _require_submitted(application)
    before = dict(application.answers.get(step, {}))
    after = drafting.as_typed(step, typed)
    found = drafting.read(session, {**application.answers, step: after}, today, (step,))
    if found.errors:
        return found.errors
    application.answers = {**application.answers, step: after}
    application.updated_at = now
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="application.correct",
        entity_type="application",
        entity_id=application.id,
        changes=audit.changes_between(before, after),
    )
    return []
