"""`almerepas passes expire`: passes past their end date stop, each with its audit row."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from almerepas.audit.log import Actor
from almerepas.cli.batch import run_batch
from almerepas.cli.exclusive import one_at_a_time
from almerepas.core import clock
from almerepas.core.session import get_session
from almerepas.passes import operations as passes


@click.group("passes")
def passes_group() -> None:
    """Stadspassen."""


@passes_group.command("expire")
@click.option("--dry-run", is_flag=True, help="Tel wat er zou verlopen; sla niets op.")
@with_appcontext
@one_at_a_time("passes expire")
def passes_expire(dry_run: bool) -> None:
    """Zet elke pas waarvan de einddatum voorbij is op verlopen. Draai dit elke nacht."""

    def step(session: Session) -> str:
        count = passes.expire_passes(session, actor=Actor("cli:passes-expire"), now=clock.now())
        return f"{count} verlopen"

    run_batch("Passen laten verlopen", [("passen", step)], get_session(), dry_run=dry_run)
