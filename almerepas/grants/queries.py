"""A household's file as a caseworker sees it: members over time, assessments and grants.

A read model beside the grant runs because it reads from every domain below them; the API and
the pages both serialise it, so they show the same file.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from almerepas.core import clock
from almerepas.core.crypto import Keyring
from almerepas.grants.models import Grant
from almerepas.households.members import mask_bsn, members_on, reveal_bsn
from almerepas.households.models import Household
from almerepas.income.models import IncomeAssessment


def household_summary(household: Household) -> dict[str, Any]:
    """A household in a list of search results: address, district, who lives there today."""
    today = clock.today()
    return {
        "id": household.id,
        "postcode": household.postcode,
        "house_number": household.house_number,
        "house_number_suffix": household.house_number_suffix,
        "street": household.street,
        "district": household.district,
        "members": [  # households.search.shown records these as the people a result shows
            f"{m.person.given_name} {m.person.family_name}" for m in members_on(household, today)
        ],
    }


def household_detail(session: Session, household: Household, *, keys: Keyring) -> dict[str, Any]:
    """Everything a caseworker sees of a household; the BSN only masked."""
    history = []
    for membership in household.memberships:
        bsn = reveal_bsn(membership.person, keys=keys)
        history.append(
            {
                "person_id": membership.person_id,
                "given_name": membership.person.given_name,
                "family_name": membership.person.family_name,
                "date_of_birth": membership.person.date_of_birth,
                "role": membership.role.value,
                "valid_from": membership.valid_from,
                "valid_to": membership.valid_to,
                "bsn_masked": mask_bsn(bsn) if bsn else None,
            }
        )
    person_ids = [m.person_id for m in household.memberships]
    grants = session.scalars(
        select(Grant)
        .options(joinedload(Grant.account))  # the balance, without one query per grant
        .where((Grant.household_id == household.id) | (Grant.person_id.in_(person_ids)))
        .order_by(Grant.period.desc(), Grant.id)
        .limit(200)
    )
    assessments = session.scalars(
        select(IncomeAssessment)
        .options(selectinload(IncomeAssessment.lines))  # one more SELECT for all their lines
        .where(IncomeAssessment.household_id == household.id)
        .order_by(IncomeAssessment.valid_from.desc())
    )
    return household_summary(household) | {
        "email": household.email,
        "phone": household.phone,
        "language": household.language,
        "letters_by_post": household.letters_by_post,
        "moved_out_on": household.moved_out_on,
        "member_history": history,
        "assessments": list(assessments),
        "grants": [
            {
                "scheme": g.scheme.code,
                "period": g.period,
                "beneficiary": g.beneficiary_key,
                "amount": g.amount,
                "unit": g.scheme.unit,
                "balance": g.account.balance if g.account else None,
                "expired": g.expired_at is not None,
            }
            for g in grants
        ],
    }
