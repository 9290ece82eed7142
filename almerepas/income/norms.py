"""Social-minimum norms as data: import, correct, look up the one that applies.

Derived (provisional) rows are a fallback only, for a half-year whose table is not published
yet: back-tested on 2024-2026, scaling by the minimum-wage rise missed the published amounts by
up to EUR 3 in January and EUR 22 in July. A published table replaces them on import, and a
derived row is refused for a period that is already published.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from almerepas.audit import log as audit
from almerepas.audit.log import SYSTEM, Actor
from almerepas.core.money import half_up
from almerepas.income.errors import NoNorm, NormImportRefused
from almerepas.income.models import AgeBand, Children, HouseholdType, IncomeAssessment, Norm

NormKey = tuple[HouseholdType, AgeBand, Children]


@dataclass(frozen=True)
class NormRow:
    household_type: HouseholdType
    age_band: AgeBand
    children: Children
    valid_from: dt.date
    valid_to: dt.date
    amount: int
    provisional: bool = False
    source: str | None = None
    note: str | None = None

    @property
    def key(self) -> NormKey:
        return (self.household_type, self.age_band, self.children)


def parse_norms_csv(text: str) -> list[NormRow]:
    """Read the norms CSV (columns as in seed/norms.csv); raise NormImportRefused on bad rows."""
    rows = []
    for line, record in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        try:
            amount = record["norm_cents"].strip()
            if not amount.isdigit():
                raise ValueError(f"norm_cents must be whole cents, not {amount!r}")
            row = NormRow(
                household_type=HouseholdType(record["household_type"].strip()),
                age_band=AgeBand(record["age_band"].strip()),
                children=Children(record["children"].strip()),
                valid_from=dt.date.fromisoformat(record["valid_from"].strip()),
                valid_to=dt.date.fromisoformat(record["valid_to"].strip()),
                amount=int(amount),
                provisional=(record.get("provisional") or "").strip().lower() in ("yes", "true"),
                source=" ; ".join(
                    s for s in (record.get("source_url"), record.get("cross_check_url")) if s
                )
                or None,
                note=(record.get("note") or "").strip() or None,
            )
        except (KeyError, ValueError) as exc:
            raise NormImportRefused(detail=f"regel {line}: {exc}") from exc
        if row.valid_to < row.valid_from or row.amount <= 0:
            raise NormImportRefused(detail=f"regel {line}: periode of bedrag klopt niet")
        rows.append(row)
    return rows


def derive_provisional(
    base: Sequence[NormRow], *, valid_from: dt.date, valid_to: dt.date, factor: Fraction, note: str
) -> list[NormRow]:
    """FALLBACK for a half-year not yet published: scale the rows of the last published one by
    ``factor`` (half up to the cent) and mark them provisional.

    Never for a half-year whose table exists: ``import_norms`` refuses derived rows that overlap
    published ones, and replaces derived rows with the published table when it comes.
    """
    return [
        NormRow(
            household_type=row.household_type,
            age_band=row.age_band,
            children=row.children,
            valid_from=valid_from,
            valid_to=valid_to,
            amount=half_up(row.amount * factor),
            provisional=True,
            source=row.source,
            note=note,
        )
        for row in base
    ]


def _check_series(rows: Iterable[NormRow]) -> None:
    """Per key, periods may neither overlap nor leave a gap."""
    by_key: dict[NormKey, list[NormRow]] = defaultdict(list)
    for row in rows:
        by_key[row.key].append(row)
    for key, series in by_key.items():
        series.sort(key=lambda r: r.valid_from)
        for before, after in itertools.pairwise(series):
            label = "/".join(k.value for k in key)
            if after.valid_from <= before.valid_to:
                raise NormImportRefused(
                    detail=f"{label}: {after.valid_from} overlapt met de periode "
                    f"tot {before.valid_to}"
                )
            if after.valid_from != before.valid_to + dt.timedelta(days=1):
                raise NormImportRefused(
                    detail=f"{label}: gat tussen {before.valid_to} en {after.valid_from}"
                )


def _row_of(norm: Norm) -> NormRow:
    return NormRow(
        norm.household_type,
        norm.age_band,
        norm.children,
        norm.valid_from,
        norm.valid_to,
        norm.amount,
        norm.provisional,
        norm.source,
        norm.note,
    )


@dataclass(frozen=True)
class ImportResult:
    added: int
    replaced_provisional: int
    unchanged: int


def _refuse_duplicates(rows: Sequence[NormRow]) -> None:
    seen: set[tuple[NormKey, dt.date]] = set()
    for row in rows:
        if (row.key, row.valid_from) in seen:
            raise NormImportRefused(
                detail=f"{'/'.join(k.value for k in row.key)} vanaf {row.valid_from} staat er "
                "twee keer in"
            )
        seen.add((row.key, row.valid_from))


def _uncovered(norm: Norm, published: Sequence[NormRow]) -> list[NormRow]:
    """The parts of a provisional norm's period that no published row covers."""
    pieces = [(norm.valid_from, norm.valid_to)]
    for row in published:
        if row.key != (norm.household_type, norm.age_band, norm.children):
            continue
        cut = []
        for start, end in pieces:
            if row.valid_to < start or end < row.valid_from:
                cut.append((start, end))
                continue
            if start < row.valid_from:
                cut.append((start, row.valid_from - dt.timedelta(days=1)))
            if row.valid_to < end:
                cut.append((row.valid_to + dt.timedelta(days=1), end))
        pieces = cut
    kept = _row_of(norm)
    return [
        NormRow(*kept.key, start, end, kept.amount, True, kept.source, kept.note)
        for start, end in pieces
    ]


