"""`almerepas staff create`: make a staff account and show its TOTP secret once."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from almerepas.audit.log import Actor
from almerepas.cli.batch import console
from almerepas.core.errors import DomainError
from almerepas.core.session import get_keys, get_session, run_unit_of_work
from almerepas.http.i18n import translate
from almerepas.staff.accounts import create_staff_user, provisioning_uri
from almerepas.staff.models import Role


@click.group("staff")
def staff_group() -> None:
    """Medewerkers: accounts maken."""


@staff_group.command("create")
@click.option("--username", required=True, help="Gebruikersnaam, bijvoorbeeld j.jansen.")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--name", "display_name", required=True, help="Volledige naam.")
@click.option("--email", default=None)
@click.option(
    "--password",
    default=None,
    help="Wachtwoord (minstens 12 tekens). Zonder deze optie wordt erom gevraagd; "
    "dat is veiliger, want dan komt het niet in uw shell-geschiedenis.",
)
@with_appcontext
def staff_create(
    username: str, role: str, display_name: str, email: str | None, password: str | None
) -> None:
    """Maak een account voor een medewerker. Toont de TOTP-sleutel één keer."""
    if password is None:
        password = click.prompt("Wachtwoord", hide_input=True, confirmation_prompt=True)
    session = get_session()
    try:
        user, secret = run_unit_of_work(
            session,
            lambda: create_staff_user(
                session,
                username=username,
                display_name=display_name,
                role=role,
                password=password,
                email=email,
                keys=get_keys(),
                actor=Actor("cli:staff create"),
            ),
        )
    except DomainError as exc:
        raise click.ClickException(f"{translate(exc.detail)} ({exc.code})") from exc
    console.print(f"Account gemaakt: {user.username} ({user.role.value}).")
    console.print("Zet deze sleutel in de authenticator-app. Hij wordt maar één keer getoond.")
    click.echo(f"TOTP-sleutel: {secret}")
    click.echo(f"otpauth-URI:  {provisioning_uri(secret, user.username)}")
