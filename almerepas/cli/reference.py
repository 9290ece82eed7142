"""`almerepas reference load` and `almerepas norms import`: the data every installation needs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from almerepas.audit.log import Actor
from almerepas.cli.batch import run_batch
from almerepas.core.session import get_keys, get_session
from almerepas.grants import norm_changes
from almerepas.income import norms
from almerepas.reference.loaders import reference_steps


@click.group()
def reference() -> None:
    """Referentiegegevens: postcodes, normen, regelingen."""


@reference.command("load")
@click.option("--dry-run", is_flag=True, help="Laat zien wat er zou veranderen; sla niets op.")
@with_appcontext
def reference_load(dry_run: bool) -> None:
    """Laad postcodes, normen, regelingen en de sleutels voor passen. Nog een keer draaien
    verandert niets."""
    steps = reference_steps(actor=Actor("cli:reference-load"), keys=get_keys())
    run_batch("Referentiegegevens laden", steps, get_session(), dry_run=dry_run)


@click.group("norms")
def norms_group() -> None:
    """Normen van het sociaal minimum."""


@norms_group.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Controleer en laat zien wat er zou veranderen.")
@with_appcontext
def norms_import(csv_file: str, dry_run: bool) -> None:
    """Lees gepubliceerde normen in (CSV). Weigert overlap en gaten; vervangt voorlopige normen."""

    # What the verdicts were before the import, for the second step to compare with.
    starts: list[dt.date] = []
    before: norm_changes.Verdicts = {}

    def step(session: Session) -> str:
        rows = norms.parse_norms_csv(Path(csv_file).read_text(encoding="utf-8"))
        starts[:] = [row.valid_from for row in rows]
        before.clear()
        before.update(norm_changes.verdicts(session, starts))
        result = norms.import_norms(
            session, rows, actor=Actor("cli:norms-import"), source=Path(csv_file).name
        )
        return (
            f"{result.added} toegevoegd, {result.replaced_provisional} voorlopige vervangen, "
            f"{result.unchanged} ongewijzigd"
        )

    def decisions(session: Session) -> str:
        after = norm_changes.verdicts(session, starts)
        return f"{len(norm_changes.changed_households(before, after))} huishoudens anders"

    steps = [("normen", step), ("besluiten", decisions)]
    run_batch("Normen inlezen", steps, get_session(), dry_run=dry_run)
