"""Households and their members: addresses in the gemeente, districts, BSNs, moving in and out."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.core import clock, gemeente
from almerepas.core.crypto import Keyring
from almerepas.core.elfproef import passes_eleven_test
from almerepas.core.errors import DomainError, NotFound, ValidationFailed
from almerepas.core.i18n import N_
from almerepas.households.errors import (
    AlreadyMovedOut,
    BsnInUse,
    HouseholdMovedOut,
    InvalidBsn,
    MembershipConflict,
    MovedInBeforeBirth,
    MoveOutBeforeMoveIn,
    PostcodeOutsideGemeente,
    SecondApplicant,
    SecondPartner,
)
from almerepas.households.models import (
    UNKNOWN_DISTRICT,
    District,
    Household,
    MemberRole,
    Membership,
    Person,
    PostcodeDistrict,
)

POSTCODE = re.compile(r"^\s*([1-9][0-9]{3})\s*([A-Za-z]{2})\s*$")
BSN_PURPOSE = "bsn"


def normalise_postcode(raw: str) -> str:
    """``1315 ab`` -> ``1315AB``; raises ValidationFailed when it is not a Dutch postcode."""
    match = POSTCODE.match(raw or "")
    if not match:
        raise ValidationFailed(
            detail="Vul een postcode in zoals 1315 AB.",
            errors=[{"field": "postcode", "in": "json", "detail": "Geen geldige postcode."}],
        )
    return f"{match.group(1)}{match.group(2).upper()}"


def district_for(session: Session, postcode: str) -> District:
    """The district of a normalised postcode; unknown when the gemeente's table cannot place it.

    A PC4 that is not in the table at all is not in the gemeente, and is refused.
    """
    row = session.get(PostcodeDistrict, postcode[:4])
    if row is None:
        raise PostcodeOutsideGemeente(postcode=postcode)
    return row.district or UNKNOWN_DISTRICT


def is_valid_bsn(bsn: str) -> bool:
    """Nine digits that pass the eleven test; 000000000 passes it but is no one's BSN."""
    return passes_eleven_test(bsn) and bsn != "000000000"


def mask_bsn(bsn: str) -> str:
    """Show only the last three digits, as staff screens do."""
    return "******" + bsn[-3:]


def bsn_hash(bsn: str, *, keys: Keyring) -> str:
    return keys.keyed_hash(bsn, BSN_PURPOSE)


def set_bsn(session: Session, person: Person, bsn: str, *, keys: Keyring) -> None:
    bsn = bsn.strip()
    if not is_valid_bsn(bsn):
        raise InvalidBsn()
    digest = bsn_hash(bsn, keys=keys)
    other = session.scalar(select(Person.id).where(Person.bsn_hash == digest))
    if other is not None and other != person.id:
        raise BsnInUse()
    try:
        with session.begin_nested():  # someone else may be registering the same BSN right now
            person.bsn_encrypted = keys.encrypt(bsn)
            person.bsn_hash = digest
            session.flush()
    except IntegrityError as exc:
        raise BsnInUse() from exc


def reveal_bsn(person: Person, *, keys: Keyring) -> str | None:
    return keys.decrypt(person.bsn_encrypted) if person.bsn_encrypted else None


def find_person_by_bsn(session: Session, bsn: str, *, keys: Keyring) -> Person | None:
    if not is_valid_bsn(bsn.strip()):
        raise InvalidBsn()
    return session.scalar(select(Person).where(Person.bsn_hash == bsn_hash(bsn.strip(), keys=keys)))


@dataclass(frozen=True)
class Address:
    postcode: str
    house_number: int
    street: str
    house_number_suffix: str | None = None


def create_household(
    session: Session,
    *,
    address: Address,
    email: str | None = None,
    phone: str | None = None,
    language: str = "nl",
    letters_by_post: bool = False,
) -> Household:
    postcode = normalise_postcode(address.postcode)
    household = Household(
        postcode=postcode,
        house_number=address.house_number,
        house_number_suffix=address.house_number_suffix or None,
        street=address.street.strip(),
        district=district_for(session, postcode),
        email=email,
        phone=phone,
        language=language,
        letters_by_post=letters_by_post,
        created_at=clock.now(),
    )
    session.add(household)
    session.flush()
    return household


def change_address(session: Session, household: Household, address: Address) -> None:
    postcode = normalise_postcode(address.postcode)
    household.district = district_for(session, postcode)
    household.postcode = postcode
    household.house_number = address.house_number
    household.house_number_suffix = address.house_number_suffix or None
    household.street = address.street.strip()
    session.flush()


def create_person(
    session: Session,
    *,
    given_name: str,
    family_name: str,
    date_of_birth: dt.date,
    bsn: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    today: dt.date | None = None,
    keys: Keyring,
) -> Person:
    if date_of_birth > (today or clock.today()):
        raise ValidationFailed(
            detail="De geboortedatum ligt in de toekomst.",
            errors=[{"field": "date_of_birth", "in": "json", "detail": "Ligt in de toekomst."}],
        )
    person = Person(
        given_name=given_name.strip(),
        family_name=family_name.strip(),
        date_of_birth=date_of_birth,
        email=email,
        phone=phone,
        created_at=clock.now(),
    )
    session.add(person)
    session.flush()
    if bsn:
        set_bsn(session, person, bsn, keys=keys)
    return person


