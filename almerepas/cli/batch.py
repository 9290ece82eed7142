"""The pattern for batch commands: a progress bar, --dry-run, a summary, a non-zero exit on failure.

A batch runs every step inside one transaction. A dry run does exactly the same work and then
rolls back, so what it reports is what a real run would change, and it writes nothing.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.orm import Session

from almerepas.core.errors import DomainError
from almerepas.core.session import Step, run_unit_of_work
from almerepas.http.i18n import translate

console = Console(stderr=True)


@dataclass(frozen=True)
class BatchResult:
    counts: Counter[str]
    dry_run: bool


def run_batch(title: str, steps: Sequence[Step], session: Session, *, dry_run: bool) -> BatchResult:
    """Run the steps as one unit of work; commit, or roll back on a dry run or on failure."""

    def work() -> Counter[str]:
        counts: Counter[str] = Counter()  # afresh when the unit of work runs again after a retry
        progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        with progress:
            task = progress.add_task(title, total=len(steps))
            for label, step in steps:
                outcome = step(session)
                counts[f"{label}: {outcome}"] += 1
                progress.advance(task)
        return counts

    try:
        counts = run_unit_of_work(session, work, dry_run=dry_run)
    except DomainError as exc:
        detail = translate(exc.detail).rstrip(".")
        console.print(f"[red]Gestopt[/red] ({exc.code}): {detail}. Er is niets opgeslagen.")
        raise click.exceptions.Exit(1) from exc
    except BaseException:
        console.print("[red]Gestopt door een onverwachte fout.[/red] Er is niets opgeslagen.")
        raise
    print_summary(title, counts, dry_run=dry_run)
    return BatchResult(counts=counts, dry_run=dry_run)


def print_summary(title: str, counts: Counter[str], *, dry_run: bool) -> None:
    table = Table(title=f"{title}{' (proefrun: niets opgeslagen)' if dry_run else ''}")
    table.add_column("wat")
    table.add_column("aantal", justify="right")
    for key in sorted(counts):
        table.add_row(key, str(counts[key]))
    console.print(table)


def temporary_beside(target: Path) -> Path:
    """A new empty file in the target's folder (so the final move is a rename)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(handle)
    return Path(name)


def writing_step(step: Step, pdf: list[bytes], temporary: Path) -> Step:
    """The render step, which also writes the PDF to ``temporary`` before the commit."""
    label, render = step

    def write(session: Session) -> str:
        outcome = render(session)
        temporary.write_bytes(pdf[0])
        return outcome

    return (label, write)
