"""Reference data every installation needs: postcodes by district, norms, and the seed schemes.

Loading is idempotent: rows that exist are left alone (a caseworker's postcode correction, a
scheme changed by staff), so running it again changes nothing.
"""

from __future__ import annotations

import csv
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas import norms, schemes
from almerepas.batch import Step
from almerepas.models import District, PostcodeDistrict, Scheme
from almerepas.norms import SEED_DIR

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


def load_norms(session: Session) -> str:
    result = norms.import_norms(session, norms.seed_rows())
    return f"{result.added} added" if result.added else "unchanged"


def load_schemes(session: Session) -> str:
    existing = set(session.scalars(select(Scheme.code)))
    added = 0
    for data in schemes.seed_schemes():
        if data["code"] not in existing:
            schemes.create_scheme(session, data)
            added += 1
    return f"{added} added" if added else "unchanged"


def reference_steps() -> list[Step]:
    loaders: list[tuple[str, Callable[[Session], str]]] = [
        ("postcodes", load_postcodes),
        ("normen", load_norms),
        ("regelingen", load_schemes),
    ]
    return loaders
