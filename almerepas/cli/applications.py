"""`almerepas applications prune`: delete old drafts and the evidence of old decisions."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from almerepas.applications import retention
from almerepas.audit.log import Actor
from almerepas.cli.batch import run_batch
from almerepas.cli.exclusive import one_at_a_time
from almerepas.core import clock
from almerepas.core.session import get_session


@click.group("applications")
def applications_group() -> None:
    """Aanvragen van inwoners."""


@applications_group.command("prune")
@click.option("--dry-run", is_flag=True, help="Tel wat er weg zou gaan; verwijder niets.")
@with_appcontext
@one_at_a_time("applications prune")
def applications_prune(dry_run: bool) -> None:
    """Verwijder oude concepten en het bewijs van oude besluiten. Draai dit elke nacht."""

    def step(session: Session) -> str:
        if dry_run:
            return "niets verwijderd (--dry-run)"
        done = retention.prune(session, now=clock.now(), actor=Actor("cli:applications-prune"))
        return f"{done.drafts} concepten en {done.files} bestanden verwijderd"

    run_batch("Aanvragen opruimen", [("aanvragen", step)], get_session(), dry_run=dry_run)
