"""Who could ride free where and when: the partner's contracts for a right, the holder's grants.

Both are loaded once per batch of rides and answered per ride from memory.

- ``Contracts``: the partner's contracts for schemes of kind ``right``. On the ride's day (in
  local time) a contract must run (``valid_from`` to ``valid_to``, inclusive) and name this
  location; none running at all is ``not_contracted``, none here ``location_not_allowed``.
- ``Grants``: a grant of one of those schemes for the period holding the ride's day, to the
  pass holder (a person grant) or to a household the holder lived in that day (a household
  grant), not expired at the ride. A person grant comes first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from almerepas.contracts.models import Contract, Location, Partner
from almerepas.core import clock
from almerepas.grants.models import Grant
from almerepas.households.models import Membership
from almerepas.redemptions.errors import LocationNotAllowed, NotContracted
from almerepas.redemptions.ride_checks import chunks
from almerepas.schemes.models import Period, Scheme, SchemeKind


def period_label(scheme: Scheme, day: dt.date) -> str:
    return f"{day:%Y-%m}" if scheme.period == Period.month else f"{day:%Y}"


class Contracts:
    def __init__(self, session: Session, partner: Partner, location: Location) -> None:
        self.location_id = location.id
        self._contracts = list(
            session.scalars(
                select(Contract)
                .join(Scheme, Scheme.id == Contract.scheme_id)
                .where(Contract.partner_id == partner.id, Scheme.kind == SchemeKind.right)
                .options(selectinload(Contract.locations))
                .order_by(Contract.id)
            )
        )
        self._days: dict[dt.date, list[Scheme] | str] = {}

    def all_schemes(self) -> list[Scheme]:
        return list({c.scheme_id: c.scheme for c in self._contracts}.values())

    def on(self, day: dt.date) -> list[Scheme] | str:
        """The right schemes contracted here on ``day``, or the refusal's code."""
        if day not in self._days:
            running = [
                c
                for c in self._contracts
                if c.valid_from <= day and (c.valid_to is None or day <= c.valid_to)
            ]
            here = [
                c.scheme for c in running if any(loc.id == self.location_id for loc in c.locations)
            ]
            if not running:
                self._days[day] = NotContracted.code
            elif not here:
                self._days[day] = LocationNotAllowed.code
            else:
                self._days[day] = here
        return self._days[day]


class Grants:
    def __init__(
        self,
        session: Session,
        schemes: Sequence[Scheme],
        person_ids: Iterable[int],
        days: Iterable[dt.date],
    ) -> None:
        people = sorted(set(person_ids))
        days = sorted(set(days))
        #: person -> (household, from, to) of every membership
        self._homes: dict[int, list[tuple[int, dt.date, dt.date | None]]] = {}
        #: (scheme, period, "person"|"household", id) -> (grant id, expired_at)
        self._grants: dict[tuple[int, str, str, int], tuple[int, dt.datetime | None]] = {}
        if not schemes or not people or not days:
            return
        for part in chunks(people):
            rows = session.execute(
                select(
                    Membership.person_id,
                    Membership.household_id,
                    Membership.valid_from,
                    Membership.valid_to,
                ).where(Membership.person_id.in_(part))
            )
            for person_id, household_id, valid_from, valid_to in rows:
                self._homes.setdefault(person_id, []).append((household_id, valid_from, valid_to))
        households = sorted({home[0] for homes in self._homes.values() for home in homes})
        labels = sorted({period_label(s, d) for s in schemes for d in days})
        scheme_ids = [s.id for s in schemes]
        for kind, column, ids in (
            ("person", Grant.person_id, people),
            ("household", Grant.household_id, households),
        ):
            for part in chunks(ids):
                found = session.execute(
                    select(Grant.id, Grant.scheme_id, Grant.period, Grant.expired_at, column).where(
                        Grant.scheme_id.in_(scheme_ids), Grant.period.in_(labels), column.in_(part)
                    )
                )
                for grant_id, scheme_id, period, expired_at, owner in found:
                    if owner is not None:
                        self._grants[(scheme_id, period, kind, owner)] = (grant_id, expired_at)

    def _valid(self, key: tuple[int, str, str, int], moment: dt.datetime) -> int | None:
        found = self._grants.get(key)
        if found is None:
            return None
        grant_id, expired_at = found
        return grant_id if expired_at is None or expired_at > moment else None

    def find(self, person_id: int, schemes: Sequence[Scheme], moment: dt.datetime) -> int | None:
        """The id of the grant that let ``person_id`` ride at ``moment``, or None."""
        day = moment.astimezone(clock.LOCAL).date()
        homes = [
            household
            for household, valid_from, valid_to in self._homes.get(person_id, [])
            if valid_from <= day and (valid_to is None or day <= valid_to)
        ]
        for scheme in schemes:
            label = period_label(scheme, day)
            if (grant := self._valid((scheme.id, label, "person", person_id), moment)) is not None:
                return grant
            for household in homes:
                key = (scheme.id, label, "household", household)
                if (grant := self._valid(key, moment)) is not None:
                    return grant
        return None
