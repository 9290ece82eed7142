"""Signal 4: one pass scanned at two places within minutes."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from almerepas.contracts.models import Location, Partner
from almerepas.passes.models import Pass
from almerepas.redemptions.models import Redemption, Scan
from almerepas.reports.days import seconds_from
from almerepas.reports.signals.evidence import (
    DEFAULTS,
    Thresholds,
    TwoPlaces,
    Use,
    mask_pass_number,
    moment_of,
)


def two_places(
    session: Session, first: dt.date, last: dt.date, t: Thresholds = DEFAULTS
) -> list[TwoPlaces]:
    """Scans of one pass at two different locations within ``two_places_minutes``.

    Each scan is compared with the pass's scan just before it (a window function): if any two
    scans of a pass at different places are that close, two consecutive ones are too.
    """
    limit = t.two_places_minutes * 60
    order = (Scan.scanned_at, Scan.id)

    def before(column: Any) -> Any:
        """The column's value in the pass's scan just before this one."""
        return func.lag(column).over(partition_by=Scan.pass_id, order_by=order)

    ordered = (
        select(
            Scan.id.label("scan_id"),
            Scan.pass_id,
            Scan.location_id,
            Scan.scanned_at,
            before(Scan.id).label("prev_id"),
            before(Scan.location_id).label("prev_location"),
            before(Scan.scanned_at).label("prev_at"),
        )
        .where(Scan.scanned_at >= moment_of(first) - dt.timedelta(seconds=limit))
        .where(Scan.scanned_at < moment_of(last + dt.timedelta(days=1)))
        .subquery("ordered")
    )
    gap = seconds_from(ordered.c.prev_at, ordered.c.scanned_at)
    pairs = session.execute(
        select(ordered.c.prev_id, ordered.c.scan_id, ordered.c.pass_id, gap.label("gap"))
        .where(ordered.c.prev_location != ordered.c.location_id)
        .where(ordered.c.scanned_at >= moment_of(first))
        .where(gap <= limit)
        .order_by(ordered.c.scanned_at, ordered.c.scan_id)
    ).all()
    uses = _uses(session, {i for row in pairs for i in (row.prev_id, row.scan_id)})
    numbers = dict(
        session.execute(
            select(Pass.id, Pass.number).where(Pass.id.in_({row.pass_id for row in pairs}))
        ).all()
    )
    return [
        TwoPlaces(
            pass_id=row.pass_id,
            pass_number=mask_pass_number(numbers[row.pass_id]),
            first=uses[row.prev_id],
            second=uses[row.scan_id],
            seconds=round(row.gap),
        )
        for row in pairs
    ]


def _uses(session: Session, scan_ids: set[int]) -> dict[int, Use]:
    """The scans named, with their partner, location and redemptions."""
    if not scan_ids:
        return {}
    redemptions: dict[int, list[int]] = defaultdict(list)
    for scan_id, redemption_id in session.execute(
        select(Redemption.scan_id, Redemption.id)
        .where(Redemption.scan_id.in_(scan_ids))
        .order_by(Redemption.id)
    ).all():
        if scan_id is not None:
            redemptions[scan_id].append(redemption_id)
    place = aliased(Location)
    rows = session.execute(
        select(Scan.id, Scan.scanned_at, Scan.partner_id, Partner.name, place.name)
        .join(Partner, Partner.id == Scan.partner_id)
        .join(place, place.id == Scan.location_id)
        .where(Scan.id.in_(scan_ids))
    ).all()
    return {
        scan_id: Use(scan_id, at, partner_id, partner, location, tuple(redemptions[scan_id]))
        for scan_id, at, partner_id, partner, location in rows
    }
