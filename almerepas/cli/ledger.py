"""`almerepas ledger check`: every balance is the sum of its transfers, every unit sums to 0."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from almerepas.cli.batch import console
from almerepas.core.session import get_session
from almerepas.ledger import posting as ledger


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
