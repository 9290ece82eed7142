"""Reference data every installation needs: postcodes by district, norms, and the seed schemes,
read from the gemeente's data folder (almerepas.core.gemeente).

Loading is idempotent: rows that exist are left alone (a caseworker's postcode correction, a
scheme changed by staff), so running it again changes nothing.
"""

from __future__ import annotations

import csv
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.audit.log import SYSTEM, Actor
from almerepas.core import clock, gemeente
from almerepas.core.crypto import Keyring
from almerepas.core.session import Step
from almerepas.households.models import PostcodeDistrict
from almerepas.income import norms
from almerepas.passes import keys as signing
from almerepas.schemes import catalogue as schemes
from almerepas.schemes.models import Scheme

#: The shipped folder: Almere's data and the national norm tables (SOURCES.md says where each
#: file comes from), oldest table first; a new year is a new file.
SEED_DIR = gemeente.SHIPPED
NORM_FILES = ("norms.csv", "norms_2026.csv")


class UnknownDistrict(ValueError):
    """The postcodes file names a district the gemeente's folder does not list."""


def load_postcodes(session: Session) -> str:
    """Every PC4 of the gemeente with its district (by code or label); empty: a PO-box range."""
    place = gemeente.current()
    existing = set(session.scalars(select(PostcodeDistrict.pc4)))
    added = 0
    with place.postcodes.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["pc4"] in existing:
                continue
            district = place.district_by_name(row["district"]) if row["district"] else None
            if row["district"] and district is None:
                raise UnknownDistrict(f"{place.postcodes}: {row['pc4']} {row['district']!r}")
            session.add(
                PostcodeDistrict(
                    pc4=row["pc4"],
                    district=district,
                    confidence=row["confidence"],
                    source=(row.get("source_url") or "")[:500] or None,
                    note=(row.get("note") or None) and row["note"][:500],
                )
            )
            added += 1
    session.flush()
    return f"{added} added" if added else "unchanged"


def load_norms(session: Session, *, actor: Actor = SYSTEM) -> str:
    """Correct the published amounts known to be wrong, then add the seed norms: an installation
    that loaded an older seed gets the newly published tables (they replace its provisional
    rows) and the corrections by running ``reference load`` again."""
    file = gemeente.current().norm_corrections
    corrections = norms.parse_corrections_csv(file.read_text(encoding="utf-8")) if file else []
    corrected = norms.correct_norms(session, corrections, actor=actor) if corrections else 0
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


def seed_norm_rows() -> list[norms.NormRow]:
    """The published norms the gemeente's folder names, oldest first (a new year is a new
    file; no derived rows: every table is published)."""
    rows: list[norms.NormRow] = []
    for path in gemeente.current().norms:
        rows += norms.parse_norms_csv(path.read_text(encoding="utf-8"))
    return rows


def seed_schemes() -> list[dict[str, Any]]:
    """The schemes the gemeente runs today, as a new installation starts with them."""
    data: list[dict[str, Any]] = json.loads(gemeente.current().schemes.read_text("utf-8"))
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
