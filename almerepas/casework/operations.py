"""What a caseworker does to a household, with its audit row: one place for the API and pages.

Each function is a domain operation (flush, never commit) followed by the audit event that
records it, so a change made through a page and through the API leave the same trace.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.core.crypto import Keyring
from almerepas.households import members as households
from almerepas.households.members import Address
from almerepas.households.models import Household, MemberRole, Membership, Person
from almerepas.income import assessments
from almerepas.income.lines import IncomeLineInput
from almerepas.income.models import IncomeAssessment, IncomeLine
from almerepas.income.policy import Policy


def viewed(session: Session, household: Household, *, actor: Actor) -> None:
    """Showing a household's personal data is a read the audit log keeps (BIO)."""
    audit.record(
        session,
        actor=actor,
        action="household.view",
        entity_type="household",
        entity_id=household.id,
    )


def register_household(
    session: Session,
    *,
    address: Address,
    email: str | None = None,
    phone: str | None = None,
    language: str = "nl",
    letters_by_post: bool = False,
    actor: Actor,
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
        actor=actor,
        action="household.create",
        entity_type="household",
        entity_id=household.id,
        changes=audit.changes_between(
            {},
            {
                "street": household.street,
                "house_number": household.house_number,
                "house_number_suffix": household.house_number_suffix,
                "postcode": household.postcode,
                "district": household.district,
                "email": household.email,
                "phone": household.phone,
                "language": household.language,
                "letters_by_post": household.letters_by_post,
            },
        ),
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
    keys: Keyring,
    actor: Actor,
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
        keys=keys,
    )
    membership = households.add_member(session, household, person, role=role, valid_from=valid_from)
    # What was written, as household.create does: a change must be readable from the log even
    # after the person's row changes. Never the BSN: only that one was given ("***").
    audit.record(
        session,
        actor=actor,
        action="household.add_member",
        entity_type="household",
        entity_id=household.id,
        changes=audit.changes_between(
            {},
            {
                "person": person.id,
                "role": role.value,
                "given_name": person.given_name,
                "family_name": person.family_name,
                "date_of_birth": person.date_of_birth,
                "valid_from": membership.valid_from,
                "valid_to": membership.valid_to,
                "email": person.email,
                "phone": person.phone,
                "bsn": households.mask_bsn(bsn) if bsn else None,
            },
        ),
    )
    return person


def assess(
    session: Session,
    household: Household,
    *,
    net_income: int | None = None,
    lines: Sequence[IncomeLineInput] | None = None,
    assessed_on: dt.date,
    actor: Actor,
    valid_from: dt.date | None = None,
    months: int | None = None,
    evidence_ref: str | None = None,
    assets: int | None = None,
    youth_supplement: bool = False,
    policy: Policy | None = None,
) -> IncomeAssessment:
    start = valid_from or assessed_on
    # Loaded before, changed in place by record_assessment: the same objects, before and after.
    before = {
        a: (a.valid_to, a.superseded_on)
        for a in session.scalars(
            select(IncomeAssessment).where(
                IncomeAssessment.household_id == household.id, IncomeAssessment.valid_to >= start
            )
        )
    }
    assessment = assessments.record_assessment(
        session,
        household,
        net_income=net_income,
        lines=lines,
        assessed_on=assessed_on,
        assessed_by=actor.name,
        valid_from=valid_from,
        months=months,
        evidence_ref=evidence_ref,
        assets=assets,
        youth_supplement=youth_supplement,
        policy=policy,
    )
    # The assessments it supersedes end the day before it starts: before and after, as set.
    superseded: dict[str, list[Any]] = {}
    for old, (old_to, old_superseded_on) in before.items():
        superseded[f"assessment_{old.id}.valid_to"] = [_iso(old_to), _iso(old.valid_to)]
        superseded[f"assessment_{old.id}.superseded_on"] = [
            _iso(old_superseded_on),
            _iso(old.superseded_on),
        ]
    audit.record(
        session,
        actor=actor,
        action="assessment.create",
        entity_type="household",
        entity_id=household.id,
        changes={
            **audit.changes_between(
                {},
                {
                    "assessment": assessment.id,
                    "assessed_on": assessment.assessed_on,
                    "valid_from": assessment.valid_from,
                    "valid_to": assessment.valid_to,
                    "net_income": assessment.net_income,
                    "norm_amount": assessment.norm_amount,
                    "household_type": assessment.household_type,
                    "percentage_bp": assessment.percentage_bp,
                    "evidence_ref": assessment.evidence_ref,
                    "assets": assessment.assets,
                    "youth_supplement": assessment.youth_supplement,
                    "income_period": assessment.income_period,
                    # how net_income was made, when it was entered per member and kind
                    "lines": [_line(line) for line in assessment.lines] or None,
                },
            ),
            **superseded,
        },
    )
    return assessment


