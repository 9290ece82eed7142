"""`almerepas uploads import-folder`: move the files of ``ALMEREPAS_UPLOAD_FOLDER`` into the
database, once, after migration ``d1e2f3a4b5c6`` (docs/operations.md, "Upgrading")."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.applications.models import Evidence
from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.cli.batch import console, run_batch
from almerepas.core import clock
from almerepas.core.session import Step, get_session
from almerepas.privacy.erasure import ERASED
from almerepas.reimbursements.models import Reimbursement
from almerepas.uploads import store

ACTOR = Actor("cli:uploads-import-folder")
IMPORTED, PRESENT, MISSING, MISMATCH = (
    "ingelezen",
    "stond al in de database",
    "ontbreekt in de map",
    "klopt niet met de SHA-256: niet ingelezen",
)


@dataclass(frozen=True)
class Named:
    """A file a live row names: where the folder kept it and the hash recorded at upload."""

    kind: str
    file_id: str
    path: Path
    sha256: str


def named_files(session: Session, folder: Path) -> list[Named]:
    """Evidence not removed (in the folder itself) and receipts not erased (in ``declaraties``)."""
    evidence = session.execute(
        select(Evidence.file_id, Evidence.sha256)
        .where(Evidence.deleted_at.is_(None))
        .order_by(Evidence.id)
    )
    receipts = session.execute(
        select(Reimbursement.file_id, Reimbursement.sha256)
        .where(Reimbursement.paid_to != ERASED)
        .order_by(Reimbursement.id)
    )
    return [Named("bewijs", f, folder / f, h) for f, h in evidence] + [
        Named("bonnetje", f, folder / "declaraties" / f, h) for f, h in receipts
    ]


def import_one(session: Session, named: Named) -> str:
    """Store one file under its own id unless it is there already; what happened."""
    if store.exists(session, named.file_id):
        return PRESENT
    if not named.path.is_file():
        return MISSING
    data = named.path.read_bytes()
    if hashlib.sha256(data).hexdigest() != named.sha256:
        return MISMATCH
    store.save(session, data, now=clock.now(), file_id=named.file_id)
    return IMPORTED


@click.group("uploads")
def uploads_group() -> None:
    """Geüploade bestanden (bewijs, bonnetjes): in de database."""


@uploads_group.command("import-folder")
@click.option("--dry-run", is_flag=True, help="Tel wat er ingelezen zou worden; schrijf niets.")
@with_appcontext
def import_folder(dry_run: bool) -> None:
    """Zet de bestanden uit ALMEREPAS_UPLOAD_FOLDER in de database en haal ze uit de map.

    Nog een keer draaien mag: wat al in de database staat, wordt overgeslagen."""
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    session = get_session()
    named = named_files(session, folder)
    outcomes: dict[Path, str] = {}  # by path: a unit of work run again overwrites its own

    def file_step(item: Named) -> Step:
        def step(session: Session) -> str:
            outcomes[item.path] = import_one(session, item)
            return outcomes[item.path]

        return (item.kind, step)

    def record(session: Session) -> str:
        counts = Counter(outcomes.values())
        audit.record(
            session,
            actor=ACTOR,
            action="uploads.import_folder",
            changes={"imported": counts[IMPORTED], "present": counts[PRESENT],
                     "missing": counts[MISSING], "mismatch": counts[MISMATCH]},
        )  # fmt: skip
        return str(folder)

    steps = [file_step(item) for item in named] + [("map", record)]
    run_batch("Uploads naar de database", steps, session, dry_run=dry_run)
    if dry_run:
        return
    # The bytes are committed (or were already): the copy on disk goes, so that pruning and
    # erasure, which now delete rows, leave no copy of a resident's file behind.
    moved = [p for p, outcome in outcomes.items() if outcome in (IMPORTED, PRESENT) and p.is_file()]
    for path in moved:
        path.unlink()
    kept = {p for p, outcome in outcomes.items() if outcome == MISMATCH}
    left = [p for p in folder.rglob("*") if p.is_file() and p not in kept]
    console.print(
        f"{len(moved)} bestanden uit de map gehaald. In {folder} staan nog {len(kept)} die niet"
        f" kloppen met hun SHA-256 en {len(left)} die geen aanvraag of declaratie noemt."
    )
