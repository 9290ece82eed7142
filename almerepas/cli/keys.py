"""`almerepas keys`: the keys for personal data (rehash) and the signing keys of pass codes
(rotate, retire, list, trust-root, import-operator)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from almerepas.audit.log import Actor
from almerepas.cli.batch import run_batch
from almerepas.core import clock
from almerepas.core.session import get_keys, get_session
from almerepas.households import members as households
from almerepas.passes import bundle
from almerepas.passes import keys as signing
from almerepas.passes.credential_models import KeyFamily

FAMILY_CHOICES = [f.value for f in signing.OWN_FAMILIES] + ["all"]


@click.group("keys")
def keys_group() -> None:
    """Sleutels voor persoonsgegevens en voor de codes van passen."""


@keys_group.command("rehash")
@click.option("--dry-run", is_flag=True, help="Tel wat er zou veranderen; sla niets op.")
@with_appcontext
def keys_rehash(dry_run: bool) -> None:
    """Zet elk BSN en elke ondertekensleutel opnieuw onder de huidige sleutels (na een nieuwe
    HASH_KEY of ENCRYPTION_KEY).

    Eerst de nieuwe sleutel instellen (bij ALMEREPAS_ENCRYPTION_KEY vóór de oude, die blijft
    staan tot dit klaar is), dan dit draaien. Tot dan vindt zoeken op BSN niemand.
    """
    keys = get_keys()
    actor = Actor("cli:keys-rehash")

    def persons(session: Session) -> str:
        changed = households.rehash_bsns(session, keys=keys, actor=actor)
        return f"{changed} bijgewerkt"

    def signing_keys(session: Session) -> str:
        return f"{signing.rewrap(session, keys=keys, actor=actor)} bijgewerkt"

    steps = [("personen", persons), ("ondertekensleutels", signing_keys)]
    run_batch("Sleutels bijwerken", steps, get_session(), dry_run=dry_run)


@keys_group.command("rotate")
@click.option(
    "--family",
    type=click.Choice(FAMILY_CHOICES),
    default="all",
    show_default=True,
    help="Voor welk soort codes.",
)
@click.option(
    "--publish-days",
    type=click.IntRange(0, 90),
    default=signing.PUBLISH_AHEAD.days,
    show_default=True,
    help="Zoveel dagen vooraf bekendmaken voordat de nieuwe sleutel ondertekent.",
)
@click.option("--dry-run", is_flag=True, help="Laat zien wat er zou veranderen; sla niets op.")
@with_appcontext
def keys_rotate(family: str, publish_days: int, dry_run: bool) -> None:
    """Maak een nieuwe sleutel per soort. De oude blijft codes controleren tot alles wat ze
    ondertekende verlopen is. Zonder sleutels (eerste keer) ondertekent de nieuwe meteen."""
    families = signing.OWN_FAMILIES if family == "all" else (KeyFamily(family),)
    keys = get_keys()

    def step(session: Session) -> str:
        made = signing.rotate(
            session,
            families=families,
            keys=keys,
            actor=Actor("cli:keys-rotate"),
            now=clock.now(),
            publish_ahead=dt.timedelta(days=publish_days),
        )
        return ", ".join(
            f"{k.kid} ({k.family.value}, ondertekent vanaf {k.issue_from:%Y-%m-%d %H:%M} UTC)"
            for k in made
        )

    run_batch("Sleutels vernieuwen", [("nieuw", step)], get_session(), dry_run=dry_run)


@keys_group.command("retire")
@click.argument("kid")
@click.option(
    "--compromised",
    is_flag=True,
    help="De sleutel is uitgelekt: intrekken, alles wat ze ondertekende wordt meteen geweigerd.",
)
@click.option("--dry-run", is_flag=True, help="Laat zien wat er zou veranderen; sla niets op.")
@with_appcontext
def keys_retire(kid: str, compromised: bool, dry_run: bool) -> None:
    """Haal sleutel KID uit gebruik. Zonder --compromised blijven codes die ze al ondertekende
    geldig tot ze verlopen. Maak daarna een nieuwe met 'almerepas keys rotate'."""

    def step(session: Session) -> str:
        key = signing.retire(
            session,
            kid,
            compromised=compromised,
            actor=Actor("cli:keys-retire"),
            now=clock.now(),
        )
        return f"{key.kid} {key.status.value}"

    run_batch("Sleutel uit gebruik", [("sleutel", step)], get_session(), dry_run=dry_run)


@keys_group.command("list")
@with_appcontext
def keys_list() -> None:
    """Toon de sleutels: naam, soort, status en geldigheid (nooit een geheime sleutel)."""
    for key in signing.all_keys(get_session()):
        until = f"{key.issue_until:%Y-%m-%d %H:%M}" if key.issue_until else "-"
        verify = f"{key.verify_until:%Y-%m-%d %H:%M}" if key.verify_until else "-"
        click.echo(
            f"{key.kid:<8} {key.family.value:<9} {key.status.value:<8} "
            f"ondertekent {key.issue_from:%Y-%m-%d %H:%M} tot {until}, controleert tot {verify}"
        )


@keys_group.command("trust-root")
@with_appcontext
def keys_trust_root() -> None:
    """Toon de openbare sleutel waarmee validators de bundel controleren (JWK), om op elke
    validator vast te zetten."""
    click.echo(json.dumps(bundle.trust_root(get_session(), now=clock.now()), indent=2))


@keys_group.command("import-operator")
@click.argument("public_key_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Controleer de sleutel; sla niets op.")
@with_appcontext
def keys_import_operator(public_key_file: str, dry_run: bool) -> None:
    """Neem de openbare sleutel van de validators van de busvervoerder over (PEM of JWK):
    het busrecht in telefooncodes is daarna alleen door die validators te lezen."""
    text = Path(public_key_file).read_text(encoding="utf-8")

    def step(session: Session) -> str:
        key = signing.import_operator_key(
            session, text, actor=Actor("cli:keys-import-operator"), now=clock.now()
        )
        return key.kid

    run_batch("Sleutel vervoerder", [("sleutel", step)], get_session(), dry_run=dry_run)
