"""`almerepas households import|export-waiver`: the one desk's lists (docs/one-desk.md).

``import FILE --source bijstand --as U`` grants the residents whose income the gemeente knows
without an application; ``export-waiver --on D --limit 120 --output F --as U`` gives the tax
department the households within a limit. Both name the caseworker who runs them (``--as``),
are one transaction, and have a ``--dry-run`` that does the same work and keeps nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import click
from flask.cli import with_appcontext
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.applications import import_file, importing, waiver
from almerepas.audit.log import Actor
from almerepas.cli.batch import console, run_batch
from almerepas.core import clock
from almerepas.core.session import Step, get_keys, get_session
from almerepas.http.i18n import translate
from almerepas.staff.models import StaffUser
from almerepas.staff.permissions import allowed

SOURCE = re.compile(r"[a-z][a-z0-9_-]{1,39}")
STATUS_WORDS = {"new": "nieuw", "changed": "gewijzigd", "unchanged": "ongewijzigd"}


@click.group("households")
def households_group() -> None:
    """Huishoudens: toekennen zonder aanvraag, en de lijst voor kwijtschelding."""


def staff_actor(session: Session, username: str, permission: str) -> Actor:
    """The active staff user named by ``--as``, if their role has ``permission``."""
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None or not user.active or not allowed(user.role, permission):
        raise click.UsageError(f"{username!r} is geen actieve medewerker die dit mag doen.")
    return Actor(f"staff:{user.username}", role=user.role.value)


@households_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", required=True, help="De administratie van de lijst, zoals bijstand.")
@click.option("--as", "username", required=True, help="Gebruikersnaam van de consulent.")
@click.option("--dry-run", is_flag=True, help="Laat zien wat er zou veranderen; sla niets op.")
@with_appcontext
def households_import(file: Path, source: str, username: str, dry_run: bool) -> None:
    """Ken huishoudens uit de inkomensadministratie van de gemeente toe, zonder aanvraag."""
    if not SOURCE.fullmatch(source):
        raise click.UsageError("--source is een kort woord in kleine letters, zoals bijstand.")
    data = file.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise click.UsageError("Het bestand is geen UTF-8.") from exc
    sha256 = hashlib.sha256(data).hexdigest()
    session, keys = get_session(), get_keys()
    actor = staff_actor(session, username, "households.import")
    today = clock.today()
    parsed = import_file.read_file(session, text, today=today)  # reads only: postcodes
    if any(r.reason == "missing_column" for r in parsed.refused):
        raise click.UsageError(f"Deze kolommen ontbreken: {parsed.refused[0].key}.")
    state: list[importing.ImportRun] = []

    def begin(session: Session) -> str:
        state.clear()  # the whole unit of work may run again after a conflict
        state.append(
            importing.begin(
                session, parsed, source=source, sha256=sha256, actor=actor, keys=keys,
                now=clock.now(), today=today,
            )
        )  # fmt: skip
        return f"{parsed.rows} regels, {len(parsed.households)} huishoudens"

    def household(key: str, rows: list[import_file.Row]) -> Callable[[Session], str]:
        def step(session: Session) -> str:
            status = importing.import_one(session, state[0], key, rows)
            return STATUS_WORDS.get(status, "niet ingelezen")

        return step

    def finish(session: Session) -> str:
        report = importing.finish(session, state[0])
        print_report(report)
        return f"{len(report.refused)} niet ingelezen"

    steps: list[Step] = [("bestand", begin)]
    steps += [("huishouden", household(k, r)) for k, r in parsed.households.items()]
    steps.append(("regels", finish))
    run_batch(f"Import {source}", steps, session, dry_run=dry_run)


def print_report(report: importing.ImportReport) -> None:
    """The diff: per household what happens, then every row that was not imported, and why."""
    table = Table(title=f"Huishoudens ({report.rows} regels, sha256 {report.sha256[:12]})")
    for column in ("huishouden", "wat", "passen", "toegekend"):
        table.add_column(column)
    for outcome in report.outcomes:
        if outcome.status != "unchanged":
            table.add_row(
                outcome.key,
                STATUS_WORDS[outcome.status],
                str(outcome.passes),
                _granted(outcome.granted),
            )
    console.print(table)
    console.print(
        f"Nieuw: {report.count('new')}. Gewijzigd: {report.count('changed')}. "
        f"Ongewijzigd: {report.count('unchanged')}. Niet ingelezen: {len(report.refused)} regels."
    )
    if report.refused:
        refused = Table(title="Niet ingelezen")
        for column in ("regel", "huishouden", "reden"):
            refused.add_column(column)
        for item in report.refused:
            text = translate(import_file.reason_text(item.reason))
            refused.add_row(str(item.line), item.key, f"{text} ({item.reason})")
        console.print(refused)
    if not report.changes_anything:
        console.print("Dit bestand verandert niets: alles is al verwerkt.")


def _granted(granted: list[str]) -> str:
    """``ov 2026-03 (2x)`` for a scheme granted to two members."""
    counted = Counter(granted)
    return ", ".join(f"{g} ({n}x)" if n > 1 else g for g, n in sorted(counted.items())) or "-"


@households_group.command("export-waiver")
@click.option("--on", "on", required=True, type=click.DateTime(["%Y-%m-%d"]), help="De peildatum.")
@click.option(
    "--limit",
    type=click.IntRange(1, 1000),
    default=120,
    show_default=True,
    help="Procent van het sociaal minimum.",
)
@click.option("--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as", "username", required=True, help="Gebruikersnaam van de consulent.")
@click.option("--dry-run", is_flag=True, help="Tel alleen; schrijf geen bestand.")
@with_appcontext
def households_export_waiver(
    on: dt.datetime, limit: int, output: Path, username: str, dry_run: bool
) -> None:
    """Maak de lijst voor kwijtschelding van gemeentelijke belastingen (CSV)."""
    session, keys = get_session(), get_keys()
    actor = staff_actor(session, username, "households.export_waiver")
    made: list[bytes] = []

    def step(session: Session) -> str:
        made.clear()  # the unit of work may run again after a conflict
        export = waiver.waiver_export(session, on=on.date(), limit=limit, keys=keys)
        waiver.record_export(session, export, on=on.date(), limit=limit, actor=actor)
        made.append(export.csv())
        if export.without_bsn:
            console.print(
                f"{export.without_bsn} huishoudens zonder aanvrager met BSN: niet in de lijst."
            )
        return f"{len(export.lines)} huishoudens"

    run_batch(f"Kwijtschelding {on:%d-%m-%Y}", [("lijst", step)], session, dry_run=dry_run)
    if not dry_run:
        _write_after_commit(output, made[0])
        console.print(f"Geschreven: {output}")


def _write_after_commit(target: Path, data: bytes) -> None:
    """Next to the target, then moved into place: never half a list of BSNs under its name."""
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".waiver-", suffix=".csv")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    os.chmod(temporary, 0o600)
    os.replace(temporary, target)
