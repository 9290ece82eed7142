"""The `almerepas` command: database, demo data and batch jobs."""

from __future__ import annotations

from typing import Any

import click
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from almerepas.cli.batch import console, run_batch
from almerepas.cli.staff import staff_group
from almerepas.core import clock, migrate
from almerepas.core.db import Base
from almerepas.core.session import get_engine, get_session
from almerepas.ledger import posting as ledger


def register_commands(app: Flask) -> None:
    """The commands live on app.cli, so `almerepas` and Flask's test runner see the same ones."""
    for group in (db, demo, ledger_group, reference, norms_group, grants_group, staff_group):
        app.cli.add_command(group)


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
@click.option(
    "--year", type=int, default=None, help="Jaar van de activiteit (standaard: dit jaar)."
)
@click.option("--seed", type=int, default=2026, show_default=True)
@click.option("--households", type=int, default=400, show_default=True)
@click.option("--dry-run", is_flag=True, help="Laat zien wat er zou veranderen; sla niets op.")
@with_appcontext
def demo_load(year: int | None, seed: int, households: int, dry_run: bool) -> None:
    """Vul de database met demogegevens. Nog een keer draaien verandert niets."""
    from almerepas.reference.demo import demo_steps

    if current_app.config["ENV"] == "production":
        raise click.ClickException(
            "Demogegevens horen niet in productie (ALMEREPAS_ENV=production)."
        )
    today = clock.today()
    steps = demo_steps(year=year or today.year, seed=seed, households=households, today=today)
    run_batch("Demo laden", steps, get_session(), dry_run=dry_run)


@demo.command("logins")
@with_appcontext
def demo_logins() -> None:
    """Toon de demo-inlognamen met wachtwoord en de sleutel voor de inlogcode (TOTP)."""
    import pyotp

    from almerepas.reference.demo import demo_logins as logins

    rows = logins(get_session())
    if not rows:
        raise click.ClickException(
            "Er zijn geen demo-medewerkers: draai eerst 'almerepas demo load'."
        )
    click.echo(
        "Demo-inloggen op http://127.0.0.1:5000/inloggen (zet de sleutel in een authenticator-app,"
    )
    click.echo("of gebruik de code hieronder binnen 30 seconden):")
    for username, role, password, secret in rows:
        code = pyotp.TOTP(secret).now()
        click.echo(
            f"  {username:<10} {role:<14} wachtwoord {password}  sleutel {secret}  code nu {code}"
        )


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


@click.group()
def reference() -> None:
    """Referentiegegevens: postcodes, normen, regelingen."""


@reference.command("load")
@click.option("--dry-run", is_flag=True, help="Laat zien wat er zou veranderen; sla niets op.")
@with_appcontext
def reference_load(dry_run: bool) -> None:
    """Laad postcodes, normen en regelingen. Nog een keer draaien verandert niets."""
    from almerepas.reference.loaders import reference_steps

    run_batch("Referentiegegevens laden", reference_steps(), get_session(), dry_run=dry_run)


@click.group("norms")
def norms_group() -> None:
    """Normen van het sociaal minimum."""


@norms_group.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Controleer en laat zien wat er zou veranderen.")
@with_appcontext
def norms_import(csv_file: str, dry_run: bool) -> None:
    """Lees gepubliceerde normen in (CSV). Weigert overlap en gaten; vervangt voorlopige normen."""
    from pathlib import Path

    from almerepas.income import norms

    def step(session: Session) -> str:
        rows = norms.parse_norms_csv(Path(csv_file).read_text(encoding="utf-8"))
        result = norms.import_norms(session, rows)
        record_batch(session, "norms.import", {"file": Path(csv_file).name, **result.__dict__})
        return (
            f"{result.added} toegevoegd, {result.replaced_provisional} voorlopige vervangen, "
            f"{result.unchanged} ongewijzigd"
        )

    run_batch("Normen inlezen", [("normen", step)], get_session(), dry_run=dry_run)


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
    from almerepas.grants import runs as grants

    session = get_session()

    def step(session: Session) -> str:
        runs = grants.issue(
            session,
            period=period,
            actor="cli:grants-issue",
            today=clock.today(),
            schemes=schemes or None,
        )
        print_grant_runs(runs)
        record_batch(
            session,
            "grants.issue",
            {
                "period": period,
                "runs": [
                    {
                        "scheme": r.scheme,
                        "period": r.period,
                        "granted": r.granted,
                        "amount": r.amount,
                    }
                    for r in runs
                ],
            },
        )
        return f"{sum(r.granted for r in runs)} toegekend"

    run_batch(f"Toekennen {period}", [("toekenningen", step)], session, dry_run=dry_run)


@grants_group.command("expire")
@click.option("--period", required=True, help="2027-01 (maand) of 2027 (jaar).")
@click.option("--dry-run", is_flag=True, help="Laat zien wat er zou vervallen.")
@with_appcontext
def grants_expire(period: str, dry_run: bool) -> None:
    """Laat wat over is van een afgelopen periode teruggaan naar het budget van de regeling."""
    from almerepas.grants import runs as grants

    def step(session: Session) -> str:
        runs = grants.expire(session, period=period, actor="cli:grants-expire", today=clock.today())
        for run in runs:
            console.print(
                f"{run.scheme} {run.period}: {run.expired} vervallen, {run.returned} terug"
            )
        record_batch(
            session, "grants.expire", {"period": period, "expired": sum(r.expired for r in runs)}
        )
        return f"{sum(r.expired for r in runs)} vervallen"

    run_batch(f"Vervallen {period}", [("vervallen", step)], get_session(), dry_run=dry_run)


def print_grant_runs(runs: list[Any]) -> None:
    from rich.table import Table

    from almerepas.core.money import format_cents

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


def record_batch(session: Session, action: str, details: dict[str, Any]) -> None:
    """Every batch run goes into the audit log, with what it did."""
    from almerepas.audit import log as audit

    audit.record(session, action=action, actor=f"cli:{action}", changes={"run": details})
