"""The `almerepas` command: database, demo data and batch jobs."""

from __future__ import annotations

import click
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from almerepas import clock, ledger, migrate
from almerepas.batch import console, run_batch
from almerepas.db import Base, get_engine, get_session


def register_commands(app: Flask) -> None:
    """The commands live on app.cli, so `almerepas` and Flask's test runner see the same ones."""
    for group in (db, demo, ledger_group):
        app.cli.add_command(group)


def _create_app() -> Flask:
    from almerepas import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """Almerepas: de stadspas van Almere."""


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


@click.group()
def demo() -> None:
    """Demogegevens."""


@demo.command("load")
@click.option("--year", type=int, default=None, help="Jaar van de budgetten (standaard: dit jaar).")
@click.option("--seed", type=int, default=2026, show_default=True)
@click.option("--dry-run", is_flag=True, help="Laat zien wat er zou veranderen; sla niets op.")
@with_appcontext
def demo_load(year: int | None, seed: int, dry_run: bool) -> None:
    """Vul de database met demogegevens. Nog een keer draaien verandert niets."""
    from almerepas.demo import demo_steps

    steps = demo_steps(year=year or clock.now().year, seed=seed)
    run_batch("Demo laden", steps, get_session(), dry_run=dry_run)


@click.group("ledger")
def ledger_group() -> None:
    """Het grootboek."""


@ledger_group.command("check")
@with_appcontext
def ledger_check() -> None:
    """Controleer dat elk saldo gelijk is aan de som van zijn boekingen en alles op nul uitkomt."""
    session = get_session()
    drift = ledger.find_drift(session)
    totals = ledger.unit_totals(session)
    for item in drift:
        console.print(
            f"[red]verschil[/red] {item.code}: saldo {item.cached}, boekingen {item.computed}"
        )
    for unit, total in sorted(totals.items()):
        if total != 0:
            console.print(f"[red]niet in balans[/red] {unit}: {total}")
    if drift or any(totals.values()):
        raise click.exceptions.Exit(1)
    console.print(f"Grootboek klopt ({len(totals)} eenheden, geen verschillen).")