#: The roles the norm counts (income.assessments.composition): at most one of each on any day.
NORM_ROLES: dict[MemberRole, tuple[type[DomainError], str]] = {
    MemberRole.applicant: (
        SecondApplicant,
        N_(
            "Er is maar één aanvrager tegelijk. Vul eerst de laatste dag van de huidige "
            "aanvrager in, of kies een andere rol."
        ),
    ),
    MemberRole.partner: (
        SecondPartner,
        N_(
            "Een huishouden heeft hoogstens één aanvrager en één partner. Voeg andere "
            "volwassenen toe als ander lid van het huishouden."
        ),
    ),
}
#: What to do when a date lies after the household left the gemeente.
AFTER_MOVE_OUT = N_("Kies een datum op of voor de dag waarop het huishouden vertrok.")


def add_member(
    session: Session,
    household: Household,
    person: Person,
    *,
    role: MemberRole,
    valid_from: dt.date,
) -> Membership:
    """Move a person into a household from ``valid_from``.

    Refused: before the person's birth (they would count as a child), after the household left
    the gemeente, while the person lives elsewhere, and a second applicant or a second partner on
    any day (see ``NORM_ROLES``). Someone added to a household that has left the gemeente, from a
    day before that, leaves with it: their membership ends on the household's move-out day.
    """
    if valid_from < person.date_of_birth:
        raise MovedInBeforeBirth(
            errors=[{"field": "valid_from", "in": "json", "detail": "Ligt voor de geboortedatum."}]
        )
    left = household.moved_out_on
    if left is not None and valid_from > left:
        raise HouseholdMovedOut(detail=AFTER_MOVE_OUT)
    for membership in person.memberships:
        if membership.valid_to is None or membership.valid_to >= valid_from:
            raise MembershipConflict()  # no name: a refusal never carries personal data
    if role in NORM_ROLES:
        for other in household.memberships:
            if other.role == role and _overlaps(other, valid_from, left):
                refusal, detail = NORM_ROLES[role]
                raise refusal(detail=detail)
    membership = Membership(
        household=household, person=person, role=role, valid_from=valid_from, valid_to=left
    )
    session.add(membership)
    session.flush()
    return membership


def _overlaps(membership: Membership, start: dt.date, end: dt.date | None) -> bool:
    """Whether the membership shares a day with ``start`` up to ``end`` (None: open-ended)."""
    starts_in_time = end is None or membership.valid_from <= end
    return starts_in_time and (membership.valid_to is None or membership.valid_to >= start)


def end_membership(session: Session, membership: Membership, *, last_day: dt.date) -> None:
    """Move a person out: the membership ends on ``last_day``; history is kept."""
    if last_day < membership.valid_from:
        raise MoveOutBeforeMoveIn(
            detail=N_("Kies een laatste dag op of na de dag waarop deze persoon hier kwam wonen.")
        )
    membership.valid_to = last_day
    session.flush()


def move_out_of_almere(session: Session, household: Household, *, day: dt.date) -> None:
    """The household left the gemeente on ``day``: it keeps what it has and gets nothing new.

    Once: a second move-out is refused. Refused too when someone moved in after ``day``.
    """
    if household.moved_out_on is not None:
        raise AlreadyMovedOut()
    if any(m.valid_from > day for m in household.memberships):
        raise MoveOutBeforeMoveIn(
            detail=N_(
                "Kies een vertrekdatum op of na de dag waarop de laatste persoon hier kwam wonen."
            )
        )
    household.moved_out_on = day
    for membership in household.memberships:
        if membership.valid_to is None or membership.valid_to > day:
            membership.valid_to = day
    session.flush()


def members_on(household: Household, day: dt.date) -> list[Membership]:
    return [m for m in household.memberships if m.active_on(day)]


def get_household(session: Session, household_id: int) -> Household:
    household = session.get(Household, household_id)
    if household is None:
        raise NotFound()
    return household


def correct_district(
    session: Session, pc4: str, district: District, *, actor: Actor
) -> PostcodeDistrict:
    """Put a postcode in the right district (one of the gemeente's, checked by the caller);
    households registered before keep theirs."""
    row = session.get(PostcodeDistrict, pc4)
    if row is None:
        raise NotFound(detail=f"Postcode {pc4} ligt niet in {gemeente.current().name}.")
    before = row.district
    row.district = district
    row.confidence = "corrected"
    row.corrected_by = actor.name[:120]
    row.corrected_at = clock.now()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="postcode.correct",
        entity_type="postcode",
        entity_id=pc4,
        changes={"district": [before, district]},
    )
    return row


def rehash_bsns(session: Session, *, keys: Keyring, actor: Actor) -> int:
    """Every stored BSN again under ``keys``: its lookup hash, and encrypted with the newest key.

    For a planned change of ALMEREPAS_HASH_KEY or ALMEREPAS_ENCRYPTION_KEY (the old encryption
    key must still be in the list, after the new one). Returns how many persons changed.
    """
    changed = 0
    people = session.scalars(
        select(Person).where(Person.bsn_encrypted.is_not(None)).order_by(Person.id)
    )
    for person in people:
        assert person.bsn_encrypted is not None  # noqa: S101 - selected so
        bsn = keys.decrypt(person.bsn_encrypted)
        digest = bsn_hash(bsn, keys=keys)
        current = keys.is_current(person.bsn_encrypted)
        if digest != person.bsn_hash or not current:
            person.bsn_hash = digest
            if not current:
                person.bsn_encrypted = keys.encrypt(bsn)
            changed += 1
    session.flush()
    audit.record(session, actor=actor, action="keys.rehash", changes={"persons": changed})
    return changed
