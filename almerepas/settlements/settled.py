"""What the partners were paid for each grant, for the reports: the sources of settled runs
priced again per redemption (a run's lines sum them per contract and location)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Select, Subquery, func, select, union_all
from sqlalchemy.orm import Session

from almerepas.contracts.models import Contract
from almerepas.redemptions.models import Redemption, Ride
from almerepas.settlements import pricing
from almerepas.settlements.models import RunStatus, SettlementLine, SettlementRun, SettlementWindow


def settled_by_grant(
    session: Session, grants: Select[tuple[int]], statuses: Collection[RunStatus]
) -> Subquery:
    """Cents settled with partners per grant of ``grants`` by runs in ``statuses``: its
    redemptions and reversals in those runs' windows, priced as the runs priced them (a
    contract's tariff never changes), and its rides' lines."""
    windowed = (
        select(
            SettlementWindow.partner_id,
            SettlementWindow.starts_at,
            SettlementWindow.ends_at,
        )
        .join(SettlementRun, SettlementRun.id == SettlementWindow.run_id)
        .where(SettlementRun.status.in_(statuses))
        .cte("spans")
    )
    ridden = (
        select(Ride.grant_id.label("grant_id"), SettlementLine.amount.label("amount"))
        .select_from(SettlementLine)
        .join(SettlementRun, SettlementRun.id == SettlementLine.run_id)
        .join(Ride, Ride.id == SettlementLine.ride_id)
        .where(SettlementRun.status.in_(statuses))
    )
    contracts = pricing.terms(session, set(session.scalars(select(Contract.partner_id).distinct())))
    if contracts is None:
        found = ridden.subquery("settled_sources")
    else:
        src = union_all(
            pricing.redemptions_in(windowed, contracts, grants),
            pricing.reversals_in(windowed, contracts, grants),
        ).subquery("src")
        redeemed = select(Redemption.grant_id, src.c.amount).join(
            src, src.c.redemption_id == Redemption.id
        )
        found = union_all(ridden, redeemed).subquery("settled_sources")
    return (
        select(found.c.grant_id, func.sum(found.c.amount).label("settled"))
        .where(found.c.grant_id.in_(grants))
        .group_by(found.c.grant_id)
        .subquery("settled")
    )
