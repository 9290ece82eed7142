"""What staff do to a pass, each with its audit row: issue, block, replace, reissue, expire.

Domain operations: they take the session, flush and never commit; the actor and the moment
(``now``, from which today's local date follows) are parameters. Block and replace stop the
old pass's credentials at once (``_stop_credentials``). docs/passes.md explains the statuses,
the generations and the validity schedule.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.core import clock
from almerepas.core.errors import NotFound, ValidationFailed
from almerepas.core.i18n import N_
from almerepas.households.models import Household, Membership, Person
from almerepas.passes import credentials, numbers
from almerepas.passes.errors import (
    InvalidPassNumber,
    NotLivingInGemeente,
    PassExists,
    PassNotActive,
    PassNotReissuable,
)
from almerepas.passes.models import BlockReason, Pass, PassStatus

#: A new number is drawn again when it exists already; twelve random digits make a second
#: collision in a row as good as impossible, so more than this means the random source broke.
NUMBER_ATTEMPTS = 8

EXPIRED_USE_REISSUE = N_(
    "Deze pas is verlopen. Maak een nieuwe pas: die is weer geldig tot het eind van volgend jaar."
)
STILL_WORKS = N_(
    "Deze pas werkt nog. Is de kaart kwijt, gestolen of kapot? Blokkeer of vervang de pas dan."
)
ALREADY_FOLLOWED = N_("Voor deze pas is al een nieuwe pas gemaakt.")


def valid_until_for(day: dt.date) -> dt.date:
    """The one validity schedule, the same for every holder: to the end of next calendar year.

    Whatever a holder's income or entitlements: even the length of a validity could reveal
    them (docs/passes.md). Every pass issued in a year ends on the same day.
    """
    return dt.date(day.year + 1, 12, 31)


def _today(now: dt.datetime) -> dt.date:
    return now.astimezone(clock.LOCAL).date()


def lives_in_almere(session: Session, person: Person, day: dt.date) -> bool:
    """Whether ``person`` lives in a household in the gemeente on ``day``.

    Not after the household's move-out day (the move-out is recorded once, possibly ahead).
    """
    household = session.scalar(
        select(Household)
        .join(Membership, Membership.household_id == Household.id)
        .where(
            Membership.person_id == person.id,
            Membership.valid_from <= day,
            (Membership.valid_to.is_(None)) | (Membership.valid_to >= day),
        )
    )
    return household is not None and (
        household.moved_out_on is None or day < household.moved_out_on
    )


def _require_resident(session: Session, person: Person, day: dt.date) -> None:
    if not lives_in_almere(session, person, day):
        raise NotLivingInGemeente()


def active_pass(session: Session, person_id: int) -> Pass | None:
    return session.scalar(
        select(Pass).where(Pass.person_id == person_id, Pass.status == PassStatus.active)
    )


def _new_number(session: Session) -> str:
    """A number no pass has had: the check digit catches typos, uniqueness catches the rest."""
    for _attempt in range(NUMBER_ATTEMPTS):
        number = numbers.random_number()
        if not session.scalar(select(exists().where(Pass.number == number))):
            return number
    raise RuntimeError("no unused pass number after several draws: is the random source broken?")


def _stop_credentials(session: Session, pass_: Pass, *, now: dt.datetime) -> None:
    """Make every credential of ``pass_`` stop working at once (blocked or replaced)."""
    credentials.revoke_pass_credentials(session, pass_, now=now)


def _facts(pass_: Pass) -> dict[str, Any]:
    """What a new pass is, for its audit row."""
    return {
        "person": pass_.person_id,
        "number": pass_.number,
        "status": pass_.status.value,
        "generation": pass_.generation,
        "valid_from": pass_.valid_from,
        "valid_until": pass_.valid_until,
        "replaces": pass_.replaces_id,
    }


def _add_pass(
    session: Session,
    person: Person,
    *,
    now: dt.datetime,
    valid_until: dt.date,
    generation: int = 1,
    replaces: Pass | None = None,
) -> Pass:
    today = _today(now)
    pass_ = Pass(
        number=_new_number(session),
        person=person,
        status=PassStatus.active,
        generation=generation,
        valid_from=today,
        valid_until=valid_until,
        issued_at=now,
        replaces_id=replaces.id if replaces else None,
    )
    session.add(pass_)
    session.flush()
    return pass_


def issue_pass(
    session: Session,
    person: Person,
    *,
    actor: Actor,
    now: dt.datetime,
    valid_until: dt.date | None = None,
) -> Pass:
    """A first pass for someone who lives in the gemeente: valid from today to the common end date.

    ``valid_until`` may shorten the validity (never lengthen it past the schedule, never before
    today); the faces do not offer it. Refused: someone who does not live in the gemeente today
    (``not_living_in_almere``), someone who has a pass that works (``pass_exists``).
    """
    today = _today(now)
    _require_resident(session, person, today)
    if active_pass(session, person.id) is not None:
        raise PassExists()
    longest = valid_until_for(today)
    if valid_until is not None and not today <= valid_until <= longest:
        raise ValidationFailed(
            detail=f"Kies een einddatum van {today:%d-%m-%Y} tot en met {longest:%d-%m-%Y}.",
            errors=[{"field": "valid_until", "in": "json", "detail": "Buiten het schema."}],
        )
    pass_ = _add_pass(session, person, now=now, valid_until=valid_until or longest)
    audit.record(
        session,
        actor=actor,
        action="pass.issue",
        entity_type="pass",
        entity_id=pass_.id,
        changes=audit.changes_between({}, _facts(pass_)),
    )
    return pass_


def block_pass(
    session: Session, pass_: Pass, *, reason: BlockReason, actor: Actor, now: dt.datetime
) -> Pass:
    """The card is lost or stolen (or must stop for another reason): it stops working at once.

    Only a pass that works can be blocked (``pass_not_active``). A blocked pass is never
    unblocked: the holder gets a new one (replace), so a found card stays useless.
    """
    if pass_.status != PassStatus.active:
        raise PassNotActive()
    pass_.status = PassStatus.blocked
    pass_.block_reason = reason.value
    pass_.status_changed_at = now
    session.flush()
    _stop_credentials(session, pass_, now=now)
    audit.record(
        session,
        actor=actor,
        action="pass.block",
        entity_type="pass",
        entity_id=pass_.id,
        changes={"status": ["active", "blocked"], "block_reason": [None, reason.value]},
    )
    return pass_


def replace_pass(session: Session, old: Pass, *, actor: Actor, now: dt.datetime) -> Pass:
    """A new card for a pass that is still valid (lost, stolen, broken): the next generation.

    The new pass has a new number and keeps the old one's end date; the old one is ``replaced``
    and its credentials stop at once. From a pass that works or a blocked one; an expired pass
    gets a new pass with ``reissue_pass`` instead (``pass_not_active``).
    """
    today = _today(now)
    if old.status not in (PassStatus.active, PassStatus.blocked):
        raise PassNotActive()
    if old.valid_until < today:
        raise PassNotActive(detail=EXPIRED_USE_REISSUE)
    if _followed(session, old):
        raise PassNotActive(detail=ALREADY_FOLLOWED)  # a blocked pass that was reissued
    _require_resident(session, old.person, today)
    current = active_pass(session, old.person_id)
    if current is not None and current.id != old.id:
        raise PassExists()  # a blocked pass whose holder got a new pass since
    before = old.status.value
    old.status = PassStatus.replaced
    old.status_changed_at = now
    session.flush()  # the old one stops being active before the new one is (one per person)
    if before == PassStatus.active.value:
        _stop_credentials(session, old, now=now)  # a blocked one's stopped when it was blocked
    new = _add_pass(
        session,
        old.person,
        now=now,
        valid_until=old.valid_until,
        generation=old.generation + 1,
        replaces=old,
    )
    audit.record(
        session,
        actor=actor,
        action="pass.replace",
        entity_type="pass",
        entity_id=new.id,
        changes={
            **audit.changes_between({}, _facts(new)),
            f"pass_{old.id}.status": [before, PassStatus.replaced.value],
        },
    )
    return new


def reissue_pass(session: Session, old: Pass, *, actor: Actor, now: dt.datetime) -> Pass:
    """A new pass after an expired or blocked one: the next generation, valid on the schedule.

    Refused for a pass that still works (replace or block it: ``pass_not_reissuable``), for one
    that was replaced or already has a newer pass, and for someone who does not live in the gemeente
    today. The old pass keeps its status: blocked stays blocked (the log says why), an active
    pass past its end date becomes expired.
    """
    today = _today(now)
    past_end = old.status == PassStatus.active and old.valid_until < today
    if old.status == PassStatus.active and not past_end:
        raise PassNotReissuable(detail=STILL_WORKS)
    if old.status == PassStatus.replaced or _followed(session, old):
        raise PassNotReissuable(detail=ALREADY_FOLLOWED)
    _require_resident(session, old.person, today)
    current = active_pass(session, old.person_id)
    if current is not None and current.id != old.id:
        raise PassExists()
    if past_end:
        _expire(old, now)
        session.flush()  # no longer active before the new one is (one per person)
    new = _add_pass(
        session,
        old.person,
        now=now,
        valid_until=valid_until_for(today),
        generation=old.generation + 1,
        replaces=old,
    )
    changes: dict[str, Any] = audit.changes_between({}, _facts(new))
    if past_end:
        changes[f"pass_{old.id}.status"] = ["active", "expired"]
    audit.record(
        session,
        actor=actor,
        action="pass.reissue",
        entity_type="pass",
        entity_id=new.id,
        changes=changes,
    )
    return new


def _followed(session: Session, pass_: Pass) -> bool:
    """Whether a newer pass was made from this one (replaced or reissued)."""
    return bool(session.scalar(select(exists().where(Pass.replaces_id == pass_.id))))


def _expire(pass_: Pass, now: dt.datetime) -> None:
    pass_.status = PassStatus.expired
    pass_.status_changed_at = now


def expire_passes(session: Session, *, actor: Actor, now: dt.datetime) -> int:
    """Every active pass whose end date has passed becomes expired; returns how many.

    A batch (``almerepas passes expire``); each pass gets its own ``pass.expire`` row.
    """
    today = _today(now)
    due = session.scalars(
        select(Pass)
        .where(Pass.status == PassStatus.active, Pass.valid_until < today)
        .order_by(Pass.id)
    ).all()
    for pass_ in due:
        _expire(pass_, now)
    session.flush()
    for pass_ in due:
        audit.record(
            session,
            actor=actor,
            action="pass.expire",
            entity_type="pass",
            entity_id=pass_.id,
            changes={"status": ["active", "expired"]},
        )
    return len(due)


def find_pass(session: Session, number: str) -> Pass:
    """The pass with this number, typed with or without spaces and dashes.

    ``invalid_pass_number`` when the check digit is wrong (a typing mistake), ``not_found``
    when no pass has the number.
    """
    digits = numbers.normalise_number(number)
    if digits is None:
        raise InvalidPassNumber()
    pass_ = session.scalar(select(Pass).where(Pass.number == digits))
    if pass_ is None:
        raise NotFound(detail=N_("Er is geen pas met dit nummer."))
    return pass_


def get_person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound()
    return person
