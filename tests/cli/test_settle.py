"""`almerepas settle`: a month from prepare to confirm on the command line, with four eyes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sepaxml
import xmlschema
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy.orm import Session

from almerepas.settlements.models import RunStatus, SettlementRun
from almerepas.staff.models import Role
from tests.factories import make_staff
from tests.fixtures import FrozenClock
from tests.redemptions.support import child_budget
from tests.settlements.support import JULY, contracted, redeem_at

PAIN_03 = Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.03.xsd"


@pytest.fixture
def finance(app: Flask, reference: Session, frozen_clock: FrozenClock) -> tuple[str, str]:
    """Two finance users, and a sport club with € 33,10 redeemed in June; the clock in July."""
    partner, place = contracted(reference, "stadsfonds")
    redeem_at(reference, child_budget(reference), partner, place, 33_10)
    frozen_clock.set(JULY)
    fien, _, _ = make_staff(reference, Role.finance, app=app, username="fien")
    ahmed, _, _ = make_staff(reference, Role.finance, app=app, username="ahmed")
    return fien.username, ahmed.username


def run_of(session: Session) -> SettlementRun:
    run = session.query(SettlementRun).one()
    session.refresh(run)
    return run


def test_a_month_from_prepare_to_confirm(
    runner: FlaskCliRunner, reference: Session, finance: tuple[str, str], tmp_path: Path,
    app: Flask,
) -> None:  # fmt: skip
    fien, ahmed = finance
    dry = runner.invoke(
        args=["settle", "prepare", "--period", "2026-06", "--as", fien, "--dry-run"]
    )
    assert dry.exit_code == 0, dry.output
    assert "€ 33,10" in dry.output and "proefrun" in dry.output
    assert reference.query(SettlementRun).count() == 0

    prepared = runner.invoke(args=["settle", "prepare", "--period", "2026-06", "--as", fien])
    assert prepared.exit_code == 0, prepared.output
    run = run_of(reference)
    assert run.lines_hash in prepared.output  # what the approver copies
    own = runner.invoke(args=["settle", "approve", str(run.id), "--as", fien])
    assert own.exit_code == 1
    assert "settlement_own_approval" in own.output and "zelf" in own.output
    approved = runner.invoke(
        args=["settle", "approve", str(run.id), "--as", ahmed, "--hash", run.lines_hash]
    )
    assert approved.exit_code == 0, approved.output

    app.config["SEPA_SCHEMA"] = "pain.001.001.03"  # the fallback for a bank that wants it
    target = tmp_path / "juni.xml"
    tried = runner.invoke(
        args=["settle", "export", str(run.id), "--out", str(target), "--as", ahmed, "--dry-run"]
    )
    assert tried.exit_code == 0, tried.output
    assert not target.exists()
    exported = runner.invoke(
        args=["settle", "export", str(run.id), "--out", str(target), "--as", ahmed]
    )
    assert exported.exit_code == 0, exported.output
    xmlschema.XMLSchema(str(PAIN_03)).validate(target.read_bytes())
    again = tmp_path / "nogmaals.xml"
    runner.invoke(args=["settle", "export", str(run.id), "--out", str(again), "--as", fien])
    assert again.read_bytes() == target.read_bytes()

    confirmed = runner.invoke(args=["settle", "confirm", str(run.id), "--as", fien])
    assert confirmed.exit_code == 0, confirmed.output
    assert run_of(reference).status == RunStatus.confirmed
    listed = runner.invoke(args=["settle", "list"])
    assert run.lines_hash[:8] in listed.output and "confirmed" in listed.output


def test_only_a_finance_user_may_act(
    runner: FlaskCliRunner, reference: Session, finance: tuple[str, str], app: Flask
) -> None:
    caseworker, _, _ = make_staff(reference, Role.caseworker, app=app, username="kees")
    refused = runner.invoke(args=["settle", "prepare", "--period", "2026-06", "--as", "kees"])
    assert refused.exit_code == 2
    assert "geen actieve financieel medewerker" in refused.output
    nobody = runner.invoke(args=["settle", "prepare", "--period", "2026-06", "--as", "niemand"])
    assert nobody.exit_code == 2
    assert reference.query(SettlementRun).count() == 0
    assert caseworker.role == Role.caseworker


def test_an_unfinished_month_is_a_clear_error(
    runner: FlaskCliRunner, reference: Session, finance: tuple[str, str]
) -> None:
    fien, _ = finance
    early = runner.invoke(args=["settle", "prepare", "--period", "2026-07", "--as", fien])
    assert early.exit_code == 1
    assert "settlement_period_open" in early.output and "niets opgeslagen" in early.output


def test_a_daily_timer_prepares_last_month_from_its_first_working_day(
    runner: FlaskCliRunner, reference: Session, finance: tuple[str, str],
    frozen_clock: FrozenClock,
) -> None:  # fmt: skip
    fien, _ = finance
    args = ["settle", "prepare", "--period", "previous", "--as", fien, "--if-due"]
    frozen_clock.set(dt.datetime(2026, 7, 1, 9, 0, tzinfo=dt.UTC))  # a Wednesday, 1 July
    assert runner.invoke(args=args).exit_code == 0
    assert reference.query(SettlementRun).count() == 1  # 1 July is June's first working day
    frozen_clock.set(dt.datetime(2026, 8, 1, 9, 0, tzinfo=dt.UTC))  # Saturday 1 August
    waiting = runner.invoke(args=args)
    assert waiting.exit_code == 0 and "03-08-2026" in waiting.output
    assert reference.query(SettlementRun).count() == 1


def test_the_daily_timer_after_the_month_was_prepared_finds_nothing_and_is_not_failed(
    runner: FlaskCliRunner, reference: Session, finance: tuple[str, str],
    frozen_clock: FrozenClock,
) -> None:  # fmt: skip
    fien, _ = finance
    args = ["settle", "prepare", "--period", "previous", "--as", fien, "--if-due"]
    frozen_clock.set(dt.datetime(2026, 7, 1, 9, 0, tzinfo=dt.UTC))
    assert runner.invoke(args=args).exit_code == 0
    frozen_clock.set(dt.datetime(2026, 7, 2, 9, 0, tzinfo=dt.UTC))  # the next day

    again = runner.invoke(args=args)

    assert again.exit_code == 0, again.output
    assert "niets nieuws" in again.output
    assert reference.query(SettlementRun).count() == 1
    # By hand, without --if-due, nothing new is still an error a person sees.
    by_hand = runner.invoke(args=args[:-1])
    assert by_hand.exit_code == 1 and "settlement_nothing_new" in by_hand.output
