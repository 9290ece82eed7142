"""`almerepas settle prepare|approve|cancel|export|pay|confirm|list`: settlement runs.

Each command names the finance user who does it (``--as``): four eyes need to know whose
eyes. Every step is one transaction, except ``pay``, which commits once per Stripe transfer
(docs/settlement.md, Failure recovery); any step can be run again after a crash.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from flask.cli import with_appcontext
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.audit.log import Actor
from almerepas.cli.batch import console, run_batch
from almerepas.cli.exclusive import one_at_a_time
from almerepas.core import clock
from almerepas.core.errors import DomainError
from almerepas.core.money import format_cents
from almerepas.core.session import get_session, run_unit_of_work
from almerepas.http import payouts
from almerepas.http.i18n import translate
from almerepas.settlements import paying, runs
from almerepas.settlements.calendar import first_working_day_after, next_execution_date
from almerepas.settlements.errors import NothingToSettle
from almerepas.settlements.models import SettlementRun
from almerepas.staff.models import Role, StaffUser

AS_HELP = "Gebruikersnaam van de financieel medewerker die dit doet."


@click.group("settle")
def settle_group() -> None:
    """Afrekenen met partners: klaarzetten, goedkeuren (vier ogen), uitbetalen, bevestigen."""


def finance_actor(session: Session, username: str) -> Actor:
    """The finance user named by ``--as``; anyone else is refused before anything is done."""
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None or not user.active or user.role != Role.finance:
        raise click.UsageError(f"{username!r} is geen actieve financieel medewerker.")
    return Actor(f"staff:{user.username}", role=user.role.value)


def _fail(exc: DomainError) -> click.exceptions.Exit:
    console.print(f"[red]Gestopt[/red] ({exc.code}): {translate(exc.detail).rstrip('.')}.")
    return click.exceptions.Exit(1)


def print_run(run: SettlementRun) -> None:
    table = Table(title=f"Afrekening {run.id} ({run.period}): {run.status.value}")
    table.add_column("partner")
    table.add_column("hoe")
    table.add_column("bedrag", justify="right")
    table.add_column("status")
    for payment in run.payments:
        table.add_row(
            payment.partner.name if payment.partner else f"declaratie {payment.reimbursement_id}",
            payment.method.value,
            format_cents(payment.amount),
            payment.status.value,
        )
    for hold in run.holds:
        table.add_row(hold.partner.name, "-", format_cents(hold.amount), f"niet: {hold.reason}")
    console.print(table)
    console.print(f"Totaal {format_cents(run.total)}; regels-hash (voor approve --hash):")
    console.print(run.lines_hash, soft_wrap=True)


@settle_group.command("prepare")
@click.option(
    "--period", required=True, help="De maand, zoals 2027-01, of 'previous': vorige maand."
)
@click.option("--partner", "partner_id", type=int, help="Alleen deze partner (nummer).")
@click.option("--as", "username", required=True, help=AS_HELP)
@click.option(
    "--if-due",
    is_flag=True,
    help="Alleen vanaf de eerste werkdag na de maand (voor een dagelijkse timer).",
)
@click.option("--dry-run", is_flag=True, help="Laat zien wat er zou worden afgerekend.")
@with_appcontext
@one_at_a_time("settle prepare")
def settle_prepare(
    period: str, partner_id: int | None, username: str, if_due: bool, dry_run: bool
) -> None:
    """Zet een afrekening klaar van alles wat nog niet is afgerekend tot het eind van de maand."""
    session = get_session()
    actor = finance_actor(session, username)
    today = clock.today()
    if period == "previous":
        period = f"{today.replace(day=1) - dt.timedelta(days=1):%Y-%m}"
    if if_due:
        last_day, _ = runs.cutoff_of(period)
        due = first_working_day_after(last_day)
        if today < due:
            console.print(f"{period}: nog niet; klaarzetten vanaf {due:%d-%m-%Y}.")
            return

    def step(session: Session) -> str:
        try:
            run, _ = runs.prepare(
                session, period=period, actor=actor, now=clock.now(), partner_id=partner_id
            )
        except NothingToSettle as nothing:
            # The daily timer on the days after the month was prepared: done, not failed. A
            # partner held back still fails it, so that someone looks.
            if not if_due or nothing.extensions.get("held"):
                raise
            return f"niets nieuws sinds de vorige afrekening van {period}"
        print_run(run)
        return f"afrekening {run.id}, {format_cents(run.total)}"

    run_batch(f"Afrekening {period}", [("klaargezet", step)], session, dry_run=dry_run)


def _one_step(title: str, username: str, action: str, do: object, *, dry_run: bool = False) -> None:
    session = get_session()
    actor = finance_actor(session, username)

    def step(session: Session) -> str:
        run = do(session, actor)  # type: ignore[operator]
        print_run(run)
        return f"afrekening {run.id}: {run.status.value}"

    run_batch(title, [(action, step)], session, dry_run=dry_run)


@settle_group.command("approve")
@click.argument("run_id", type=int)
@click.option("--as", "username", required=True, help=AS_HELP)
@click.option("--hash", "expected", help="De regels-hash die u hebt bekeken (zie list).")
@with_appcontext
def settle_approve(run_id: int, username: str, expected: str | None) -> None:
    """Keur een klaargezette afrekening goed. Niet uw eigen: vier ogen."""
    _one_step(
        f"Goedkeuren {run_id}",
        username,
        "goedgekeurd",
        lambda s, a: runs.approve(s, run_id, actor=a, now=clock.now(), expected_hash=expected),
    )


@settle_group.command("cancel")
@click.argument("run_id", type=int)
@click.option("--as", "username", required=True, help=AS_HELP)
@with_appcontext
def settle_cancel(run_id: int, username: str) -> None:
    """Annuleer een afrekening voordat er iets is betaald; de regels komen terug."""
    _one_step(
        f"Annuleren {run_id}",
        username,
        "geannuleerd",
        lambda s, a: runs.cancel(s, run_id, actor=a, now=clock.now()),
    )


@settle_group.command("export")
@click.argument("run_id", type=int)
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--as", "username", required=True, help=AS_HELP)
@click.option("--dry-run", is_flag=True, help="Maak en controleer het bestand, sla niets op.")
@with_appcontext
def settle_export(run_id: int, out: Path, username: str, dry_run: bool) -> None:
    """Schrijf het SEPA-bestand (pain.001) van een goedgekeurde afrekening.

    Het bestand wordt één keer gemaakt en bewaard; daarna krijgt u steeds dezelfde bytes.
    """
    session = get_session()
    actor = finance_actor(session, username)

    def work() -> bytes | None:
        made = paying.sepa_file(
            session,
            run_id,
            debtor=payouts.debtor(),
            schema=payouts.sepa_schema(),
            execution_date=next_execution_date(clock.today()),
            actor=actor,
            now=clock.now(),
        )
        return None if made is None else made.content

    try:
        content = run_unit_of_work(session, work, dry_run=dry_run)
    except DomainError as exc:
        raise _fail(exc) from exc
    if content is None:
        console.print("Deze afrekening betaalt niemand via SEPA: er is geen bestand.")
        return
    if dry_run:
        console.print(f"Proefrun: het bestand klopt ({len(content)} bytes); niets opgeslagen.")
        return
    out.write_bytes(content)
    console.print(f"Geschreven: {out} ({len(content)} bytes)")


@settle_group.command("pay")
@click.argument("run_id", type=int)
@click.option("--as", "username", required=True, help=AS_HELP)
@with_appcontext
def settle_pay(run_id: int, username: str) -> None:
    """Betaal de Stripe-partners van een goedgekeurde afrekening (opnieuw proberen mag)."""
    session = get_session()
    actor = finance_actor(session, username)
    try:
        outcome = payouts.pay_by_stripe(session, run_id, actor)
    except DomainError as exc:
        raise _fail(exc) from exc
    for partner_id, transfer_id in outcome.paid:
        console.print(f"partner {partner_id}: betaald ({transfer_id})")
    for partner_id, code in outcome.failed:
        console.print(f"partner {partner_id}: [red]niet betaald[/red] ({code})")
    print_run(runs.get_run(session, run_id))
    session.rollback()
    if outcome.failed:
        failed = len(outcome.failed)
        console.print(f"{failed} betaling(en) nog niet gelukt: probeer 'settle pay' later opnieuw.")
        raise click.exceptions.Exit(1)


@settle_group.command("confirm")
@click.argument("run_id", type=int)
@click.option("--as", "username", required=True, help=AS_HELP)
@with_appcontext
def settle_confirm(run_id: int, username: str) -> None:
    """Bevestig dat de betalingen op het bankafschrift staan: de afrekening is klaar."""
    _one_step(
        f"Bevestigen {run_id}",
        username,
        "bevestigd",
        lambda s, a: paying.confirm(s, run_id, actor=a, now=clock.now()),
    )


@settle_group.command("list")
@click.option("--period", help="Alleen deze maand.")
@with_appcontext
def settle_list(period: str | None) -> None:
    """Alle afrekeningen, de nieuwste eerst."""
    session = get_session()
    query = select(SettlementRun).order_by(SettlementRun.id.desc())
    if period:
        query = query.where(SettlementRun.period == period)
    table = Table(title="Afrekeningen")
    for column in (
        "nr",
        "maand",
        "status",
        "totaal",
        "klaargezet door",
        "goedgekeurd door",
        "hash",
    ):
        table.add_column(column)
    for run in session.scalars(query):
        table.add_row(
            str(run.id),
            run.period,
            run.status.value,
            format_cents(run.total),
            run.prepared_by.removeprefix("staff:"),
            (run.approved_by or "-").removeprefix("staff:"),
            run.lines_hash[:8],
        )
    console.print(table)
    session.rollback()