def _line(line: IncomeLine) -> dict[str, Any]:
    return {
        "person": line.person_id,
        "kind": line.kind,
        "amount": line.amount,
        "per": line.per,
        "counted": line.counted,
        "reason": line.reason,
    }


def record_departure(
    session: Session,
    household: Household,
    membership: Membership,
    *,
    last_day: dt.date,
    actor: Actor,
) -> None:
    """Someone leaves the household; the membership keeps its history with an end date."""
    before = membership.valid_to
    households.end_membership(session, membership, last_day=last_day)
    audit.record(
        session,
        actor=actor,
        action="household.departure",
        entity_type="household",
        entity_id=household.id,
        changes={f"person_{membership.person_id}.valid_to": [_iso(before), _iso(last_day)]},
    )


def move_out(session: Session, household: Household, *, day: dt.date, actor: Actor) -> None:
    """The household leaves the gemeente: it keeps what it has, its memberships end."""
    left_before = household.moved_out_on
    before = {m.id: m.valid_to for m in household.memberships}
    households.move_out_of_almere(session, household, day=day)
    ends = {
        f"person_{m.person_id}.valid_to": [_iso(before[m.id]), _iso(m.valid_to)]
        for m in household.memberships
        if before[m.id] != m.valid_to
    }
    audit.record(
        session,
        actor=actor,
        action="household.move_out",
        entity_type="household",
        entity_id=household.id,
        changes={"moved_out_on": [_iso(left_before), day.isoformat()], **ends},
    )


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def move_within_almere(
    session: Session, household: Household, *, address: Address, actor: Actor
) -> None:
    """The household moves to another address in the gemeente (or its address is corrected)."""
    before = _address_fields(household)
    households.change_address(session, household, address)
    audit.record(
        session,
        actor=actor,
        action="household.address_change",
        entity_type="household",
        entity_id=household.id,
        changes=audit.changes_between(before, _address_fields(household)),
    )


def change_contact(
    session: Session,
    household: Household,
    *,
    email: str | None,
    phone: str | None,
    language: str,
    letters_by_post: bool,
    actor: Actor,
) -> None:
    """How the gemeente reaches the household: e-mail, phone, language, letters by post."""
    before = _contact_fields(household)
    household.email, household.phone = email, phone
    household.language, household.letters_by_post = language, letters_by_post
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="household.contact_change",
        entity_type="household",
        entity_id=household.id,
        changes=audit.changes_between(before, _contact_fields(household)),
    )


def _address_fields(household: Household) -> dict[str, Any]:
    return {
        "street": household.street,
        "house_number": household.house_number,
        "house_number_suffix": household.house_number_suffix,
        "postcode": household.postcode,
        "district": household.district,
    }


def _contact_fields(household: Household) -> dict[str, Any]:
    return {
        "email": household.email,
        "phone": household.phone,
        "language": household.language,
        "letters_by_post": household.letters_by_post,
    }
