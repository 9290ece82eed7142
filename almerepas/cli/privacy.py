"""`almerepas privacy erase`: pseudonymise households past the retention period."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from almerepas.audit.log import Actor
from almerepas.cli.batch import run_batch
from almerepas.core import clock
from almerepas.core.session import get_session
from almerepas.privacy import erasure


@click.group("privacy")
def privacy_group() -> None:
    """Privacy: bewaartermijnen (docs/privacy.md)."""


@privacy_group.command("erase")
@click.option("--dry-run", is_flag=True, help="Tel wat er gepseudonimiseerd zou worden.")
@with_appcontext
def privacy_erase(dry_run: bool) -> None:
    """Pseudonimiseer huishoudens na de bewaartermijn. Draai dit elke nacht."""
    years = int(current_app.config["RETENTION_YEARS"])

    def step(session: Session) -> str:
        if dry_run:  # a dry run only counts the households that are due
            found = erasure.due(session, today=clock.today(), years=years)
            return f"{len(found)} huishoudens zouden gepseudonimiseerd worden"
        done = erasure.erase(
            session, today=clock.today(), years=years, now=clock.now(),
            actor=Actor("cli:privacy-erase"),
        )  # fmt: skip
        return (
            f"{len(done.households)} huishoudens, {len(done.persons)} personen, "
            f"{done.files} bestanden, {done.audit_values} waarden in het auditlog"
        )

    run_batch("Bewaartermijn", [("privacy", step)], get_session(), dry_run=dry_run)
