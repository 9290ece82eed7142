"""`almerepas backup` and `almerepas restore`: a database backed up and restored into an empty
one holds the same rows and the same money; a database with tables is not overwritten unless
asked (docs/operations.md)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almerepas.core.db import make_engine
from almerepas.models import Account, Household, JournalEntry, MemberRole, Person, Transfer
from almerepas.reference.loaders import load_postcodes
from tests.conftest import Backend
from tests.factories import born, funded_account, make_household

MakeApp = Callable[..., Flask]


def figures(url: str) -> dict[str, int]:
    """What an accountant and a caseworker would check: counts, and the money on the books."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return {
                "households": session.scalar(select(func.count()).select_from(Household)) or 0,
                "persons": session.scalar(select(func.count()).select_from(Person)) or 0,
                "entries": session.scalar(select(func.count()).select_from(JournalEntry)) or 0,
                "transferred": session.scalar(select(func.sum(Transfer.amount))) or 0,
                "balances": session.scalar(select(func.sum(func.abs(Account.balance)))) or 0,
            }
    finally:
        engine.dispose()


def seeded_app(backend: Backend, make_app: MakeApp) -> tuple[Flask, str]:
    """An app on a database of its own with two households and money on the books, committed."""
    url = backend.fresh_database()
    owner = backend.owner_url(url)
    app = make_app(url, MIGRATION_DATABASE_URL=None if owner == url else owner)
    engine = make_engine(url)
    with app.app_context(), Session(engine) as session:
        load_postcodes(session)
        make_household(session, [(MemberRole.applicant, born(40)), (MemberRole.child, born(9))])
        make_household(session, [(MemberRole.applicant, born(70))])
        funded_account(session, 125_00)
        funded_account(session, 40_00)
        session.commit()
    engine.dispose()
    return app, url


def test_a_restore_into_an_empty_database_holds_the_same_rows_and_money(
    backend: Backend, make_app: MakeApp, tmp_path: Path
) -> None:
    source, url = seeded_app(backend, make_app)
    before = figures(url)
    assert before["households"] == 2 and before["transferred"] == 165_00
    dump = tmp_path / "almerepas.backup"
    done = source.test_cli_runner().invoke(args=["backup", "--out", str(dump)])
    assert done.exit_code == 0, done.output
    assert dump.stat().st_size > 0 and not dump.with_name(dump.name + ".partial").exists()

    empty = backend.empty_database()
    target = make_app(backend.app_url(empty), MIGRATION_DATABASE_URL=empty)
    restored = target.test_cli_runner().invoke(args=["restore", str(dump)])
    assert restored.exit_code == 0, restored.output
    assert figures(empty) == before
    checked = target.test_cli_runner().invoke(args=["db", "check"])
    assert checked.exit_code == 0, checked.output
    assert target.test_client().get("/api/v1/health/ready").status_code == 200


def test_a_restore_refuses_a_database_with_tables_unless_forced(
    backend: Backend, make_app: MakeApp, tmp_path: Path
) -> None:
    source, url = seeded_app(backend, make_app)
    dump = tmp_path / "almerepas.backup"
    assert source.test_cli_runner().invoke(args=["backup", "--out", str(dump)]).exit_code == 0
    before = figures(url)

    other, other_url = seeded_app(backend, make_app)
    engine = make_engine(other_url)
    with Session(engine) as session:
        funded_account(session, 1_00)
        session.commit()
    engine.dispose()
    changed = figures(other_url)
    refused = other.test_cli_runner().invoke(args=["restore", str(dump)])
    assert refused.exit_code != 0
    assert "--force" in refused.output
    assert figures(other_url) == changed  # nothing overwritten
    forced = other.test_cli_runner().invoke(args=["restore", "--force", str(dump)])
    assert forced.exit_code == 0, forced.output
    assert figures(other_url) == before
