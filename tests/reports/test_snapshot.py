"""A year's snapshot gives every figure the live count gives, until something happens after it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almerepas.models import Location, ReportGrantFact, ReportPartnerUse
from almerepas.reports import figures, snapshot
from almerepas.reports.scope import ReportFilter
from tests.fixtures import FrozenClock
from tests.reports.support import Year, child_grant, make_year
from tests.settlements.support import redeem_at

TAKEN = dt.datetime(2027, 1, 6, 2, 0, tzinfo=dt.UTC)
FILTERS = [
    ReportFilter(2026),
    ReportFilter(2026, 6),
    ReportFilter(2026, 3),
    ReportFilter(2026, None, "almere_haven"),
    ReportFilter(2026, 6, "almere_stad"),
    ReportFilter(2026, None, "almere_pampus"),
]


@pytest.fixture
def year(reference: Session) -> tuple[Session, Year]:
    return reference, make_year(reference)


def every_figure(session: Session, f: ReportFilter) -> dict[str, Any]:
    return {
        "schemes": figures.by_scheme(session, f),
        "districts": figures.by_scheme(session, f, per_district=True),
        "months": figures.take_up_by_month(session, f),
        "partners": figures.by_partner(session, f),
    }


def test_the_snapshot_gives_the_live_figures_for_every_filter(
    year: tuple[Session, Year],
) -> None:
    session, _ = year
    live = {f: every_figure(session, f) for f in FILTERS}
    assert snapshot.taken_at(session, 2026) is None
    made = snapshot.refresh(session, 2026, now=TAKEN)
    assert snapshot.taken_at(session, 2026) == TAKEN
    # Two schemes: five children's stadsfonds for the year, five households' June supermarkt.
    assert made.grants == 10
    for f in FILTERS:
        assert every_figure(session, f) == live[f], f
    # The counted figures are not empty: the comparison above would pass on nothing.
    fund = next(r for r in live[FILTERS[0]]["schemes"] if r.scheme == "stadsfonds")
    assert (fund.redeemed, fund.reversed, fund.settled) == (350_00, 20_00, 230_00)


def test_what_happens_after_the_snapshot_shows_at_the_next_refresh(
    year: tuple[Session, Year],
) -> None:
    session, made = year
    snapshot.refresh(session, 2026, now=TAKEN)
    before = every_figure(session, ReportFilter(2026))
    shop = session.scalars(
        select(Location).where(Location.partner_id == made.buurtsuper.id)
    ).first()
    assert shop is not None
    grant = child_grant(session, made.families["b1"], "supermarkt", "2026-06")
    redeem_at(session, grant, made.buurtsuper, shop, 5_00, dt.datetime(2026, 6, 20, tzinfo=dt.UTC))
    session.flush()
    assert every_figure(session, ReportFilter(2026)) == before

    later = TAKEN + dt.timedelta(days=1)
    snapshot.refresh(session, 2026, now=later)
    assert snapshot.taken_at(session, 2026) == later
    after = every_figure(session, ReportFilter(2026))
    shop_row = next(r for r in after["schemes"] if r.scheme == "supermarkt")
    assert shop_row.redeemed == 10_00 + 5_00
    assert shop_row.funnel.first_use == 2
    partner = next(r for r in after["partners"] if r.scheme == "supermarkt")
    assert (partner.redemptions, partner.redeemed) == (2, 15_00)
    # Replaced, not added to: one row per grant, as before.
    assert session.scalar(select(func.count()).select_from(ReportGrantFact)) == 10


def test_a_year_without_a_snapshot_is_counted_live(year: tuple[Session, Year]) -> None:
    session, _ = year
    snapshot.refresh(session, 2025, now=TAKEN)
    assert snapshot.taken_at(session, 2026) is None
    assert figures.by_scheme(session, ReportFilter(2025)) == []
    assert {r.scheme for r in figures.by_scheme(session, ReportFilter(2026))} == {
        "stadsfonds",
        "supermarkt",
    }
    assert session.scalar(select(func.count()).select_from(ReportPartnerUse)) == 0


def test_the_command_counts_last_year_and_this_year_and_a_dry_run_saves_nothing(
    app: Flask, year: tuple[Session, Year], runner: FlaskCliRunner, frozen_clock: FrozenClock
) -> None:
    session, _ = year
    session.commit()
    frozen_clock.set(TAKEN)

    tried = runner.invoke(args=["reports", "refresh", "--dry-run"])
    assert tried.exit_code == 0, tried.output
    assert "proefrun" in tried.output
    session.expire_all()
    assert snapshot.taken_at(session, 2026) is None

    done = runner.invoke(args=["reports", "refresh"])
    assert done.exit_code == 0, done.output
    assert "De cijfers van 2026, 2027 zijn bijgewerkt." in done.output
    session.expire_all()
    assert snapshot.taken_at(session, 2026) == TAKEN
    assert snapshot.taken_at(session, 2027) == TAKEN
    assert session.scalar(select(func.count()).select_from(ReportGrantFact)) == 10

    bad = runner.invoke(args=["reports", "refresh", "--year", "26"])
    assert bad.exit_code == 2
