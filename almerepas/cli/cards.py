"""`almerepas cards print`: printed cards for people without a smartphone, with their letters.

``--batch FILE.pdf`` prints, for every pass that works and has no printed card of its
generation yet, an A4 letter and the card (``--district`` for one part of the city);
``--pass NUMBER FILE.pdf`` prints one card again. The PDF is written next to its target and
moved into place only after the database has committed what was printed, so a failed run
leaves no file with codes nobody recorded; a dry run counts and writes nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from almerepas.audit.log import Actor
from almerepas.cli.batch import console, run_batch, temporary_beside, writing_step
from almerepas.core import clock, gemeente
from almerepas.core.session import Step, get_keys, get_session
from almerepas.passes import cards, printing
from almerepas.passes import operations as passes
from almerepas.passes.models import Pass

ACTOR = Actor("cli:cards-print")


def _district(value: str | None) -> str | None:
    """A district code of the gemeente's data folder; the districts are data, not a fixed list."""
    codes = [d.code for d in gemeente.current().districts]
    if value is not None and value not in codes:
        raise click.BadParameter(f"kies een van {', '.join(codes)}")
    return value


@click.group("cards")
def cards_group() -> None:
    """Gedrukte passen (kaarten) met hun brieven."""


@cards_group.command("print")
@click.option(
    "--batch",
    "batch_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Eén PDF: per pas een brief (A4) en de kaart.",
)
@click.option(
    "--district",
    callback=lambda _ctx, _param, value: _district(value),
    help="Alleen passen van mensen in dit stadsdeel, met zijn code (bij --batch).",
)
@click.option("--pass", "pass_number", help="Eén kaart opnieuw, voor dit pasnummer.")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Tel wat er gedrukt zou worden; sla niets op.")
@with_appcontext
def cards_print(
    batch_file: Path | None,
    district: str | None,
    pass_number: str | None,
    file: Path | None,
    dry_run: bool,
) -> None:
    """Maak de kaarten (PDF) voor passen die nog geen gedrukte kaart hebben."""
    if (batch_file is None) == (pass_number is None):
        raise click.UsageError("Kies --batch FILE.pdf of --pass NUMMER FILE.pdf.")
    if pass_number is not None and file is None:
        raise click.UsageError("Geef het bestand voor de kaart: --pass NUMMER FILE.pdf.")
    if batch_file is not None and file is not None:
        raise click.UsageError("Bij --batch hoort geen tweede bestand.")
    if district is not None and batch_file is None:
        raise click.UsageError("--district hoort bij --batch.")
    target = batch_file or file
    assert target is not None  # noqa: S101 - checked above
    session, keys = get_session(), get_keys()
    now = clock.now()
    printed: list[printing.PrintedCard] = []
    pdf: list[bytes] = []

    def print_one(pass_id: int, first: bool) -> Step:
        def step(session: Session) -> str:
            if first:
                printed.clear()  # the whole unit of work may run again after a conflict
            pass_ = session.get(Pass, pass_id)
            assert pass_ is not None  # noqa: S101 - selected so
            printed.append(printing.print_card(session, pass_, keys=keys, now=now, actor=ACTOR))
            return "gedrukt"

        return ("kaarten", step)

    def render(_session: Session) -> str:
        pdf.clear()
        if batch_file is not None:
            pdf.append(cards.batch_pdf([(c.letter, c.face, c.code) for c in printed]))
        else:
            pdf.append(cards.card_pdf(printed[0].face, printed[0].code))
        return "gemaakt"

    if pass_number is not None:
        ids = [passes.find_pass(session, pass_number).id]
        title = f"Kaart {pass_number}"
    else:
        day = now.astimezone(clock.LOCAL).date()
        ids = printing.passes_to_print(session, day=day, district=district)
        session.rollback()  # the batch's own unit of work starts afresh
        title = "Kaarten drukken"
    if not ids:
        console.print("Er zijn geen passen zonder gedrukte kaart. Er is niets gemaakt.")
        return
    steps = [print_one(pass_id, n == 0) for n, pass_id in enumerate(ids)]
    steps.append(("pdf", render))
    temporary = temporary_beside(target)
    try:
        result = run_batch(title, [*steps[:-1], writing_step(steps[-1], pdf, temporary)], session,
                           dry_run=dry_run)  # fmt: skip
        if not result.dry_run:
            os.replace(temporary, target)
            console.print(f"Geschreven: {target} ({len(printed)} kaarten)")
    finally:
        temporary.unlink(missing_ok=True)
