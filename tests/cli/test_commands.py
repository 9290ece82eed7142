"""The CLI: demo load is idempotent, --dry-run writes nothing, checks exit non-zero on trouble."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from almerepas.ledger import posting as ledger
from almerepas.models import Account, AccountKind, Grant, JournalEntry
from tests.fixtures import FrozenClock

#: The demo grants every month up to "today", so the tests fix today to keep their figures.
TODAY = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC)
YEAR = str(TODAY.year)
DEMO = ["demo", "load", "--year", YEAR, "--households", "24"]


@pytest.fixture(autouse=True)
def frozen_today(frozen_clock: FrozenClock) -> None:
    frozen_clock.set(TODAY)


def counts(db: Session) -> tuple[int, int]:
    accounts = db.scalar(select(func.count()).select_from(Account)) or 0
    entries = db.scalar(select(func.count()).select_from(JournalEntry)) or 0
    return accounts, entries


def test_demo_dry_run_reports_and_writes_nothing(runner: FlaskCliRunner, db: Session) -> None:
    before = counts(db)
    result = runner.invoke(args=[*DEMO, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "proefrun" in result.output
    assert "huishoudens: 24 created" in result.output
    assert counts(db) == before


def test_demo_load_is_deterministic_and_idempotent(runner: FlaskCliRunner, db: Session) -> None:
    first = runner.invoke(args=DEMO)
    assert first.exit_code == 0, first.output
    funding = db.scalars(
        select(Account).where(Account.kind == AccountKind.funding, Account.code.like(f"%:{YEAR}"))
    ).all()
    codes = {a.code.split(":")[1] for a in funding}
    assert {"ov", "stadsfonds", "menstruatie", "supermarkt", "basis"} <= codes
    assert db.scalar(select(func.count()).select_from(Grant)) > 24
    after_first = counts(db)
    balances = {a.code: a.balance for a in db.scalars(select(Account))}

    second = runner.invoke(args=DEMO)
    assert second.exit_code == 0, second.output
    assert "created" not in second.output
    db.expire_all()
    assert counts(db) == after_first
    assert {a.code: a.balance for a in db.scalars(select(Account))} == balances
    assert ledger.find_drift(db) == []


def test_ledger_check_passes_and_then_finds_corruption(runner: FlaskCliRunner, db: Session) -> None:
    assert runner.invoke(args=DEMO).exit_code == 0
    ok = runner.invoke(args=["ledger", "check"])
    assert ok.exit_code == 0, ok.output

    db.execute(
        text("UPDATE account SET balance = balance + 1 WHERE code = :c"),
        {"c": f"funding:stadsfonds:{YEAR}"},
    )
    db.commit()
    broken = runner.invoke(args=["ledger", "check"])
    assert broken.exit_code == 1
    assert f"funding:stadsfonds:{YEAR}" in broken.output


def test_db_check_finds_models_and_migrations_in_agreement(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output


def test_demo_prints_a_login_for_every_role(runner: FlaskCliRunner, db: Session) -> None:
    assert runner.invoke(args=["demo", "logins"]).exit_code == 1  # nothing loaded yet
    assert runner.invoke(args=DEMO).exit_code == 0
    result = runner.invoke(args=["demo", "logins"])
    assert result.exit_code == 0, result.output
    for role in ("caseworker", "finance", "policy", "administrator", "auditor"):
        assert role in result.output
    assert "almere-demo-2026" in result.output


def test_demo_is_refused_in_production(app: Flask, db: Session) -> None:
    app.config["ENV"] = "production"
    result = app.test_cli_runner().invoke(args=DEMO)
    assert result.exit_code != 0
    assert "productie" in result.output


def test_the_demo_has_a_month_to_settle_with_four_eyes(runner: FlaskCliRunner, db: Session) -> None:
    loaded = runner.invoke(args=DEMO)
    assert loaded.exit_code == 0, loaded.output
    assert "3 partners" in loaded.output
    prepared = runner.invoke(args=["settle", "prepare", "--period", "2026-05", "--as", "financien"])
    assert prepared.exit_code == 0, prepared.output
    assert "Sportvereniging Almere Haven" in prepared.output
    run_id = db.scalar(text("SELECT max(id) FROM settlement_run"))
    approved = runner.invoke(args=["settle", "approve", str(run_id), "--as", "controller"])
    assert approved.exit_code == 0, approved.output
    owed = runner.invoke(args=["demo", "logins"])
    assert "buurtsuper" in owed.output and "partner" in owed.output
