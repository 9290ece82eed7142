"""`almerepas db`: apply and check the migrations, as the schema's owner.

The commands connect with ``MIGRATION_DATABASE_URL`` (``ALMEREPAS_MIGRATION_DATABASE_URL``) when
it is set, else with the app's ``DATABASE_URL``. On PostgreSQL, when the two connect as different
roles, the app's role is the application role: every upgrade and downgrade grants it row rights
only, and the audit log insert-only (``almerepas.core.migrate.grant_app_role``); ``db check``
says when the app's role can do more.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import Engine, text

from almerepas.cli.batch import console
from almerepas.core import migrate
from almerepas.core.db import Base, make_engine
from almerepas.core.session import get_engine


@click.group()
def db() -> None:
    """De database: migraties toepassen en controleren."""


@contextmanager
def migration_engine() -> Iterator[Engine]:
    """The engine of the schema's owner: MIGRATION_DATABASE_URL, or the app's own engine."""
    url = current_app.config.get("MIGRATION_DATABASE_URL")
    if not url:
        yield get_engine()
        return
    engine = make_engine(url, sqlite_busy_timeout_ms=current_app.config["SQLITE_BUSY_TIMEOUT_MS"])
    try:
        yield engine
    finally:
        engine.dispose()


def _current_user(engine: Engine) -> str:
    with engine.connect() as conn:
        user: str = conn.execute(text("SELECT current_user")).scalar_one()
        return user


def app_role(owner: Engine) -> str | None:
    """The role the app connects as, when it is not the role that runs the migrations.

    Asked of the server, not read from the URLs: a URL may leave the user out (peer login).
    None on SQLite, which has no roles, and when both connect as the same role.
    """
    if owner.dialect.name != "postgresql" or owner is get_engine():
        return None
    role = _current_user(get_engine())
    return None if role == _current_user(owner) else role


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Breng de database naar de nieuwste migratie."""
    with migration_engine() as engine:
        role = app_role(engine)
        migrate.upgrade(engine, revision, app_role=role)
    console.print(f"Database bijgewerkt tot {revision}.")
    if role:
        console.print(f"De rol {role} van de app mag alleen rijen lezen en schrijven.")


@db.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Draai migraties terug tot REVISION (bijvoorbeeld base of -1)."""
    with migration_engine() as engine:
        migrate.downgrade(engine, revision, app_role=app_role(engine))
    console.print(f"Database teruggezet tot {revision}.")


@db.command("check")
@with_appcontext
def db_check() -> None:
    """Controleer dat de modellen en de migraties hetzelfde schema beschrijven.

    Op PostgreSQL ook dat de rol van de app het auditlog niet kan wijzigen of legen.
    """
    with (
        migration_engine() as engine,
        engine.connect().execution_options(sqlite_begin="DEFERRED") as conn,
    ):
        current = migrate.current_revisions(conn)
        if current != migrate.head_revisions():
            raise click.ClickException(f"database staat op {sorted(current)}, niet op head")
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        problems = (
            migrate.app_role_problems(conn, _current_user(get_engine()), Base.metadata)
            if conn.dialect.name == "postgresql"
            else []
        )
    if diff:
        for change in diff:
            console.print(f"- {change}")
        raise click.ClickException("modellen en migraties verschillen: maak een migratie")
    console.print("Modellen en migraties komen overeen.")
    if problems:
        for problem in problems:
            console.print(f"- {problem}")
        raise click.ClickException(
            "de app kan het auditlog wijzigen: laat de app verbinden als een rol die geen "
            "eigenaar is en draai almerepas db upgrade als eigenaar "
            "(ALMEREPAS_MIGRATION_DATABASE_URL, zie de README)"
        )
