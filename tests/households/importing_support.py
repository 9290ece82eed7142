"""Import files as the gemeente would send them, written by the tests, and synthetic BSNs."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator, Sequence
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almerepas.applications import import_file, importing
from almerepas.audit.log import Actor
from almerepas.core import clock
from almerepas.models import (
    AuditEvent,
    CardPrint,
    Grant,
    Household,
    IncomeAssessment,
    Membership,
    Pass,
    Person,
)
from tests.factories import KEYS

HEADER = import_file.COLUMNS
ACTOR = Actor("staff:consulent", role="caseworker")
#: Tables an import writes to (besides the ledger behind the grants).
TABLES = (Household, Person, Membership, IncomeAssessment, Pass, Grant, CardPrint)


def bsns(start: int = 10_000_000) -> Iterator[str]:
    """Synthetic BSNs that pass the eleven test: eight digits and the check digit that fits."""
    prefix = start
    while True:
        digits = f"{prefix:08d}"
        total = sum(int(d) * w for d, w in zip(digits, range(9, 1, -1), strict=True))
        check = total % 11
        if check <= 9 and digits + str(check) != "000000000":
            yield digits + str(check)
        prefix += 1


def person(
    bsn: str,
    key: str,
    role: str,
    born: str,
    *,
    name: str = "Sam",
    postcode: str = "1315 AB",
    number: str = "12",
    street: str = "Stadhuisplein",
    source: str = "bijstand",
    income: str = "",
    since: str = "01-01-2026",
) -> dict[str, str]:
    """One row of the file; a child has source 'geen' and no income unless told otherwise."""
    return {
        "bsn": bsn,
        "huishouden": key,
        "rol": role,
        "geboortedatum": born,
        "voornaam": name,
        "achternaam": "Jansen",
        "straat": street,
        "postcode": postcode,
        "huisnummer": number,
        "toevoeging": "",
        "inkomensbron": source,
        "netto_per_maand": income,
        "sinds": since,
    }


def csv_text(rows: Sequence[dict[str, str]]) -> str:
    lines = [";".join(HEADER)]
    lines += [";".join(row[c] for c in HEADER) for row in rows]
    return "\r\n".join(lines) + "\r\n"


def write_file(path: Path, rows: Sequence[dict[str, str]]) -> Path:
    path.write_text(csv_text(rows), encoding="utf-8")
    return path


def run_import(
    session: Session, rows: Sequence[dict[str, str]], *, source: str = "bijstand"
) -> importing.ImportReport:
    """The domain import of a file with these rows, as the CLI calls it."""
    text = csv_text(rows)
    today = clock.today()
    parsed = import_file.read_file(session, text, today=today)
    return importing.import_households(
        session, parsed, source=source, sha256=hashlib.sha256(text.encode()).hexdigest(),
        actor=ACTOR, keys=KEYS, now=clock.now(), today=today,
    )  # fmt: skip


def counts(session: Session) -> dict[str, int]:
    """Rows per table an import touches, and the audit rows."""
    found = {t.__name__: session.scalar(select(func.count()).select_from(t)) or 0 for t in TABLES}
    found["AuditEvent"] = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    return found


def single_parent(
    bsn_of: Iterator[str], key: str, income: str, **extra: str
) -> list[dict[str, str]]:
    """A mother of 40 on bijstand with a daughter of 10, at one address (March 2026)."""
    return [
        person(next(bsn_of), key, "aanvrager", "15-05-1985", name="Fatima", income=income, **extra),
        person(next(bsn_of), key, "kind", "20-01-2016", name="Noor", source="geen", **extra),
    ]


def day(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%d-%m-%Y").date()  # noqa: DTZ007 - a date
