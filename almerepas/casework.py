"""What a caseworker does to a household, with its audit row: one place for the API and pages.

Each function is a domain operation (flush, never commit) followed by the audit event that
records it, so a change made through a page and through the API leave the same trace.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from almerepas import assessments, audit, households
from almerepas.households import Address
from almerepas.models import Household, IncomeAssessment, MemberRole, Person


def viewed(session: Session, household: Household) -> None:
    """Showing a household's personal data is a read the audit log keeps (BIO)."""
    audit.record(session, action="household.view", entity_type="household", entity_id=household.id)


def register_household(
    session: Session,
    *,
    address: Address,
    email: str | None = None,
    phone: str | None = None,
    language: str = "nl",
    letters_by_post: bool = False,
) -> Household:
    household = households.create_household(
        session,
        address=address,
        email=email,
        phone=phone,
        language=language,
        letters_by_post=letters_by_post,
    )
    audit.record(
        session,
        action="household.create",
        entity_type="household",
        entity_id=household.id,
        changes={
            "postcode": [None, household.postcode],
            "district": [None, household.district.value],
        },
    )
    return household


def add_person(
    session: Session,
    household: Household,
    *,
    given_name: str,
    family_name: str,
    date_of_birth: dt.date,
    role: MemberRole,
    valid_from: dt.date,
    today: dt.date,
    bsn: str | None = None,
    email: str | None = None,
    phone: str | None = None,
) -> Person:
    """A new person moves into the household; the audit row shows the BSN only masked."""
    person = households.create_person(
        session,
        given_name=given_name,
        family_name=family_name,
        date_of_birth=date_of_birth,
        bsn=bsn,
        email=email,
        phone=phone,
        today=today,
    )
    households.add_member(session, household, person, role=role, valid_from=valid_from)
    audit.record(
        session,
        action="household.add_member",
        entity_type="household",
        entity_id=household.id,
        changes={
            "person": [None, person.id],
            "role": [None, role.value],
            "bsn": [None, households.mask_bsn(bsn)] if bsn else None,
        },
    )
    return person


def assess(
    session: Session,
    household: Household,
    *,
    net_income: int,
    assessed_on: dt.date,
    assessed_by: str,
    valid_from: dt.date | None = None,
    months: int = assessments.DEFAULT_MONTHS,
    evidence_ref: str | None = None,
) -> IncomeAssessment:
    assessment = assessments.record_assessment(
        session,
        household,
        net_income=net_income,
        assessed_on=assessed_on,
        assessed_by=assessed_by,
        valid_from=valid_from,
        months=months,
        evidence_ref=evidence_ref,
    )
    audit.record(
        session,
        action="assessment.create",
        entity_type="household",
        entity_id=household.id,
        changes={
            "net_income": [None, assessment.net_income],
            "percentage_bp": [None, assessment.percentage_bp],
            "valid_from": [None, assessment.valid_from.isoformat()],
        },
    )
    return assessment
