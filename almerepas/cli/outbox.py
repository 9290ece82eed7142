"""`almerepas outbox send`: hand over the messages that are due, and retry the ones that failed."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from almerepas.cli.exclusive import one_at_a_time
from almerepas.http.outbox import deliver_now


@click.group("outbox")
def outbox_group() -> None:
    """Berichten aan inwoners (e-mail, sms)."""


@outbox_group.command("send")
@with_appcontext
@one_at_a_time("outbox send")
def outbox_send() -> None:
    """Verstuur de berichten die klaarstaan, ook de nieuwe pogingen na een fout.

    Draai dit elke minuut (cron of een systemd-timer): een bericht dat na een verzoek niet
    weg kon, gaat zo later alsnog.
    """
    delivery = deliver_now()
    click.echo(
        f"{len(delivery.sent)} verstuurd, {len(delivery.retrying)} later opnieuw, "
        f"{len(delivery.failed)} mislukt"
    )
