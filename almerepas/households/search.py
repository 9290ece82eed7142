"""The one household search, for the caseworker API and pages alike.

A household is found by part of a member's name (given name, family name, or both as written),
by its postcode, or by a member's date of birth; criteria narrow each other. What is typed is
matched as text: ``%`` and ``_`` are letters, not wildcards. Results come in address order.

Every search is in the audit log with whose data it showed: the households on the page and the
people it names (the members living there today, as a result row lists them), by id. Not what
was typed: the criteria only as "a name was searched for", never the name or a BSN.

A name with a BSN in it (nine digits, also as 123 456 782) is refused with BsnInNameSearch
before anything is read or written: the name travels in a URL (GET), a BSN never may. Whoever
has the number searches by it with the BSN search, which is a POST.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.core.crypto import Keyring
from almerepas.core.elfproef import contains_bsn
from almerepas.core.paging import Page, paginate
from almerepas.households.errors import BsnInNameSearch
from almerepas.households.members import find_person_by_bsn, members_on, normalise_postcode
from almerepas.households.models import Household, Membership, Person


@dataclass(frozen=True)
class Criteria:
    #: part of a name, any case
    name: str | None = None
    #: as typed (1315ab, 1315 AB): normalised here, refused with ValidationFailed if not one
    postcode: str | None = None
    date_of_birth: dt.date | None = None

    def __bool__(self) -> bool:
        return bool(self.name or self.postcode or self.date_of_birth)


def households_query(criteria: Criteria) -> Select[Any]:
    """The households that meet every criterion, in address order."""
    query = select(Household).order_by(Household.street, Household.house_number, Household.id)
    if criteria.name or criteria.date_of_birth:
        people = select(Membership.household_id).join(Person, Person.id == Membership.person_id)
        if criteria.name:
            name = criteria.name.lower()
            people = people.where(
                or_(
                    func.lower(Person.family_name).contains(name, autoescape=True),
                    func.lower(Person.given_name).contains(name, autoescape=True),
                    func.lower(Person.given_name + " " + Person.family_name).contains(
                        name, autoescape=True
                    ),
                )
            )
        if criteria.date_of_birth:
            people = people.where(Person.date_of_birth == criteria.date_of_birth)
        query = query.where(Household.id.in_(people))
    if criteria.postcode:
        query = query.where(Household.postcode == normalise_postcode(criteria.postcode))
    return query


def search_households(
    session: Session,
    criteria: Criteria,
    *,
    page: int,
    page_size: int,
    today: dt.date,
    actor: Actor,
) -> Page[Household]:
    """One page of the households found, and the ``household.search`` audit row."""
    if criteria.name and contains_bsn(criteria.name):
        raise BsnInNameSearch()
    postcode = normalise_postcode(criteria.postcode) if criteria.postcode else None
    result = paginate(session, households_query(criteria), page=page, page_size=page_size)
    audit.record(
        session,
        actor=actor,
        action="household.search",
        changes={
            "criteria": {
                "name": bool(criteria.name),
                "postcode": postcode,
                "date_of_birth": bool(criteria.date_of_birth),
            },
            **shown(result.items, today),
        },
    )
    return result


def search_by_bsn(
    session: Session, bsn: str, *, keys: Keyring, today: dt.date, actor: Actor
) -> list[Household]:
    """Every household the person with this BSN lived in, and the ``household.search_bsn`` row.

    :raises InvalidBsn: ``bsn`` is not nine digits that pass the eleven test.
    """
    person = find_person_by_bsn(session, bsn, keys=keys)
    found = [m.household for m in person.memberships] if person else []
    audit.record(
        session,
        actor=actor,
        action="household.search_bsn",
        changes={
            "found": len(found),
            "person": person.id if person else None,
            **shown(found, today),
        },
    )
    return found


def shown(households: Sequence[Household], today: dt.date) -> dict[str, list[int]]:
    """Whose data a list of results shows, by id: the households and the members it names.

    A result row (``grants.queries.household_summary``) names the members living there today.
    """
    return {
        "households": [h.id for h in households],
        "persons": [m.person_id for h in households for m in members_on(h, today)],
    }