def import_norms(
    session: Session,
    rows: Sequence[NormRow],
    *,
    actor: Actor = SYSTEM,
    source: str | None = None,
) -> ImportResult:
    """Add published (or provisional) rows; published rows replace the provisional ones they
    overlap, and what a provisional row covered beyond them stays provisional.

    Refuses, writing nothing, when the input names a period twice, when the result would overlap
    or leave a gap in any series, or when a published row would change a published amount.
    Assessments made on a replaced provisional norm keep their own copy of its amount and are
    linked to the row that now covers their date. Writes ``norms.import`` with the counts.
    """
    _refuse_duplicates(rows)
    existing = list(session.scalars(select(Norm)))
    published = [r for r in rows if not r.provisional]
    replaced = [
        n
        for n in existing
        if n.provisional
        and any(
            r.key == (n.household_type, n.age_band, n.children)
            and r.valid_from <= n.valid_to
            and n.valid_from <= r.valid_to
            for r in published
        )
    ]
    remainders = [piece for n in replaced for piece in _uncovered(n, published)]
    kept = {(_row_of(n).key, n.valid_from): n for n in existing if n not in replaced}
    incoming = {(r.key, r.valid_from): r for r in rows}
    unchanged = 0
    for ident, row in list(incoming.items()):
        current = kept.get(ident)
        if current is None:
            continue
        if current.amount == row.amount and current.valid_to == row.valid_to:
            unchanged += 1
            del incoming[ident]
        elif not current.provisional:
            raise NormImportRefused(
                detail=f"{'/'.join(k.value for k in row.key)} vanaf {row.valid_from} is al "
                "gepubliceerd met een ander bedrag"
            )
    new_rows = list(incoming.values()) + remainders
    _check_series([_row_of(n) for n in kept.values()] + new_rows)
    # A replaced provisional row becomes the new row that starts on its first day (so its id,
    # which assessments point to, lives on); the other new rows are inserted.
    starts = {(n.household_type, n.age_band, n.children, n.valid_from): n for n in replaced}
    added: list[Norm] = []
    for row in new_rows:
        norm = starts.pop((*row.key, row.valid_from), None) or Norm()
        norm.household_type, norm.age_band, norm.children = row.key
        norm.valid_from, norm.valid_to, norm.amount = row.valid_from, row.valid_to, row.amount
        norm.provisional, norm.source, norm.note = row.provisional, row.source, row.note
        if norm.id is None:
            added.append(norm)
    session.flush()
    session.add_all(added)
    session.flush()
    for old in replaced:
        for new in added:
            if (new.household_type, new.age_band, new.children) == (
                old.household_type,
                old.age_band,
                old.children,
            ):
                session.execute(
                    update(IncomeAssessment)
                    .where(IncomeAssessment.norm_id == old.id)
                    .where(IncomeAssessment.assessed_on.between(new.valid_from, new.valid_to))
                    .values(norm_id=new.id)
                )
    for leftover in starts.values():  # no new row starts where it did: its dates moved on
        session.delete(leftover)
    session.flush()
    result = ImportResult(
        added=len(incoming), replaced_provisional=len(replaced), unchanged=unchanged
    )
    audit.record(
        session,
        actor=actor,
        action="norms.import",
        changes={"run": {"file": source, **result.__dict__}},
    )
    return result


@dataclass(frozen=True)
class NormCorrection:
    """A published amount that was wrong: ``wrong`` becomes ``right`` for the row of ``key``
    that starts on ``valid_from``."""

    key: NormKey
    valid_from: dt.date
    wrong: int
    right: int
    source: str | None
    note: str | None


