"""`almerepas demo`: a believable gemeente to try the service with; never in production."""

from __future__ import annotations

import click
import pyotp
from flask import current_app
from flask.cli import with_appcontext

from almerepas.cli.batch import run_batch
from almerepas.core import clock
from almerepas.core.session import get_keys, get_session
from almerepas.reference.demo import demo_logins as logins
from almerepas.reference.demo import demo_password, demo_steps
from almerepas.reference.demo_partners import partner_logins


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
    if current_app.config["ENV"] == "production":
        raise click.ClickException(
            "Demogegevens horen niet in productie (ALMEREPAS_ENV=production)."
        )
    today = clock.today()
    steps = demo_steps(
        year=year or today.year, seed=seed, households=households, today=today, keys=get_keys()
    )
    run_batch("Demo laden", steps, get_session(), dry_run=dry_run)


@demo.command("logins")
@with_appcontext
def demo_logins() -> None:
    """Toon de demo-inlognamen met wachtwoord en de sleutel voor de inlogcode (TOTP)."""
    rows = logins(get_session(), keys=get_keys())
    if not rows:
        raise click.ClickException(
            "Er zijn geen demo-medewerkers: draai eerst 'almerepas demo load'."
        )
    click.echo(
        "Demo-inloggen op http://127.0.0.1:5000/inloggen (zet de sleutel in een authenticator-app,"
    )
    click.echo("of gebruik de code hieronder binnen 30 seconden):")
    for username, role, password, secret in rows:
        code = pyotp.TOTP(secret).at(clock.now())
        click.echo(
            f"  {username:<10} {role:<14} wachtwoord {password}  sleutel {secret}  code nu {code}"
        )
    partners = partner_logins(get_session(), keys=get_keys())
    if partners:
        click.echo("Partners (beheerder) op http://127.0.0.1:5000/partner/inloggen:")
    for username, secret in partners:
        code = pyotp.TOTP(secret).at(clock.now())
        click.echo(
            f"  {username:<10} {'partner':<14} wachtwoord {demo_password()}  sleutel {secret}"
            f"  code nu {code}"
        )
