"""`almerepas grants issue|expire`: the monthly and yearly grant runs, with --dry-run."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from rich.table import Table
from sqlalchemy.orm import Session

from almerepas.audit.log import Actor
from almerepas.cli.batch import console, run_batch
from almerepas.core import clock
from almerepas.core.money import format_cents
from almerepas.core.session import get_session
from almerepas.grants import expiry
from almerepas.grants import runs as grants


@click.group("grants")
def grants_group() -> None:
    """Toekenningen per periode."""


@grants_group.command("issue")
@click.option("--period", required=True, help="2027-01 (maand) of 2027 (jaar).")
@click.option("--scheme", "schemes", multiple=True, help="Alleen deze regeling(en).")
@click.option("--dry-run", is_flag=True, help="Laat zien wat er zou worden toegekend.")
@with_appcontext
def grants_issue(period: str, schemes: tuple[str, ...], dry_run: bool) -> None:
    """Ken elke regeling toe aan iedereen die er recht op heeft. Nooit twee keer."""

    def step(session: Session) -> str:
        runs = grants.issue(
            session,
            period=period,
            actor=Actor("cli:grants-issue"),
            today=clock.today(),
            schemes=schemes or None,
        )
        print_grant_runs(runs)
        return f"{sum(r.granted for r in runs)} toegekend"

    run_batch(f"Toekennen {period}", [("toekenningen", step)], get_session(), dry_run=dry_run)


@grants_group.command("expire")
@click.option("--period", required=True, help="2027-01 (maand) of 2027 (jaar).")
@click.option("--dry-run", is_flag=True, help="Laat zien wat er zou vervallen.")
@with_appcontext
def grants_expire(period: str, dry_run: bool) -> None:
    """Laat wat over is van een afgelopen periode teruggaan naar het budget van de regeling."""

    def step(session: Session) -> str:
        runs = expiry.expire(
            session, period=period, actor=Actor("cli:grants-expire"), today=clock.today()
        )
        for run in runs:
            console.print(
                f"{run.scheme} {run.period}: {run.expired} vervallen, {run.returned} terug"
            )
        return f"{sum(r.expired for r in runs)} vervallen"

    run_batch(f"Vervallen {period}", [("vervallen", step)], get_session(), dry_run=dry_run)


def print_grant_runs(runs: list[grants.SchemeRun]) -> None:
    table = Table(title="Per regeling")
    for column in (
        "regeling",
        "periode",
        "toegekend",
        "totaal",
        "had al",
        "geen recht",
        "budget op",
    ):
        table.add_column(column)
    for run in runs:
        table.add_row(
            run.scheme,
            run.period,
            str(run.granted),
            format_cents(run.amount) if run.unit == "EUR" else f"{run.amount} {run.unit}",
            str(run.already_granted),
            str(run.not_eligible),
            str(run.budget_exhausted),
        )
    console.print(table)
