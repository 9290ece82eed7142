"""Who a holder is in the register today, and whose passes and budgets they may see."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from almerepas.households.models import Household, MemberRole, Membership, Person

#: The adults of a household see the passes of everyone in it (a parent for the children).
HOUSEHOLD_ROLES = frozenset({MemberRole.applicant, MemberRole.partner})


def membership_on(session: Session, person_id: int, day: dt.date) -> Membership | None:
    """The person's membership of a household in the gemeente on ``day``, or None (moved away)."""
    return session.scalars(
        select(Membership)
        .join(Household, Household.id == Membership.household_id)
        .where(
            Membership.person_id == person_id,
            Membership.valid_from <= day,
            or_(Membership.valid_to.is_(None), Membership.valid_to >= day),
            or_(Household.moved_out_on.is_(None), Household.moved_out_on > day),
        )
        .order_by(Membership.valid_from.desc(), Membership.id.desc())
        .limit(1)
    ).first()


def visible_people(
    session: Session, person: Person, day: dt.date
) -> tuple[Household | None, list[Person]]:
    """The household whose shared budgets the holder sees (None: none of them) and the people
    whose passes and budgets the holder sees, on ``day``.

    An applicant or partner sees everyone who lives in the household that day, and the budgets
    of the household as a whole; a child or another member sees only their own. The holder
    comes first, the others by birth date.
    """
    membership = membership_on(session, person.id, day)
    if membership is None or membership.role not in HOUSEHOLD_ROLES:
        return None, [person]
    household = membership.household
    others = sorted(
        (m.person for m in household.memberships if m.active_on(day) and m.person_id != person.id),
        key=lambda p: (p.date_of_birth, p.id),
    )
    return household, [person, *others]
