"""`almerepas keys rehash`: a planned change of the BSN lookup key or the encryption key."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from almerepas.audit.log import Actor
from almerepas.cli.batch import run_batch
from almerepas.core.session import get_keys, get_session
from almerepas.households import members as households


@click.group("keys")
def keys_group() -> None:
    """Sleutels voor persoonsgegevens."""


@keys_group.command("rehash")
@click.option("--dry-run", is_flag=True, help="Tel wat er zou veranderen; sla niets op.")
@with_appcontext
def keys_rehash(dry_run: bool) -> None:
    """Zet elk BSN opnieuw onder de huidige sleutels (na een nieuwe HASH_KEY of ENCRYPTION_KEY).

    Eerst de nieuwe sleutel instellen (bij ALMEREPAS_ENCRYPTION_KEY vóór de oude, die blijft
    staan tot dit klaar is), dan dit draaien. Tot dan vindt zoeken op BSN niemand.
    """
    keys = get_keys()

    def step(session: Session) -> str:
        changed = households.rehash_bsns(session, keys=keys, actor=Actor("cli:keys-rehash"))
        return f"{changed} bijgewerkt"

    run_batch("BSN-sleutels bijwerken", [("personen", step)], get_session(), dry_run=dry_run)
