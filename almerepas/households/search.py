"""The one household search, for the caseworker API and pages alike.

A household is found by part of a member's name (given name, family name, or both as written),
by its postcode, or by a member's date of birth; criteria narrow each other. What is typed is
matched as text: ``%`` and ``_`` are letters, not wildcards. Results come in address order, and
every search is in the audit log (which criteria were used; never the name typed).

A name with a BSN in it (nine digits, also as 123 456 782) is refused with BsnInNameSearch
before anything is read or written: the name travels in a URL (GET), a BSN never may. Whoever
has the number searches by it with the BSN search, which is a POST.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.core.elfproef import contains_bsn
from almerepas.core.paging import Page, paginate
from almerepas.households.errors import BsnInNameSearch
from almerepas.households.members import normalise_postcode
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
    session: Session, criteria: Criteria, *, page: int, page_size: int, actor: Actor
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
            }
        },
    )
    return result
