"""`almerepas letters print FILE.pdf`: the paper letters about decisions, for the post room.

Every letter on paper that was not printed yet goes into one PDF, each starting on a new page
with the address in the envelope's window. Like the cards, the file is written beside its
target and moved into place only after the database has recorded what was printed; a dry run
counts and writes nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from almerepas.audit.log import Actor
from almerepas.cli.batch import console, run_batch, temporary_beside, writing_step
from almerepas.core import clock
from almerepas.core.session import Step, get_session
from almerepas.letters import writing
from almerepas.letters.models import Letter
from almerepas.letters.pdf import PrintedLetter, letters_pdf

ACTOR = Actor("cli:letters-print")


@click.group("letters")
def letters_group() -> None:
    """Brieven over besluiten die per post gaan."""


@letters_group.command("print")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Tel wat er gedrukt zou worden; sla niets op.")
@with_appcontext
def letters_print(target: Path, dry_run: bool) -> None:
    """Maak één PDF met alle brieven die nog niet gedrukt zijn."""
    session, now = get_session(), clock.now()
    ids = [letter.id for letter in writing.letters_to_print(session)]
    session.rollback()  # the batch's own unit of work starts afresh
    if not ids:
        console.print("Er zijn geen brieven om te drukken. Er is niets gemaakt.")
        return
    printed: list[PrintedLetter] = []
    pdf: list[bytes] = []

    def print_one(letter_id: int, first: bool) -> Step:
        def step(session: Session) -> str:
            if first:
                printed.clear()  # the whole unit of work may run again after a conflict
            letter = session.get_one(Letter, letter_id)
            printed.append(writing.print_letter(session, letter, now=now, actor=ACTOR))
            return letter.kind

        return ("brieven", step)

    def render(_session: Session) -> str:
        pdf[:] = [letters_pdf(printed)]
        return "gemaakt"

    temporary = temporary_beside(target)
    steps = [print_one(letter_id, n == 0) for n, letter_id in enumerate(ids)]
    steps.append(writing_step(("pdf", render), pdf, temporary))
    try:
        result = run_batch("Brieven drukken", steps, session, dry_run=dry_run)
        if not result.dry_run:
            os.replace(temporary, target)
            console.print(f"Geschreven: {target} ({len(printed)} brieven)")
    finally:
        temporary.unlink(missing_ok=True)
