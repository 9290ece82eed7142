"""The letter that tells a household what it now has: after a caseworker's approval, or after
the import granted it without an application. Written through ``almerepas.letters``."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy.orm import Session

from almerepas.applications import drafting
from almerepas.applications.models import Application
from almerepas.audit.log import Actor
from almerepas.core.crypto import Keyring
from almerepas.holders.overview import Entitlement, entitlements
from almerepas.households.members import members_on
from almerepas.households.models import Household, MemberRole, Person
from almerepas.income.assessments import assessment_on
from almerepas.letters import writing
from almerepas.letters.content import Benefit
from almerepas.letters.models import Letter
from almerepas.schemes.models import Period, SchemeKind


def _benefit(scheme_grants: list[Entitlement]) -> Benefit:
    scheme = scheme_grants[0].scheme
    people = [e.person.given_name for e in scheme_grants if e.person is not None]
    per_year = sum(e.amount for e in scheme_grants) * (12 if scheme.period == Period.month else 1)
    return Benefit(
        scheme_nl=scheme.name_nl,
        scheme_en=scheme.name_en,
        people=people,
        cents_per_year=per_year
        if scheme.kind in (SchemeKind.budget, SchemeKind.discount)
        else None,
        units_per_year=per_year if scheme.kind == SchemeKind.quota else None,
    )


def write_grant_letter(
    session: Session,
    household: Household,
    *,
    kind: str,
    source_key: str,
    keys: Keyring,
    now: dt.datetime,
    today: dt.date,
    actor: Actor,
    source: str | None = None,
) -> Letter:
    """What the household's members were granted for the running periods, and until when the
    pass works: the letter of an approval (``approved``) or of the import (``granted``)."""
    session.flush()
    session.refresh(household)  # the memberships the decision just wrote
    members = members_on(household, today)
    people: list[Person] = [m.person for m in members]
    by_scheme: dict[int, list[Entitlement]] = defaultdict(list)
    for entitlement in entitlements(session, people, household, today=today):
        by_scheme[entitlement.scheme.id].append(entitlement)
    greeted = next((m.person for m in members if m.role == MemberRole.applicant), people[0])
    assessment = assessment_on(session, household.id, today)
    facts = {
        "until": assessment.valid_to.isoformat() if assessment else None,
        "benefits": [_benefit(grants).as_fact() for grants in by_scheme.values()],
    }
    if source is not None:
        facts["source"] = source
    to = writing.Addressee.of(household, f"{greeted.given_name} {greeted.family_name}")
    return writing.write_letter(
        session, to, kind=kind, facts=facts, source_key=source_key, keys=keys, now=now,
        actor=actor,
    )  # fmt: skip


def applicant_addressee(
    session: Session, application: Application, today: dt.date
) -> writing.Addressee | None:
    """Where a letter about an application goes: its household once approved, else the name,
    address and contact it gives; None when it gives no address yet."""
    if application.household_id is not None:
        household = session.get_one(Household, application.household_id)
        found = drafting.read(session, application.answers, today)
        applicant = next((m for m in found.members if m.role == MemberRole.applicant), None)
        name = f"{applicant.given_name} {applicant.family_name}" if applicant else ""
        return writing.Addressee.of(household, name)
    found = drafting.read(session, application.answers, today)
    applicant = next((m for m in found.members if m.role == MemberRole.applicant), None)
    if applicant is None or found.address is None:
        return None
    return writing.Addressee(
        f"{applicant.given_name} {applicant.family_name}",
        found.address,
        found.email,
        found.letters_by_post,
    )


def write_application_letter(
    session: Session,
    application: Application,
    *,
    kind: str,
    facts: dict[str, Any],
    keys: Keyring,
    now: dt.datetime,
    today: dt.date,
    actor: Actor,
) -> Letter | None:
    """A refusal or a question about an application, in the applicant's channel; none when
    the application gives no address (the status page still says it)."""
    to = applicant_addressee(session, application, today)
    if to is None:
        return None
    return writing.write_letter(
        session, to, kind=kind, facts=facts, keys=keys, now=now, actor=actor,
        source_key=f"application:{application.id}:{kind}:{application.decided_at:%Y%m%d%H%M%S}",
    )  # fmt: skip
