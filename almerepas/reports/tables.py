"""The figures as tables people may see: small counts hidden, labels marked for translation.

Pages, CSV files and the API all read these tables, so what is hidden is hidden everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from almerepas.core import gemeente
from almerepas.core.i18n import N_
from almerepas.reports import figures
from almerepas.reports.privacy import Hidden, Shown, protect_columns, protect_row
from almerepas.reports.scope import ReportFilter

#: What a cell holds: text, a count that may be hidden, an amount in cents or units, or nothing.
Cell = str | int | Shown | None

UNKNOWN_DISTRICT_LABEL = N_("Onbekende wijk")


def district_label(code: str | None) -> str:
    """The district's name from the gemeente's data folder; the unknown bucket's is text."""
    return gemeente.current().district_label(code) or UNKNOWN_DISTRICT_LABEL


@dataclass(frozen=True)
class Column:
    key: str
    #: Dutch, marked for translation; the face translates it
    label: str
    #: ``text``, ``count`` (of persons or households: may be hidden), ``number``, ``amount``
    #: (in the row's unit) or ``percent``
    kind: str = "count"


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[list[Cell]]
    #: the row of totals, where the rows add up
    totals: list[Cell] | None = None
    notes: list[str] = field(default_factory=list)


def percent(part: Shown, whole: Shown) -> int | None:
    """A whole percentage, rounded half up; none when either count is hidden or nothing to share."""
    if isinstance(part, int) and isinstance(whole, int) and whole > 0:
        return (part * 200 + whole) // (whole * 2)
    return None


FUNNEL = [
    Column("eligible", N_("Recht")),
    Column("granted", N_("Toegekend")),
    Column("activated", N_("Pas gebruikt")),
    Column("first_use", N_("Iets gebruikt")),
    Column("half_used", N_("Meer dan de helft gebruikt")),
]


#: (parent, child) columns of the schemes table's counts (persons, households, with a pass, then
#: the funnel): the child counts some of the parent's beneficiaries, so their difference is a
#: count of persons too (privacy.protect).
SCHEME_NESTED = [(3, 2), (3, 4), (3, 5), (3, 6), (6, 7)]
#: The same for the district table (persons, with a pass, then the funnel).
DISTRICT_NESTED = [(2, 1), (2, 3), (2, 4), (2, 5), (5, 6)]


def _funnel(row: figures.SchemeFigures) -> list[int]:
    f = row.funnel
    return [f.eligible, f.granted, f.activated, f.first_use, f.half_used]


def schemes_table(session: Session, f: ReportFilter) -> Table:
    """Per scheme: who it reached, how far they got, and where the money went."""
    rows: list[list[Cell]] = []
    for row in figures.by_scheme(session, f):
        raw = [row.persons, row.households, row.with_pass, *_funnel(row)]
        counts = protect_row(raw, SCHEME_NESTED)
        take_up = percent(counts[6], counts[3])
        amounts: list[Cell] = [
            *(row.granted, row.redeemed, row.reversed, row.expired, row.spent, row.settled)
        ]
        used = percent(row.spent, row.annual_budget) if row.annual_budget else None
        if f.district is not None and isinstance(counts[0], Hidden):
            # What a few persons in one district spent says something about each of them.
            amounts, used = [None] * len(amounts), None
        rows.append(
            [*(row.scheme, row.name, row.unit, *counts, take_up), *amounts, row.annual_budget, used]
        )
    columns = [
        Column("scheme", N_("Code"), "text"),
        Column("name", N_("Regeling"), "text"),
        Column("unit", N_("Eenheid"), "text"),
        Column("persons", N_("Personen met recht")),
        Column("households", N_("Huishoudens met recht")),
        Column("with_pass", N_("Met een pas")),
        *FUNNEL,
        Column("take_up", N_("Bereik (%)"), "percent"),
        Column("granted_amount", N_("Toegekend bedrag"), "amount"),
        Column("redeemed", N_("Besteed"), "amount"),
        Column("reversed", N_("Teruggedraaid"), "amount"),
        Column("expired", N_("Vervallen"), "amount"),
        Column("spent", N_("Netto besteed"), "amount"),
        Column("settled", N_("Afgerekend met partners (euro)"), "amount"),
        Column("annual_budget", N_("Jaarbudget"), "amount"),
        Column("budget_used", N_("Deel van het jaarbudget (%)"), "percent"),
    ]
    return Table("regelingen", N_("Per regeling"), columns, rows)


