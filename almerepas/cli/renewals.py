"""`almerepas renewals send`: the invitations to renew, and the one reminder, that are due today.

Run it daily (cron or a systemd timer). Who is due is read from the data
(``applications.renewal.due``), so a day missed is caught up the next day and a second run on
the same day sends nothing. A dry run counts and writes nothing.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from almerepas.applications import renewal
from almerepas.audit.log import Actor
from almerepas.cli.batch import console, run_batch
from almerepas.cli.exclusive import one_at_a_time
from almerepas.core import clock
from almerepas.core.session import Step, get_keys, get_session
from almerepas.letters.content import RENEWAL_INVITE, RENEWAL_REMINDER

ACTOR = Actor("cli:renewals-send")
WHAT = {RENEWAL_INVITE: "uitnodiging", RENEWAL_REMINDER: "herinnering"}


@click.group("renewals")
def renewals_group() -> None:
    """Verlengen: uitnodigingen en herinneringen voor huishoudens van wie de pas afloopt."""


@renewals_group.command("send")
@click.option("--dry-run", is_flag=True, help="Tel wat er verstuurd zou worden; sla niets op.")
@with_appcontext
@one_at_a_time("renewals send")
def renewals_send(dry_run: bool) -> None:
    """Stuur de uitnodigingen en herinneringen die vandaag aan de beurt zijn."""
    session, keys, now = get_session(), get_keys(), clock.now()
    today = now.astimezone(clock.LOCAL).date()
    items = renewal.due(session, today)
    session.rollback()  # the batch's own unit of work starts afresh
    if not items:
        console.print("Vandaag hoeft niemand een brief over verlengen te krijgen.")
        return

    def one(item: renewal.Due) -> Step:
        def step(session: Session) -> str:
            letter = renewal.send(session, item, keys=keys, now=now, today=today, actor=ACTOR)
            return f"{WHAT[item.kind]} per {'e-mail' if letter.message_id else 'post'}"

        return ("brieven", step)

    run_batch("Verlengen", [one(item) for item in items], session, dry_run=dry_run)
