"""What counts as income: a household's income per member and kind, counted as data says.

``income_kinds.csv`` (beside this module, read once and checked) has one row per kind of income:
its Dutch ``label``, its ``treatment`` (``counts`` per month, ``excluded``, or ``yearly``: entered
as a year's amount, of which 1/12 counts per month, half up to the cent), whether it counts for a
member under 18 (``minors``), the ``rule`` in one sentence and its ``source``.

Whose income counts (Participatiewet art. 4, the family): the applicant's and the partner's, and
a child's under 18 for the kinds whose ``minors`` is ``counts`` (not earnings). A lodger (role
``other``) and a child of 18 or older are not the family: their lines are kept, counted as 0.
:func:`count` is a plain function of the lines and the members on the assessment date.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import MappingProxyType
from typing import Any

from almerepas.core.i18n import N_
from almerepas.core.money import half_up
from almerepas.households.models import MemberRole, Membership
from almerepas.income.errors import InvalidIncomeLines
from almerepas.income.models import LineReason, Per
from almerepas.income.rules import age_on

#: More lines than any household has; keeps a request (and its audit row) small.
MAX_LINES = 50
#: Ten million euros: above this an amount is a typing error (a month's or a year's).
MAX_AMOUNT = 10**9
#: The detail of a refusal that names its fields in ``errors``, as the API's schema refusals.
SEE_ERRORS = N_("Een of meer velden kloppen niet. Zie 'errors' voor wat er mis is.")

_IDENTIFIER = re.compile(r"[a-z][a-z_]{0,39}")
_COLUMNS = ["kind", "label", "treatment", "minors", "rule", "source"]


class Treatment(enum.StrEnum):
    counts = "counts"
    excluded = "excluded"
    #: entered per year, counts as 1/12 per month
    yearly = "yearly"


class Minors(enum.StrEnum):
    """Whether a kind counts for a member under 18 on the assessment date."""

    counts = "counts"
    excluded = "excluded"


@dataclass(frozen=True)
class IncomeKind:
    kind: str
    label: str
    treatment: Treatment
    minors: Minors
    rule: str
    source: str

    @property
    def per(self) -> Per:
        return Per.year if self.treatment == Treatment.yearly else Per.month


KINDS_CSV = Path(__file__).with_name("income_kinds.csv")


@functools.cache
def income_kinds() -> Mapping[str, IncomeKind]:
    """The table in ``income_kinds.csv`` by kind, in its order, read once."""
    return read_income_kinds(KINDS_CSV)


def read_income_kinds(path: Path) -> Mapping[str, IncomeKind]:
    """A table of income kinds, checked: ValueError naming the line for a bad one."""
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames != _COLUMNS:
            raise ValueError(f"{path.name}: columns must be {_COLUMNS}")
        rows = list(reader)
    kinds: dict[str, IncomeKind] = {}
    for line, row in enumerate(rows, start=2):
        if None in row or None in row.values():
            raise ValueError(f"{path.name} line {line}: needs exactly {len(_COLUMNS)} fields")
        try:
            kind = IncomeKind(
                kind=row["kind"],
                label=row["label"].strip(),
                treatment=Treatment(row["treatment"]),
                minors=Minors(row["minors"]),
                rule=row["rule"].strip(),
                source=row["source"].strip(),
            )
        except ValueError as exc:
            raise ValueError(f"{path.name} line {line}: {exc}") from None
        if not _IDENTIFIER.fullmatch(kind.kind) or kind.kind in kinds:
            raise ValueError(f"{path.name} line {line}: bad or repeated kind {kind.kind!r}")
        if not (kind.label and kind.rule and kind.source):
            raise ValueError(f"{path.name} line {line}: label, rule and source are required")
        if kind.treatment == Treatment.excluded and kind.minors != Minors.excluded:
            raise ValueError(f"{path.name} line {line}: an excluded kind counts for nobody")
        kinds[kind.kind] = kind
    if not kinds:
        raise ValueError(f"{path.name}: no kinds")
    return MappingProxyType(kinds)


@dataclass(frozen=True)
class IncomeLineInput:
    """One income as entered: whose (a person id), which kind, and cents per month or year."""

    person_id: int
    kind: str
    amount: int


@dataclass(frozen=True)
class Member:
    """A member of the household on the assessment date, as counting needs it."""

    person_id: int
    role: MemberRole
    born: dt.date

    @classmethod
    def of(cls, membership: Membership) -> Member:
        return cls(membership.person_id, membership.role, membership.person.date_of_birth)


@dataclass(frozen=True)
class CountedLine:
    person_id: int
    kind: str
    amount: int
    per: Per
    #: cents per month that count
    counted: int
    reason: LineReason


@dataclass(frozen=True)
class Breakdown:
    """How a household's monthly income is made: every line with what it counts for."""

    lines: tuple[CountedLine, ...]

    @property
    def total(self) -> int:
        return sum(line.counted for line in self.lines)