def districts_table(session: Session, f: ReportFilter, scheme: str) -> Table:
    """One scheme per district, with the total of all districts; complements hidden too."""
    per_district = [
        r for r in figures.by_scheme(session, f, per_district=True) if r.scheme == scheme
    ]
    whole = [r for r in figures.by_scheme(session, f) if r.scheme == scheme]
    counts = [[r.persons, r.with_pass, *_funnel(r)] for r in per_district]
    totals = [whole[0].persons, whole[0].with_pass, *_funnel(whole[0])] if whole else []
    protected = protect_columns(counts, totals, DISTRICT_NESTED) if whole else None
    rows: list[list[Cell]] = []
    for r, cells in zip(per_district, protected.rows if protected else [], strict=True):
        rows.append([district_label(r.district), *cells, percent(cells[5], cells[2])])
    total_row: list[Cell] | None = None
    if protected:
        cells = protected.totals
        total_row = [N_("Alle wijken"), *cells, percent(cells[5], cells[2])]
    columns = [
        Column("district", N_("Wijk"), "text"),
        Column("persons", N_("Personen met recht")),
        Column("with_pass", N_("Met een pas")),
        *FUNNEL,
        Column("take_up", N_("Bereik (%)"), "percent"),
    ]
    return Table(f"wijken-{scheme}", N_("Per wijk"), columns, rows, total_row)


def months_table(session: Session, f: ReportFilter) -> Table:
    """Per scheme and month: who had a running grant, and who had used it by the month's end."""
    rows: list[list[Cell]] = []
    for row in figures.take_up_by_month(session, f):
        if not row.eligible:
            continue
        eligible, used = protect_row([row.eligible, row.used], [(0, 1)])
        rows.append([row.scheme, row.name, f"{f.year}-{row.month:02d}", eligible, used])
        rows[-1].append(percent(used, eligible))
    columns = [
        Column("scheme", N_("Code"), "text"),
        Column("name", N_("Regeling"), "text"),
        Column("month", N_("Maand"), "text"),
        Column("eligible", N_("Recht")),
        Column("used", N_("Iets gebruikt")),
        Column("take_up", N_("Bereik (%)"), "percent"),
    ]
    return Table("maanden", N_("Bereik per maand"), columns, rows)


def partners_table(session: Session, f: ReportFilter) -> Table:
    """Per partner and scheme: redemptions (events, not persons) and amounts."""
    rows: list[list[Cell]] = [
        [r.partner, r.scheme, r.unit, r.redemptions, r.redeemed, r.reversed]
        for r in figures.by_partner(session, f)
    ]
    columns = [
        Column("partner", N_("Partner"), "text"),
        Column("scheme", N_("Regeling"), "text"),
        Column("unit", N_("Eenheid"), "text"),
        Column("redemptions", N_("Aantal keer gebruikt"), "number"),
        Column("redeemed", N_("Besteed"), "amount"),
        Column("reversed", N_("Teruggedraaid"), "amount"),
    ]
    return Table("partners", N_("Per partner"), columns, rows)


def csv_cell(cell: Cell) -> str:
    """A cell in a CSV file: a hidden count as ``< 10``, amounts as whole cents or units, and a
    name (a partner's) as text, never as a formula in a spreadsheet."""
    if cell is None:
        return ""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return str(cell)


def csv_rows(table: Table, labels: Sequence[str]) -> list[list[str]]:
    """The table as CSV rows: the (translated) header, the rows, then the totals."""
    body = [[csv_cell(c) for c in row] for row in table.rows]
    if table.totals is not None:
        body.append([csv_cell(c) for c in table.totals])
    return [list(labels), *body]