def parse_corrections_csv(text: str) -> list[NormCorrection]:
    """Read a corrections CSV (columns as in seed/norm_corrections.csv)."""
    corrections = []
    for line, record in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        try:
            wrong, right = record["wrong_cents"].strip(), record["norm_cents"].strip()
            if not (wrong.isdigit() and right.isdigit()):
                raise ValueError("wrong_cents and norm_cents must be whole cents")
            corrections.append(
                NormCorrection(
                    key=(
                        HouseholdType(record["household_type"].strip()),
                        AgeBand(record["age_band"].strip()),
                        Children(record["children"].strip()),
                    ),
                    valid_from=dt.date.fromisoformat(record["valid_from"].strip()),
                    wrong=int(wrong),
                    right=int(right),
                    source=" ; ".join(
                        s for s in (record.get("source_url"), record.get("cross_check_url")) if s
                    )
                    or None,
                    note=(record.get("note") or "").strip() or None,
                )
            )
        except (KeyError, ValueError) as exc:
            raise NormImportRefused(detail=f"regel {line}: {exc}") from exc
    return corrections


def correct_norms(
    session: Session, corrections: Sequence[NormCorrection], *, actor: Actor = SYSTEM
) -> int:
    """Set each published amount that still holds its known wrong value to the right one.

    ``import_norms`` refuses to change a published amount (a typo in a file must not rewrite
    history); a correction names both the wrong and the right amount, so it changes only the row
    it was reviewed for, and running it again changes nothing. An amount that is neither (an
    installation imported its own figure) is left alone. Assessments keep the amount they were
    decided with (``norm_amount``). Writes ``norms.correct`` per corrected row; returns how many.
    """
    corrected = 0
    for correction in corrections:
        household_type, age_band, children = correction.key
        norm = session.scalars(
            select(Norm).where(
                Norm.household_type == household_type,
                Norm.age_band == age_band,
                Norm.children == children,
                Norm.valid_from == correction.valid_from,
                Norm.provisional.is_(False),
            )
        ).one_or_none()
        if norm is None or norm.amount != correction.wrong:
            continue
        norm.amount, norm.source, norm.note = correction.right, correction.source, correction.note
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="norms.correct",
            entity_type="norm",
            entity_id=norm.id,
            changes={"amount": [correction.wrong, correction.right]},
        )
        corrected += 1
    return corrected


@dataclass(frozen=True)
class NormTable:
    """Every norm, read once, to find the norm of any day without a query per person (a grant
    run judges a whole city). The same choice as ``norm_for``, plus ``latest``."""

    rows: tuple[tuple[NormKey, dt.date, dt.date, int], ...]

    def amount_on(self, key: NormKey, on: dt.date) -> int | None:
        """The norm for this composition on this date, in cents; None when the table has none.
        A row for this exact number of children wins over one that holds for any."""
        household_type, age_band, children = key
        found = [
            (row_key[2] == Children.any, amount)
            for row_key, start, end, amount in self.rows
            if row_key[:2] == (household_type, age_band)
            and row_key[2] in (children, Children.any)
            and start <= on <= end
        ]
        return min(found)[1] if found else None

    def latest(self, key: NormKey, on: dt.date) -> int | None:
        """The norm on this date, or else the newest one before it: the norm last known for a
        half-year that is not published (nor derived) yet."""
        if (amount := self.amount_on(key, on)) is not None:
            return amount
        household_type, age_band, children = key
        before = [
            (end, row_key[2] != Children.any, amount)
            for row_key, _, end, amount in self.rows
            if row_key[:2] == (household_type, age_band)
            and row_key[2] in (children, Children.any)
            and end < on
        ]
        return max(before)[2] if before else None


def norm_table(session: Session) -> NormTable:
    """All norms in one query (a few dozen rows per year)."""
    query = select(Norm.household_type, Norm.age_band, Norm.children, Norm.valid_from,
                   Norm.valid_to, Norm.amount)  # fmt: skip
    return NormTable(
        tuple(
            ((t, band, kids), start, end, amount)
            for t, band, kids, start, end, amount in session.execute(query)
        )
    )


def norm_for(session: Session, key: NormKey, on: dt.date) -> Norm:
    """The norm for this household composition on this date; raises NoNorm when there is none."""
    household_type, age_band, children = key
    candidates = session.scalars(
        select(Norm).where(
            Norm.household_type == household_type,
            Norm.age_band == age_band,
            Norm.children.in_([children, Children.any]),
            Norm.valid_from <= on,
            Norm.valid_to >= on,
        )
    ).all()
    if not candidates:
        raise NoNorm(detail=f"Er is geen norm voor {on.isoformat()}.", on=on.isoformat())
    # A row for this exact number of children wins over one that holds for any.
    return sorted(candidates, key=lambda n: n.children == Children.any)[0]
