"""`almerepas db` migrates as the schema's owner and leaves the app's role row rights only."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import text

from almerepas.core.db import make_engine
from tests.conftest import PG_APP, Backend

MakeApp = Callable[..., Flask]

#: (table, right) -> whether the application role has it after `db upgrade`.
APP_RIGHTS = {
    ("audit_event", "SELECT"): True,
    ("audit_event", "INSERT"): True,
    ("audit_event", "UPDATE"): False,
    ("audit_event", "DELETE"): False,
    ("audit_event", "TRUNCATE"): False,
    ("audit_value", "SELECT"): True,
    ("audit_value", "INSERT"): True,
    ("audit_value", "UPDATE"): False,  # an erased value is deleted, never rewritten
    ("audit_value", "DELETE"): True,
    ("audit_value", "TRUNCATE"): False,
    ("upload", "SELECT"): True,
    ("upload", "INSERT"): True,
    ("upload", "UPDATE"): False,  # a file's bytes are added and deleted, never rewritten
    ("upload", "DELETE"): True,
    ("upload", "TRUNCATE"): False,
    ("household", "SELECT"): True,
    ("household", "INSERT"): True,
    ("household", "UPDATE"): True,
    ("household", "DELETE"): True,
    ("household", "TRUNCATE"): False,
    ("alembic_version", "SELECT"): True,
    ("alembic_version", "UPDATE"): False,
}


def words(output: str) -> str:
    """The output with the console's line breaks taken out."""
    return " ".join(output.split())


def app_rights(app_url: str) -> dict[tuple[str, str], bool]:
    engine = make_engine(app_url)
    with engine.connect() as conn:
        rights = {
            (table, right): conn.execute(
                text("SELECT has_table_privilege(current_user, :table, :right)"),
                {"table": table, "right": right},
            ).scalar_one()
            for table, right in APP_RIGHTS
        }
    engine.dispose()
    return rights


def as_owner_and_app(backend: Backend, make_app: MakeApp, owner_url: str) -> Flask:
    """An app that connects as the application role and migrates as the owner."""
    return make_app(backend.app_url(owner_url), MIGRATION_DATABASE_URL=owner_url)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_upgrade_runs_as_the_owner_and_grants_the_app_row_rights_only(
    backend: Backend, make_app: MakeApp
) -> None:
    owner_url = backend.empty_database()
    runner = as_owner_and_app(backend, make_app, owner_url).test_cli_runner()

    upgrade = runner.invoke(args=["db", "upgrade"])
    assert upgrade.exit_code == 0, upgrade.output
    said = words(upgrade.output)
    assert f"De rol {PG_APP} van de app mag alleen rijen lezen en schrijven." in said
    assert app_rights(backend.app_url(owner_url)) == APP_RIGHTS
    check = runner.invoke(args=["db", "check"])
    assert check.exit_code == 0, check.output


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_check_fails_when_the_app_could_change_the_audit_log(
    backend: Backend, make_app: MakeApp
) -> None:
    owner_url = backend.owner_url(backend.fresh_database())

    as_owner = make_app(owner_url).test_cli_runner().invoke(args=["db", "check"])
    assert as_owner.exit_code == 1
    said = words(as_owner.output)
    assert (
        "de rol almerepas_test_owner is eigenaar van de tabellen account, alembic_version" in said
    )
    assert "de app kan het auditlog wijzigen" in said

    # A right granted by hand is found, and the next upgrade takes it away again.
    engine = make_engine(owner_url)
    with engine.begin() as conn:
        conn.execute(text(f"GRANT UPDATE, TRUNCATE ON audit_event TO {PG_APP}"))
        conn.execute(text(f"GRANT UPDATE ON audit_value TO {PG_APP}"))
    engine.dispose()
    runner = as_owner_and_app(backend, make_app, owner_url).test_cli_runner()
    granted = runner.invoke(args=["db", "check"])
    assert granted.exit_code == 1
    assert f"de rol {PG_APP} mag UPDATE op audit_event" in words(granted.output)
    assert f"de rol {PG_APP} mag TRUNCATE op audit_event" in words(granted.output)
    assert f"de rol {PG_APP} mag UPDATE op audit_value" in words(granted.output)
    assert "eigenaar van" not in granted.output
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert app_rights(backend.app_url(owner_url)) == APP_RIGHTS
    assert runner.invoke(args=["db", "check"]).exit_code == 0


def test_upgrade_and_downgrade_use_the_migration_url(backend: Backend, make_app: MakeApp) -> None:
    """On SQLite both URLs name the same file: a file has no roles, nothing is granted."""
    owner_url = backend.empty_database()
    runner = as_owner_and_app(backend, make_app, owner_url).test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert runner.invoke(args=["db", "downgrade", "--", "-1"]).exit_code == 0
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    check = runner.invoke(args=["db", "check"])
    assert check.exit_code == 0, check.output
