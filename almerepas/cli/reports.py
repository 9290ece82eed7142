"""`almerepas reports refresh`: count a year's figures once, so the reports read them in
milliseconds (docs/reports.md, Snapshots).

Run it nightly. A year's snapshot is replaced whole in one transaction; the pages say when it
was taken. A dry run counts and then rolls back, so it writes nothing.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from almerepas.cli.batch import console, run_batch
from almerepas.cli.exclusive import one_at_a_time
from almerepas.core import clock
from almerepas.core.session import Step, get_session
from almerepas.reports import snapshot


@click.group("reports")
def reports_group() -> None:
    """Cijfers voor beleid: bereik en besteding per regeling, wijk en maand."""


@reports_group.command("refresh")
@click.option(
    "--year",
    "years",
    type=click.IntRange(2000, 2100),
    multiple=True,
    help="Welk jaar (mag vaker); standaard dit jaar en vorig jaar.",
)
@click.option("--dry-run", is_flag=True, help="Tel alles, maar sla niets op.")
@with_appcontext
@one_at_a_time("reports refresh")
def reports_refresh(years: tuple[int, ...], dry_run: bool) -> None:
    """Tel de cijfers van een jaar opnieuw, voor snelle rapportages."""
    now = clock.now()
    this_year = now.astimezone(clock.LOCAL).year
    chosen = sorted(set(years)) or [this_year - 1, this_year]

    def count(year: int) -> Step:
        def step(session: Session) -> str:
            made = snapshot.refresh(session, year, now=now)
            return f"{made.grants} toekenningen geteld"

        return (str(year), step)

    run_batch("Cijfers tellen", [count(year) for year in chosen], get_session(), dry_run=dry_run)
    if not dry_run:
        console.print(f"De cijfers van {', '.join(map(str, chosen))} zijn bijgewerkt.")
