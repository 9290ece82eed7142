"""`almerepas export` and `almerepas import`: all data out in open formats, and back into an
empty instance (docs/operations.md, "Taking all data out: the open export")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

import almerepas.models  # noqa: F401 - every table in the metadata
from almerepas.audit.log import Actor
from almerepas.cli.backup import owner_url
from almerepas.cli.batch import console, run_batch
from almerepas.core import clock
from almerepas.core.db import Base, make_engine
from almerepas.core.session import Step, get_keys, get_session
from almerepas.portability import export, restore
from almerepas.portability.catalogue import ExportTable, export_tables

AFTER_RESTORE = """Teruggezet. Wat de beheerder nu doet (docs/operations.md):
  1. per medewerker die nog nodig is: almerepas staff reset-password NAAM --as BEHEERDER
     en almerepas staff reset-2fa NAAM --as BEHEERDER (wachtwoorden kwamen niet mee);
  2. almerepas keys rotate --publish-days 0 (privésleutels kwamen niet mee);
  3. partners: gebruikers opnieuw maken en kassa's opnieuw koppelen;
  4. de map met geüploade bestanden overzetten; almerepas ledger check."""


@click.command("export")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True,
    help="CSV (RFC 4180) of JSON Lines, één bestand per tabel.",
)  # fmt: skip
@click.option("--dry-run", is_flag=True, help="Tel de rijen per tabel; schrijf niets.")
@with_appcontext
def export_command(folder: Path, fmt: str, dry_run: bool) -> None:
    """Schrijf alle gegevens naar een nieuwe map: één bestand per tabel en manifest.json.

    Let op: BSN's en berichten staan er leesbaar in. Bewaar de map zo veilig als de database.
    """
    keys = get_keys()
    tables: list[dict[str, Any]] = []
    started: list[bool] = []

    def begin(session: Session) -> str:
        tables.clear()  # afresh when the unit of work runs again
        if dry_run:
            export.check_folder(folder)
            return "leeg of nieuw"
        if started:  # a second try of the unit of work: the first one's files go first
            export.remove_files(folder, Base.metadata)
        started.append(True)
        export.begin(session, folder)
        return str(folder)

    def table_step(spec: ExportTable) -> Step:
        def step(session: Session) -> str:
            if dry_run:
                return f"{export.count_rows(session, spec)} rijen"
            tables.append(export.write_table(session, spec, folder, fmt, keys))
            return f"{tables[-1]['rows']} rijen"

        return (spec.name, step)

    def finish(session: Session) -> str:
        if dry_run:
            return "niet geschreven (proefrun)"
        export.finish(
            session, folder, fmt=fmt, tables=tables, actor=Actor("cli:export"), now=clock.now()
        )
        return f"{sum(int(t['rows']) for t in tables)} rijen in {len(tables)} bestanden"

    steps = [
        ("map", begin),
        *(table_step(spec) for spec in export_tables(Base.metadata)),
        ("manifest.json", finish),
    ]
    try:
        run_batch("Export", steps, get_session(), dry_run=dry_run)
    except BaseException:
        if started:  # the folder was empty or new: what is in it now is this export's
            export.remove_files(folder, Base.metadata)
        raise
    if not dry_run:
        console.print(
            f"[bold]Export in {folder}.[/bold] BSN's en berichten staan er leesbaar in: "
            "bewaar de map zo veilig als de database, en wis hem als hij niet meer nodig is."
        )


@click.command("import")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Controleer en zet alles terug, en draai het terug.")
@with_appcontext
def import_command(folder: Path, dry_run: bool) -> None:
    """Zet een export terug in een lege, gemigreerde database (als eigenaar van het schema)."""
    keys = get_keys()
    plans: list[restore.Plan] = []
    counts: list[int] = []

    def check(session: Session) -> str:
        plans[:] = [restore.check(session, folder, Base.metadata)]
        counts.clear()
        return f"{len(plans[0].tables)} tabellen in orde"

    def table_step(index: int, name: str) -> Step:
        def step(session: Session) -> str:
            spec, entry = plans[0].tables[index]
            counts.append(restore.load_table(session, plans[0], spec, entry, keys))
            return f"{counts[-1]} rijen"

        return (name, step)

    def finish(session: Session) -> str:
        if dry_run:  # setval is never rolled back, and without it the audit row has no new id
            return f"{sum(counts)} rijen (proefrun)"
        restore.set_sequences(session, Base.metadata)
        restore.finish(session, plans[0], actor=Actor("cli:import"), rows=sum(counts))
        return f"{sum(counts)} rijen"

    names = [spec.name for spec in export_tables(Base.metadata)]
    steps = [
        ("controle", check),
        *(table_step(i, name) for i, name in enumerate(names)),
        ("afronden", finish),
    ]
    engine = make_engine(owner_url().render_as_string(hide_password=False))
    session = Session(engine)
    try:
        run_batch("Export terugzetten", steps, session, dry_run=dry_run)
    finally:
        session.close()
        engine.dispose()
    if not dry_run:
        console.print(AFTER_RESTORE)
