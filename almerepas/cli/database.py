"""`almerepas db`: apply and check the migrations."""

from __future__ import annotations

import click
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask.cli import with_appcontext

from almerepas.cli.batch import console
from almerepas.core import migrate
from almerepas.core.db import Base
from almerepas.core.session import get_engine


@click.group()
def db() -> None:
    """De database: migraties toepassen en controleren."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Breng de database naar de nieuwste migratie."""
    migrate.upgrade(get_engine(), revision)
    console.print(f"Database bijgewerkt tot {revision}.")


@db.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Draai migraties terug tot REVISION (bijvoorbeeld base of -1)."""
    migrate.downgrade(get_engine(), revision)
    console.print(f"Database teruggezet tot {revision}.")


@db.command("check")
@with_appcontext
def db_check() -> None:
    """Controleer dat de modellen en de migraties hetzelfde schema beschrijven."""
    with get_engine().connect().execution_options(sqlite_begin="DEFERRED") as conn:
        current = migrate.current_revisions(conn)
        if current != migrate.head_revisions():
            raise click.ClickException(f"database staat op {sorted(current)}, niet op head")
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    if diff:
        for change in diff:
            console.print(f"- {change}")
        raise click.ClickException("modellen en migraties verschillen: maak een migratie")
    console.print("Modellen en migraties komen overeen.")
