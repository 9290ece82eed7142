"""`almerepas grants issue` killed with SIGKILL inside its transaction: nothing of the run is kept,
the ledger balances, and the next run grants each beneficiary exactly once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from almerepas.grants.models import Grant
from almerepas.ledger import posting as ledger
from tests.conftest import Backend
from tests.settlements.crash_support import World, audited, kill, make_world
from tests.settlements.stripe_fake import StripeFake

pytestmark = pytest.mark.postgres_only
PERIOD = "2026-07"


@pytest.fixture
def world(
    request: pytest.FixtureRequest, app: Flask, backend: Backend, tmp_path: Path
) -> Iterator[World]:
    """The crash tests' committed world: an assessed family with its budget, partners."""
    fresh_engine: Engine = request.getfixturevalue("fresh_engine")
    with StripeFake(balance=100_000).running() as fake:
        made = make_world(app, backend, fresh_engine, fake, tmp_path)
        try:
            yield made
        finally:
            made.stop_leftovers()


def grants_of(session: Session) -> list[tuple[int, str]]:
    """(scheme, beneficiary) of every grant of the period."""
    rows = session.execute(
        select(Grant.scheme_id, Grant.beneficiary_key).where(Grant.period == PERIOD)
    )
    return sorted((row.scheme_id, row.beneficiary_key) for row in rows)


def assert_ledger_holds(session: Session) -> None:
    assert ledger.find_drift(session) == []
    assert all(total == 0 for total in ledger.unit_totals(session).values())


def test_killed_while_granting_nothing_is_kept_and_the_next_run_grants_each_once(
    world: World,
) -> None:
    with world.session() as session:
        grants_before = session.scalar(select(func.count()).select_from(Grant))
        audited_before = audited(session, "grants.issue")
    with world.locked("entitlement_grant"):
        process = world.start_cli("grants", "issue", "--period", PERIOD)
        world.wait_until_blocked(process)
        kill(process)
    world.wait_until_gone()

    with world.session() as session:
        assert grants_of(session) == []
        assert session.scalar(select(func.count()).select_from(Grant)) == grants_before
        assert audited(session, "grants.issue") == audited_before
        assert_ledger_holds(session)

    world.cli("grants", "issue", "--period", PERIOD)
    with world.session() as session:
        granted = grants_of(session)
        assert granted, "the family's monthly schemes are granted for July"
        assert len(granted) == len(set(granted))
        assert_ledger_holds(session)

    world.cli("grants", "issue", "--period", PERIOD)  # a second run finds nothing to do
    with world.session() as session:
        assert grants_of(session) == granted
        assert_ledger_holds(session)
