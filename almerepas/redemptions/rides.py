"""Offline rides: a validator's batch of rides on a right, each judged as of its own time.

``record_rides`` stores every new ride with its result (``ok`` or a refusal's code) and answers
a result per ride, in the order sent. The rules (docs/redemption.md, Offline rides):

- a ride is judged as of ``ridden_at``: the keys, the credential's revocation, the pass, the
  partner's contract at this location and the holder's grant as they were then
  (``ride_checks``);
- a ``ride_ref`` the partner sent before (or earlier in the same batch) answers the first
  result with ``duplicate`` and writes nothing;
- a phone code (pseudonym and time step) is good for one ride: a second ride with it, in this
  batch or any earlier one, is ``credential_replayed`` (a copied screenshot). Within a batch
  the earliest ride keeps the code. The online scans' ``used_code`` is not consulted;
- a ride more than ``CLOCK_SKEW`` ahead of the service's clock is ``ride_in_future``, one older
  than ``MAX_AGE`` is ``ride_too_old``;
- one bad ride never fails the batch. A ride has no balance and books no ledger entry;
  settlement counts ``ok`` rides per contract.

Everything a batch needs is read in a few queries (existing refs, credentials by pseudonym,
earlier uses of the codes, contracts, memberships, grants), the rides are inserted in one
executemany, and the batch writes one audit row (``rides.upload``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.contracts.models import Device, Location, Partner
from almerepas.core import clock
from almerepas.redemptions.errors import NoEntitlement, RideInFuture, RideTooOld, TooManyRides
from almerepas.redemptions.models import Ride
from almerepas.redemptions.ride_checks import (
    CredentialFacts,
    KeysAsOf,
    Peeker,
    RevokedAt,
    chunks,
    load_credentials,
    pass_refusal_at,
    revoked_refusal_at,
)
from almerepas.redemptions.ride_rights import Contracts, Grants
from almerepas.validator import CheckedCredentials, Context, Refusal
from almerepas.validator import refusals as codes
from almerepas.validator import verify as kit

#: The most rides one call takes.
MAX_RIDES = 10_000
#: How far a ride may lie ahead of the service's clock (the validator's clock runs ahead).
CLOCK_SKEW = dt.timedelta(minutes=5)
#: Older rides are not taken any more: the settlement of their month may be done.
MAX_AGE = dt.timedelta(days=60)
OK = "ok"
#: Both kinds of code are taken on a bus: a phone, or a printed card.
ON_A_BUS = Context()


@dataclass(frozen=True)
class RideInput:
    #: the validator's own id of the ride (``ride_id`` in the API)
    ride_ref: str
    #: the code as scanned
    code: str
    #: when, by the validator's clock; an aware datetime
    ridden_at: dt.datetime
    line: str | None = None
    stop: str | None = None


@dataclass(frozen=True)
class RideResult:
    ride_ref: str
    #: ``ok`` or the refusal's code
    result: str
    #: this ride id was sent before; ``result`` is the first answer and nothing was written
    duplicate: bool = False


@dataclass
class _Judged:
    result: str
    pass_id: int | None = None
    grant_id: int | None = None
    pseudonym: str | None = None
    step: int | None = None


@dataclass
class _SeenCodes:
    """The replay guard of a batch: phone codes used by earlier rides and by this batch."""

    used: set[tuple[str, int]] = field(default_factory=set)

    def first_use(self, pseudonym: str, step: int) -> bool:
        if (pseudonym, step) in self.used:
            return False
        self.used.add((pseudonym, step))
        return True


def _insert(
    session: Session, partner: Partner, rows: Sequence[Mapping[str, Any]]
) -> dict[str, str]:
    """Insert the rides with Core's executemany on the session's connection (the ORM's bulk
    path, or RETURNING through psycopg, costs more than the insert itself for 10,000 rows).

    Another upload of the same rides at the same moment (a validator that timed out and sent
    again) makes the insert wait for it on PostgreSQL, then fail on the unique ride id: the
    savepoint is rolled back, the other upload's results are read, and the rest is inserted.
    Returns those results, by ride id (empty without a race)."""
    taken: dict[str, str] = {}
    for _attempt in range(3):
        remaining = [row for row in rows if row["ride_ref"] not in taken]
        try:
            with session.begin_nested():
                if remaining:
                    session.connection().execute(insert(Ride), remaining)
            return taken
        except IntegrityError:
            found = _stored_results(session, partner, [row["ride_ref"] for row in remaining])
            if not found:
                raise
            taken.update(found)
    raise AssertionError("three uploads of the same rides at once")  # pragma: no cover


def _stored_results(session: Session, partner: Partner, refs: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in chunks(refs):
        rows = session.execute(
            select(Ride.ride_ref, Ride.result).where(
                Ride.partner_id == partner.id, Ride.ride_ref.in_(part)
            )
        )
        found.update({ref: result for ref, result in rows})
    return found


def _used_codes(session: Session, pseudonyms: Sequence[str]) -> _SeenCodes:
    seen = _SeenCodes()
    for part in chunks(pseudonyms):
        rows = session.execute(
            select(Ride.pseudonym, Ride.step).where(
                Ride.pseudonym.in_(part), Ride.step.is_not(None)
            )
        )
        seen.used.update((p, s) for p, s in rows if p is not None and s is not None)
    return seen


@dataclass
class _Batch:
    """What judging the rides of one batch needs, loaded once."""

    now: dt.datetime
    contracts: Contracts
    keys: KeysAsOf
    credentials: dict[str, CredentialFacts]
    revoked: dict[str, dt.datetime]
    seen: _SeenCodes
    grants: Grants
    checked: CheckedCredentials

    def judge(self, ride: RideInput) -> _Judged:
        moment = ride.ridden_at
        if moment > self.now + CLOCK_SKEW:
            return _Judged(RideInFuture.code)
        if moment < self.now - MAX_AGE:
            return _Judged(RideTooOld.code)
        schemes = self.contracts.on(moment.astimezone(clock.LOCAL).date())
        if isinstance(schemes, str):
            return _Judged(schemes)
        try:
            verified = kit(
                ride.code,
                registry=self.keys.at(moment),
                now=moment,
                replay=self.seen,
                revocations=RevokedAt(self.revoked, moment),
                context=ON_A_BUS,
                cache=self.checked,
            )
        except Refusal as refusal:
            if refusal.code == codes.REVOKED and refusal.pseudonym is not None:
                revoked = self.credentials.get(refusal.pseudonym)
                return _Judged(
                    revoked_refusal_at(revoked, moment),
                    pass_id=None if revoked is None else revoked.pass_id,
                )
            return _Judged(refusal.code)
        credential = self.credentials.get(verified.pseudonym)
        if credential is None:  # signed by us but never recorded: withdrawn, as online
            return _Judged(codes.REVOKED, pseudonym=verified.pseudonym, step=verified.step)
        judged = _Judged(
            OK, pass_id=credential.pass_id, pseudonym=verified.pseudonym, step=verified.step
        )
        if (reason := pass_refusal_at(credential, moment)) is not None:
            judged.result = reason
            return judged
        grant_id = self.grants.find(credential.person_id, schemes, moment)
        if grant_id is None:
            judged.result = NoEntitlement.code
        judged.grant_id = grant_id
        return judged


def _load_batch(
    session: Session,
    partner: Partner,
    location: Location,
    rides: Sequence[RideInput],
    now: dt.datetime,
) -> _Batch:
    peek = Peeker()
    pseudonyms = sorted({p for ride in rides if (p := peek(ride.code)) is not None})
    credentials = load_credentials(session, pseudonyms)
    contracts = Contracts(session, partner, location)
    days = {ride.ridden_at.astimezone(clock.LOCAL).date() for ride in rides}
    return _Batch(
        now=now,
        contracts=contracts,
        keys=KeysAsOf(session),
        credentials=credentials,
        revoked={
            c.revocation_hash: c.revoked_at
            for c in credentials.values()
            if c.revoked_at is not None
        },
        seen=_used_codes(session, pseudonyms),
        grants=Grants(
            session,
            contracts.all_schemes(),
            {c.person_id for c in credentials.values()},
            days,
        ),
        checked=CheckedCredentials(size=len(rides) + 1),
    )


def record_rides(
    session: Session,
    *,
    partner: Partner,
    location: Location,
    device: Device | None,
    rides: Sequence[RideInput],
    now: dt.datetime,
    actor: Actor,
    invalid: int = 0,
) -> list[RideResult]:
    """Judge and store a batch of offline rides at ``location``; a result per ride, in order.

    ``invalid``: how many rides the caller could not read at all (they are not here, and not
    stored); counted in the audit row only.
    """
    if len(rides) > MAX_RIDES:
        raise TooManyRides()
    if any(ride.ridden_at.tzinfo is None for ride in rides):
        raise ValueError("ridden_at must be an aware datetime")
    stored = _stored_results(session, partner, sorted({ride.ride_ref for ride in rides}))
    first: dict[str, int] = {}
    for index, ride in enumerate(rides):
        if ride.ride_ref not in stored:
            first.setdefault(ride.ride_ref, index)
    new = sorted(first.values(), key=lambda i: (rides[i].ridden_at, i))
    judged: dict[str, _Judged] = {}
    if new:
        batch = _load_batch(session, partner, location, [rides[i] for i in new], now)
        for index in new:
            judged[rides[index].ride_ref] = batch.judge(rides[index])
        rows = [
            {
                "partner_id": partner.id,
                "ride_ref": rides[index].ride_ref,
                "location_id": location.id,
                "device_id": None if device is None else device.id,
                "pass_id": judged[rides[index].ride_ref].pass_id,
                "grant_id": judged[rides[index].ride_ref].grant_id,
                "line": rides[index].line,
                "stop": rides[index].stop,
                "ridden_at": rides[index].ridden_at,
                "received_at": now,
                "result": judged[rides[index].ride_ref].result,
                "online": False,
                "pseudonym": judged[rides[index].ride_ref].pseudonym,
                "step": judged[rides[index].ride_ref].step,
            }
            for index in sorted(new)
        ]
        raced = _insert(session, partner, rows)
        if raced:  # stored by another upload meanwhile: theirs is the first result
            stored.update(raced)
            first = {ref: index for ref, index in first.items() if ref not in stored}
    results = [
        RideResult(
            ride.ride_ref,
            stored[ride.ride_ref] if ride.ride_ref in stored else judged[ride.ride_ref].result,
            duplicate=first.get(ride.ride_ref) != index,
        )
        for index, ride in enumerate(rides)
    ]
    if rides or invalid:
        _audit(session, results, location=location, device=device, actor=actor, invalid=invalid)
    return results


def _audit(
    session: Session,
    results: Sequence[RideResult],
    *,
    location: Location,
    device: Device | None,
    actor: Actor,
    invalid: int,
) -> None:
    new = [r for r in results if not r.duplicate]
    audit.record(
        session,
        actor=actor,
        action="rides.upload",
        entity_type="partner_location",
        entity_id=location.id,
        changes={
            "device_id": None if device is None else device.id,
            "received": len(results) + invalid,
            "stored": len(new),
            "ok": sum(r.result == OK for r in new),
            "refused": sum(r.result != OK for r in new),
            "duplicates": len(results) - len(new),
            "invalid": invalid,
        },
    )
