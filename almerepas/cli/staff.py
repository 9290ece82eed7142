"""`almerepas staff`: make an account (TOTP secret shown once), and manage accounts as an admin.

The managing commands act ``--as`` an active administrator, whose name the audit row carries,
and follow the batch conventions: ``--dry-run`` does the work and rolls back, a refusal exits 1.
"""

from __future__ import annotations

from collections.abc import Callable

import click
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from almerepas.audit.log import Actor
from almerepas.cli.batch import console, run_batch
from almerepas.core.errors import DomainError
from almerepas.core.session import get_keys, get_session, run_unit_of_work
from almerepas.http.errors import Forbidden
from almerepas.http.i18n import translate
from almerepas.staff import admin
from almerepas.staff.accounts import create_staff_user, provisioning_uri
from almerepas.staff.models import Role, StaffUser
from almerepas.staff.permissions import allowed


@click.group("staff")
def staff_group() -> None:
    """Medewerkers: accounts maken en beheren."""


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


# -- managing accounts ----------------------------------------------------------------------------

AS_OPTION = click.option(
    "--as",
    "acting",
    required=True,
    metavar="BEHEERDER",
    help="Gebruikersnaam van de beheerder die dit doet; die staat in het auditlog.",
)
DRY_RUN = click.option("--dry-run", is_flag=True, help="Proefrun: laat zien, sla niets op.")

Change = Callable[[Session, StaffUser, StaffUser, Actor], str]


def _manage(title: str, username: str, acting: str, change: Change, *, dry_run: bool) -> None:
    """Find both accounts, check the actor may manage staff, and run ``change`` as one batch."""

    def step(session: Session) -> str:
        by = admin.staff_user_by_username(session, acting)
        if not by.active or not allowed(by.role, "staff.manage"):
            raise Forbidden(f"{acting} is geen actieve beheerder")
        target = admin.staff_user_by_username(session, username)
        return change(session, target, by, Actor(f"staff:{by.username}", by.role.value))

    run_batch(title, [(username, step)], get_session(), dry_run=dry_run)


@staff_group.command("disable")
@click.argument("username")
@AS_OPTION
@DRY_RUN
@with_appcontext
def staff_disable(username: str, acting: str, dry_run: bool) -> None:
    """Zet een account uit: inloggen kan niet meer, sessies en tokens stoppen meteen."""

    def change(session: Session, user: StaffUser, by: StaffUser, actor: Actor) -> str:
        admin.disable_staff_user(session, user, by=by, actor=actor)
        return "uitgezet"

    _manage("Account uitzetten", username, acting, change, dry_run=dry_run)


@staff_group.command("enable")
@click.argument("username")
@AS_OPTION
@DRY_RUN
@with_appcontext
def staff_enable(username: str, acting: str, dry_run: bool) -> None:
    """Zet een account weer aan."""

    def change(session: Session, user: StaffUser, _by: StaffUser, actor: Actor) -> str:
        admin.enable_staff_user(session, user, actor=actor)
        return "aangezet"

    _manage("Account aanzetten", username, acting, change, dry_run=dry_run)


@staff_group.command("role")
@click.argument("username")
@click.argument("role", type=click.Choice([r.value for r in Role]))
@AS_OPTION
@DRY_RUN
@with_appcontext
def staff_role(username: str, role: str, acting: str, dry_run: bool) -> None:
    """Geef een account een andere rol (nooit uw eigen account)."""

    def change(session: Session, user: StaffUser, by: StaffUser, actor: Actor) -> str:
        admin.change_role(session, user, role, by=by, actor=actor)
        return f"rol {role}"

    _manage("Rol wijzigen", username, acting, change, dry_run=dry_run)


@staff_group.command("reset-2fa")
@click.argument("username")
@AS_OPTION
@DRY_RUN
@with_appcontext
def staff_reset_2fa(username: str, acting: str, dry_run: bool) -> None:
    """Geef een account een nieuwe TOTP-sleutel; de oude app werkt niet meer. Toont hem één keer."""
    secrets: list[str] = []

    def change(session: Session, user: StaffUser, _by: StaffUser, actor: Actor) -> str:
        secrets[:] = [admin.reset_second_factor(session, user, keys=get_keys(), actor=actor)]
        return "nieuwe sleutel"

    _manage("Tweede factor opnieuw instellen", username, acting, change, dry_run=dry_run)
    if secrets and not dry_run:
        console.print("Geef deze sleutel aan de medewerker. Hij wordt maar één keer getoond.")
        click.echo(f"TOTP-sleutel: {secrets[0]}")
        click.echo(f"otpauth-URI:  {provisioning_uri(secrets[0], username.strip().lower())}")


@staff_group.command("reset-password")
@click.argument("username")
@AS_OPTION
@DRY_RUN
@with_appcontext
def staff_reset_password(username: str, acting: str, dry_run: bool) -> None:
    """Geef een account een nieuw willekeurig wachtwoord; het oude werkt niet meer. Toont het één
    keer. Ook na het terugzetten van een export (docs/operations.md)."""
    passwords: list[str] = []

    def change(session: Session, user: StaffUser, _by: StaffUser, actor: Actor) -> str:
        passwords[:] = [admin.reset_password(session, user, keys=get_keys(), actor=actor)]
        return "nieuw wachtwoord"

    _manage("Wachtwoord opnieuw instellen", username, acting, change, dry_run=dry_run)
    if passwords and not dry_run:
        console.print("Geef dit wachtwoord aan de medewerker. Het wordt maar één keer getoond.")
        click.echo(f"Wachtwoord: {passwords[0]}")


@staff_group.command("unlock")
@click.argument("username")
@AS_OPTION
@DRY_RUN
@with_appcontext
def staff_unlock(username: str, acting: str, dry_run: bool) -> None:
    """Hef de blokkade na te vaak mislukt inloggen meteen op."""

    def change(session: Session, user: StaffUser, _by: StaffUser, actor: Actor) -> str:
        admin.unlock_staff_user(session, user, actor=actor)
        return "gedeblokkeerd"

    _manage("Account deblokkeren", username, acting, change, dry_run=dry_run)