def in_family(member: Member, day: dt.date) -> bool:
    """The family of art. 4 Participatiewet: applicant, partner and children under 18."""
    if member.role in (MemberRole.applicant, MemberRole.partner):
        return True
    return member.role == MemberRole.child and age_on(member.born, day) < 18


def count_line(line: IncomeLineInput, member: Member, day: dt.date) -> CountedLine:
    """What one checked line counts for on ``day`` (the assessment date), and why."""
    kind = income_kinds()[line.kind]
    if not in_family(member, day):
        counted, reason = 0, LineReason.not_in_family
    elif kind.treatment == Treatment.excluded:
        counted, reason = 0, LineReason.excluded_kind
    elif kind.minors == Minors.excluded and age_on(member.born, day) < 18:
        counted, reason = 0, LineReason.minor_earnings
    elif kind.treatment == Treatment.yearly:
        counted, reason = half_up(Fraction(line.amount, 12)), LineReason.spread_over_year
    else:
        counted, reason = line.amount, LineReason.counts
    return CountedLine(line.person_id, line.kind, line.amount, kind.per, counted, reason)


def count(lines: Sequence[IncomeLineInput], members: Sequence[Member], day: dt.date) -> Breakdown:
    """Every line counted, in the order given.

    :raises InvalidIncomeLines: naming each wrong field (``lines.2.amount``): an amount that is
        not whole cents (a float, a bool), negative or above ``MAX_AMOUNT``, a kind not in the
        table, a person who is not a member of the household on ``day``, more than
        ``MAX_LINES`` lines.
    """
    check(lines, members)
    by_person = {m.person_id: m for m in members}
    return Breakdown(tuple(count_line(line, by_person[line.person_id], day) for line in lines))


def check(lines: Sequence[IncomeLineInput], members: Sequence[Member]) -> None:
    """Refuse what :func:`count` cannot count, naming every wrong field at once."""
    errors: list[dict[str, str]] = []

    def wrong(field: str, detail: str) -> None:
        errors.append({"field": field, "in": "json", "detail": detail})

    if len(lines) > MAX_LINES:
        wrong("lines", f"Hoogstens {MAX_LINES} regels.")
    present = {m.person_id for m in members}
    kinds = income_kinds()
    for i, line in enumerate(lines[:MAX_LINES]):
        if not _is_int(line.amount):
            wrong(f"lines.{i}.amount", "Vul een heel aantal centen in, zonder komma.")
        elif line.amount < 0:
            wrong(f"lines.{i}.amount", "Een bedrag kan niet negatief zijn.")
        elif line.amount > MAX_AMOUNT:
            wrong(f"lines.{i}.amount", "Dit bedrag is te hoog.")
        if not isinstance(line.kind, str) or line.kind not in kinds:
            wrong(f"lines.{i}.kind", "Onbekende soort inkomen. Kies uit: " + ", ".join(kinds))
        if not _is_int(line.person_id):
            wrong(f"lines.{i}.person_id", "Geef het nummer (id) van een lid.")
        elif line.person_id not in present:
            wrong(
                f"lines.{i}.person_id",
                "Deze persoon hoort op de peildatum niet bij het huishouden.",
            )
    if errors:
        raise InvalidIncomeLines(SEE_ERRORS, errors=errors)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
