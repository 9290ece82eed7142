"""`almerepas outreach send` and `report`: friendly reminders to households that do not use what
they have, and whether they help (docs/outreach.md).

Run ``send`` weekly or by hand; who is due is read from the data, and a reminder is recorded
under a unique key before it is sent, so a second run sends nothing twice. A dry run counts and
writes nothing.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from almerepas.audit.log import Actor
from almerepas.cli.batch import console, run_batch
from almerepas.cli.exclusive import one_at_a_time
from almerepas.core import clock
from almerepas.core.session import Step, get_keys, get_session
from almerepas.outreach import experiment, listing, sending
from almerepas.outreach.models import Group, OutreachRun

ACTOR = Actor("cli:outreach-send")
CHANNELS = {"email": "per e-mail", "sms": "per sms", "post": "per brief"}


@click.group("outreach")
def outreach_group() -> None:
    """Bereik: herinneringen aan inwoners die hun tegoed niet gebruiken."""


@outreach_group.command("send")
@click.option("--dry-run", is_flag=True, help="Tel wat er verstuurd zou worden; sla niets op.")
@click.option(
    "--weeks",
    type=click.IntRange(0, 52),
    default=None,
    help="Na hoeveel weken in de periode (standaard ALMEREPAS_OUTREACH_WEEKS).",
)
@click.option(
    "--experiment",
    is_flag=True,
    help="Stuur naar een willekeurige helft; de andere helft is de vergelijkingsgroep.",
)
@click.option(
    "--seed",
    type=click.IntRange(1, 2**31 - 1),
    default=None,
    help="Het startgetal van de loting (alleen met --experiment; anders willekeurig).",
)
@with_appcontext
@one_at_a_time("outreach send")
def outreach_send(dry_run: bool, weeks: int | None, experiment: bool, seed: int | None) -> None:
    """Stuur de herinneringen die aan de beurt zijn."""
    session, keys, now = get_session(), get_keys(), clock.now()
    today = now.astimezone(clock.LOCAL).date()
    weeks = current_app.config["OUTREACH_WEEKS"] if weeks is None else weeks
    if seed is not None and not experiment:
        raise click.UsageError("--seed hoort bij --experiment.")
    seed = (seed or sending.new_seed()) if experiment else None
    planned = sending.plan(listing.outreach_list(session, today, weeks=weeks), seed=seed)
    session.rollback()  # the batch's own unit of work starts afresh
    if not planned:
        console.print("Vandaag hoeft niemand een herinnering te krijgen.")
        return
    started: list[OutreachRun] = []

    def start(session: Session) -> str:
        started[:] = [sending.start_run(
            session, day=today, weeks=weeks, seed=seed, now=now, actor=ACTOR
        )]  # fmt: skip
        return "experiment" if seed is not None else "gestart"

    def one(item: listing.Candidate, group: Group) -> Step:
        def step(session: Session) -> str:
            contact = sending.remind(
                session, started[0], item, group, keys=keys, now=now, actor=ACTOR
            )
            if contact is None:
                return "al eerder verstuurd"
            if contact.group == Group.comparison:
                return "vergelijkingsgroep (niets verstuurd)"
            return f"herinnering {CHANNELS[contact.channel or 'post']}"

        return ("huishoudens", step)

    steps: list[Step] = [("run", start), *(one(item, group) for item, group in planned)]
    run_batch("Bereik", steps, session, dry_run=dry_run)
    if not dry_run and started:
        extra = f", startgetal {seed}" if seed is not None else ""
        console.print(f"Run {started[0].id}{extra}.")


@outreach_group.command("report")
@click.argument("run_id", type=int)
@with_appcontext
def outreach_report(run_id: int) -> None:
    """Hoeveel huishoudens hun tegoed gebruikten in de 4 weken na een run, per helft."""
    result = experiment.take_up(get_session(), run_id)
    for name, half in (("herinnerd", result.reminded), ("vergelijking", result.comparison)):
        share = f"{float(half.share):.1%}" if half.share is not None else "-"
        click.echo(f"{name}: {half.took_up} van {half.size} ({share})")
    if result.interval is not None:
        i = result.interval
        click.echo(
            f"verschil: {i.difference:+.1%} (95%-betrouwbaarheidsinterval {i.low:+.1%} tot "
            f"{i.high:+.1%})"
        )
    if clock.today() < result.final_on:
        click.echo(f"Nog niet definitief: de 4 weken zijn om op {result.final_on:%d-%m-%Y}.")
