"""Passes as people see them: those of a household, for the holder who manages them (a parent
for the children) and for the caseworker's household page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.households.models import Membership
from almerepas.passes.models import Pass


def household_passes(session: Session, household_id: int, day: dt.date) -> list[Pass]:
    """Every pass of the people who live in the household on ``day``, old ones included.

    In the order of the members (who came first), and per member the newest pass first, so
    ``latest_per_person`` gives the one that counts. One query, whatever the number of members.
    """
    query = (
        select(Pass)
        .join(Membership, Membership.person_id == Pass.person_id)
        .where(
            Membership.household_id == household_id,
            Membership.valid_from <= day,
            Membership.valid_to.is_(None) | (Membership.valid_to >= day),
        )
        .order_by(Membership.id, Pass.id.desc())
    )
    return list(session.scalars(query).unique())


def latest_per_person(passes: Iterable[Pass]) -> dict[int, Pass]:
    """Person id -> that person's newest pass (the one that works, or the last one that did)."""
    latest: dict[int, Pass] = {}
    for pass_ in passes:
        if pass_.person_id not in latest or pass_.id > latest[pass_.person_id].id:
            latest[pass_.person_id] = pass_
    return latest
