"""Submitting an application, once, and the proposal the caseworker sees beside it.

A submission carries a token from the page that showed the button: the same token sent again
(a double click, a reload) gets the first submission's result, never a second submission.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from almerepas.applications import drafting
from almerepas.applications.check import Described, SchemeAnswer, check_household
from almerepas.applications.drafting import Read
from almerepas.applications.models import Application, ApplicationStatus
from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.core.i18n import N_
from almerepas.income import lines
from almerepas.income.errors import NoNorm


def new_token() -> str:
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class Submitted:
    """What a submission did: ``again`` when this token was already submitted."""

    application: Application
    again: bool
    errors: drafting.Errors


def submit(
    session: Session,
    application: Application,
    *,
    token: str,
    today: dt.date,
    now: dt.datetime,
    actor: Actor,
) -> Submitted:
    """Submit a draft (or a draft sent back for more information) when all of it is right."""
    if token and application.submission_token == token:
        return Submitted(application, True, [])
    if not drafting.editable(application):
        return Submitted(application, True, [])
    found = drafting.read(session, application.answers, today)
    if not any(e.deleted_at is None for e in application.evidence):
        found.error("evidence", N_("Voeg minstens één bewijs van inkomen toe."))
    if found.errors:
        return Submitted(application, False, found.errors)
    before = application.status.value
    application.status = ApplicationStatus.submitted
    application.submission_token = token[:64] or new_token()
    application.submitted_at = now
    application.updated_at = now
    if actor.name.startswith("staff:"):
        application.filled_by = actor.name
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="application.submit",
        entity_type="application",
        entity_id=application.id,
        changes={"status": [before, application.status.value]},
    )
    return Submitted(application, False, [])


def monthly_income(found: Read, day: dt.date) -> int:
    """The household's income per month as the assessment would count it (income_kinds.csv)."""
    members = [lines.Member(n + 1, m.role, m.born) for n, m in enumerate(found.members)]
    entered = [lines.IncomeLineInput(i.member + 1, i.kind, i.amount) for i in found.incomes]
    return lines.count(entered, members, day).total


def proposal(session: Session, found: Read, day: dt.date) -> list[SchemeAnswer] | None:
    """What the grant run would give this household on ``day``: the check's verdict, so the
    queue, the check and the run agree. None when there is no norm for the household."""
    described = [Described(m.role, m.born) for m in found.members]
    try:
        return check_household(session, described, monthly_income(found, day), day)
    except NoNorm:
        return None
