"""Reference data every installation needs: postcodes by district, norms, and the seed schemes.

Loading is idempotent: rows that exist are left alone (a caseworker's postcode correction, a
scheme changed by staff), so running it again changes nothing.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.audit.log import SYSTEM, Actor
from almerepas.core import clock
from almerepas.core.crypto import Keyring
from almerepas.core.session import Step
from almerepas.households.models import District, PostcodeDistrict
from almerepas.income import norms
from almerepas.passes import keys as signing
from almerepas.schemes import catalogue as schemes
from almerepas.schemes.models import Scheme

#: The reference data shipped with the code; SOURCES.md says where each file comes from.
SEED_DIR = Path(__file__).with_name("seed")

DISTRICTS_BY_NAME = {
    "Almere Stad": District.stad,
    "Almere Haven": District.haven,
    "Almere Buiten": District.buiten,
    "Almere Poort": District.poort,
    "Almere Hout": District.hout,
    "Almere Pampus": District.pampus,
}


def load_postcodes(session: Session) -> str:
    existing = set(session.scalars(select(PostcodeDistrict.pc4)))
    added = 0
    with (SEED_DIR / "postcodes.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["pc4"] in existing:
                continue
            session.add(
                PostcodeDistrict(
                    pc4=row["pc4"],
                    district=DISTRICTS_BY_NAME.get(row["district"]),
                    confidence=row["confidence"],
                    source=row["source_url"][:500],
                    note=(row["note"] or None) and row["note"][:500],
                )
            )
            added += 1
    session.flush()
    return f"{added} added" if added else "unchanged"


def load_norms(session: Session, *, actor: Actor = SYSTEM) -> str:
    """Correct the published amounts known to be wrong, then add the seed norms: an installation
    that loaded an older seed gets the newly published tables (they replace its provisional
    rows) and the corrections by running ``reference load`` again."""
    corrections = norms.parse_corrections_csv(
        (SEED_DIR / "norm_corrections.csv").read_text(encoding="utf-8")
    )
    corrected = norms.correct_norms(session, corrections, actor=actor)
    result = norms.import_norms(session, seed_norm_rows(), actor=actor, source="seed")
    done = [f"{result.added} added"] if result.added else []
    done += [f"{corrected} corrected"] if corrected else []
    return ", ".join(done) or "unchanged"


def load_schemes(session: Session, *, actor: Actor = SYSTEM) -> str:
    existing = set(session.scalars(select(Scheme.code)))
    added = 0
    for data in seed_schemes():
        if data["code"] not in existing:
            schemes.create_scheme(session, data, actor=actor)
            added += 1
    return f"{added} added" if added else "unchanged"


#: The published norm tables shipped with the code, oldest first; a new year is a new file.
NORM_FILES = ("norms.csv", "norms_2026.csv")


def seed_norm_rows() -> list[norms.NormRow]:
    """The published norms shipped with the code (no derived rows: every table is published)."""
    rows: list[norms.NormRow] = []
    for name in NORM_FILES:
        rows += norms.parse_norms_csv((SEED_DIR / name).read_text(encoding="utf-8"))
    return rows


def seed_schemes() -> list[dict[str, Any]]:
    """The schemes Almere runs today, as a new installation starts with them."""
    data: list[dict[str, Any]] = json.loads((SEED_DIR / "schemes.json").read_text("utf-8"))
    return data


def load_keys(session: Session, *, keys: Keyring, actor: Actor = SYSTEM) -> str:
    """A signing key for every family that has none (a new installation); then nothing."""
    made = signing.ensure_keys(session, keys=keys, actor=actor, now=clock.now())
    return f"{len(made)} created" if made else "unchanged"


def reference_steps(*, actor: Actor = SYSTEM, keys: Keyring | None = None) -> list[Step]:
    """Postcodes, norms and schemes, each a step of a batch; the audit rows name ``actor``.
    With ``keys``, also the signing keys that pass codes need."""
    steps: list[Step] = [
        ("postcodes", load_postcodes),
        ("normen", lambda session: load_norms(session, actor=actor)),
        ("regelingen", lambda session: load_schemes(session, actor=actor)),
    ]
    if keys is not None:
        steps.append(("sleutels", lambda session: load_keys(session, keys=keys, actor=actor)))
    return steps
