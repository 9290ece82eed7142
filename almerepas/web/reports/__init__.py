"""Figures for policy staff (docs/reports.md): take-up, spend and reach per scheme, district and
month, as tables with SVG charts and a CSV file of every table. No JavaScript; small counts of
persons are hidden as "< 10" in the domain's tables (almerepas.reports.tables), so here too.
They read through the read session: a replica when one is configured, and then say how fresh."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, Response, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.core import clock, gemeente
from almerepas.core.money import format_cents
from almerepas.core.replica import Freshness
from almerepas.core.session import get_read_freshness, get_read_session, transactional
from almerepas.http.guard import require_role
from almerepas.reports import snapshot, tables
from almerepas.reports.privacy import Hidden
from almerepas.reports.scope import ReportFilter
from almerepas.schemes.models import Scheme
from almerepas.web.caseworker import quantity, scheme_name
from almerepas.web.reports import charts

#: A snapshot older than this missed a night's count: the page says so (docs/reports.md).
STALE = dt.timedelta(hours=36)

blp = Blueprint("report_pages", __name__, url_prefix="/medewerkers/cijfers")


def init_app(app: Flask) -> None:
    app.register_blueprint(blp)


def _number(name: str, low: int, high: int) -> int | ValueError | None:
    """A whole number from ``low`` to ``high`` in the query, None when empty."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    return int(raw) if raw.isdigit() and low <= int(raw) <= high else ValueError(name)


def _filter() -> tuple[ReportFilter, list[tuple[str, str]]]:
    """The year, month and district asked for; a wrong one is named and the default used."""
    errors: list[tuple[str, str]] = []
    year = _number("jaar", 2000, 2100)
    if isinstance(year, ValueError):
        errors.append(("jaar", _("Schrijf een jaar als 2027.")))
    month = _number("maand", 1, 12)
    if isinstance(month, ValueError):
        errors.append(("maand", _("Kies een maand van 1 tot en met 12, of laat het leeg.")))
    raw = request.args.get("wijk", "").strip()
    district = raw if raw in gemeente.current().district_codes() else None
    if raw and district is None:
        errors.append(("wijk", _("Kies een wijk uit de lijst.")))
    return (
        ReportFilter(
            year if isinstance(year, int) else clock.today().year,
            month if isinstance(month, int) else None,
            district,
        ),
        errors,
    )


def _translated(table: tables.Table) -> tables.Table:
    """Column titles, scheme and district names in the request's language."""
    keys = [c.key for c in table.columns]
    rows = [_labels(row, table) for row in table.rows]
    if "name" in keys and "scheme" in keys:
        names = {s.code: scheme_name(s) for s in get_read_session().scalars(select(Scheme))}
        at, code = keys.index("name"), keys.index("scheme")
        rows = [[*row[:at], names.get(str(row[code]), row[at]), *row[at + 1 :]] for row in rows]
    totals = _labels(table.totals, table) if table.totals is not None else None
    columns = [tables.Column(c.key, _(c.label), c.kind) for c in table.columns]
    return tables.Table(table.key, _(table.title), columns, rows, totals, table.notes)


def _labels(row: list[tables.Cell], table: tables.Table) -> list[tables.Cell]:
    if table.columns[0].key == "district" and isinstance(row[0], str):
        return [_(row[0]), *row[1:]]
    return row


def _scheme_tables(f: ReportFilter) -> dict[str, tables.Table]:
    session = get_read_session()
    found = {
        "regelingen": tables.schemes_table(session, f),
        "maanden": tables.months_table(session, f),
        "partners": tables.partners_table(session, f),
    }
    return {key: _translated(table) for key, table in found.items()}


def freshness_context() -> dict[str, Any]:
    """What the page says of a replica it read: up to when, and whether that may be behind."""
    fresh = get_read_freshness()
    return {
        "replica": fresh is not None,
        "replica_as_of": replica_moment(fresh) if fresh else None,
        "replica_behind": fresh is not None and fresh.behind,
    }


def replica_moment(fresh: Freshness) -> str | None:
    """The replayed moment on the local clock: the time, with the day when it is not today's."""
    if fresh.as_of is None:
        return None
    moment = fresh.as_of.astimezone(clock.LOCAL)
    if moment.date() != fresh.server_now.astimezone(clock.LOCAL).date():
        return moment.strftime("%d-%m-%Y %H:%M:%S")
    return moment.strftime("%H:%M:%S")


def cell_text(cell: tables.Cell, kind: str, unit: str) -> str:
    """A cell for people: hidden counts as "< 10", amounts in euros or their unit."""
    if cell is None:
        return "–"
    if isinstance(cell, Hidden):
        return str(cell)
    if kind == "amount" and isinstance(cell, int):
        return quantity(cell, unit)
    if kind == "percent":
        return f"{cell}%"
    return str(cell)


def _cents(cell: tables.Cell) -> str:
    return format_cents(cell) if isinstance(cell, int) else ""


def _unit_of(table: tables.Table, row: list[tables.Cell], key: str) -> str:
    keys = [c.key for c in table.columns]
    if key == "settled" or "unit" not in keys:
        return "EUR"
    return str(row[keys.index("unit")])


@blp.route("")
@require_role("reports.read")
@transactional
def page() -> ResponseReturnValue:
    """The dashboard: three charts, each followed by its table; filters on top."""
    f, errors = _filter()
    found = _scheme_tables(f)
    codes = [str(row[0]) for row in found["regelingen"].rows]
    scheme = request.args.get("regeling", "") or (codes[0] if codes else "")
    if codes and scheme not in codes:
        errors.append(("regeling", _("Kies een regeling uit de lijst.")))
        scheme = codes[0]
    session = get_read_session()
    districts = _translated(tables.districts_table(session, f, scheme)) if codes else None
    schemes = found["regelingen"]
    keys = [c.key for c in schemes.columns]
    spent_texts = {
        str(row[0]): _(
            "%(spent)s van %(budget)s",
            spent=_cents(row[keys.index("spent")]),
            budget=_cents(row[keys.index("annual_budget")]),
        )
        for row in schemes.rows
    }
    counted_at = snapshot.taken_at(session, f.year)
    context: dict[str, Any] = {
        "filter": f,
        "counted_at": counted_at.astimezone(clock.LOCAL) if counted_at else None,
        "counted_long_ago": counted_at is not None and clock.now() - counted_at > STALE,
        "errors": errors,
        "field_errors": dict(errors),
        "tables": found,
        "districts": districts,
        "scheme": scheme,
        "codes": codes,
        "scheme_choices": [(code, code) for code in codes],
        "district_choices": [
            (code, _(tables.district_label(code))) for code in gemeente.current().district_codes()
        ],
        "take_up": charts.take_up_lines(found["maanden"], f.year),
        "budget": charts.budget_bars(schemes, spent_texts),
        "reach": charts.share_bars(districts, _("minder dan 10 personen")) if districts else None,
        "cell_text": cell_text,
        "unit_of": _unit_of,
        "query": {k: v for k, v in request.args.items() if k in {"jaar", "maand", "wijk"}},
        **freshness_context(),
    }
    return render_template("reports/page.html", **context), 400 if errors else 200


@blp.route("/<name>.csv")
@require_role("reports.read")
@transactional
def export(name: str) -> ResponseReturnValue:
    """One table as CSV, hidden counts as "< 10", amounts in cents (or units) as the API."""
    f, errors = _filter()
    if errors:
        abort(400)
    counted = counted_at(get_read_session(), f.year)
    if name.startswith("wijken-"):
        table = _translated(
            tables.districts_table(get_read_session(), f, name.removeprefix("wijken-"))
        )
    else:
        found = _scheme_tables(f)
        if name not in found:
            abort(404)
        table = found[name]
    labels = [c.label for c in table.columns]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([*tables.csv_rows(table, labels), counted.row(len(labels))])
    response = Response(out.getvalue(), content_type="text/csv; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Counted-From"] = counted.source
    response.last_modified = counted.at
    suffix = f"-{f.month:02d}" if f.month else ""
    district = f"-{f.district}" if f.district else ""
    when = f"-geteld-{counted.at.astimezone(clock.LOCAL):%Y-%m-%d-%H%M}" if counted.at else ""
    filename = f"{name}-{f.year}{suffix}{district}{when}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@dataclass(frozen=True)
class Counted:
    """When a table's figures were counted, so that a file opened days later still says so."""

    #: the snapshot's time; live: now, or up to where the replica has replayed (None: unknown)
    at: dt.datetime | None
    #: ``snapshot``, ``live`` or ``replica``: the ``Counted-From`` header
    source: str
    #: the page's sentence about it, in the request's language
    note: str

    def row(self, width: int) -> list[str]:
        """The last row of the CSV, as wide as the table so strict readers take it too."""
        moment = self.at.astimezone(clock.LOCAL).isoformat(timespec="minutes") if self.at else ""
        cells = [_("Geteld op"), moment, self.note]
        return cells + [""] * (width - len(cells))


def counted_at(session: Session, year: int) -> Counted:
    """The year's snapshot, else a live count: then now (taken before counting, so everything
    up to it is in), or the moment a replica has replayed up to."""
    taken = snapshot.taken_at(session, year)
    if taken is not None:
        local = taken.astimezone(clock.LOCAL)
        note = _(
            "Deze cijfers zijn geteld op %(day)s om %(time)s. "
            "Wat daarna is gebeurd, staat er nog niet in.",
            day=local.strftime("%d-%m-%Y"),
            time=local.strftime("%H:%M"),
        )
        return Counted(taken, "snapshot", note)
    fresh = get_read_freshness()
    if fresh is None:
        return Counted(clock.now(), "live", _("Deze cijfers zijn op dit moment geteld."))
    if fresh.as_of is None:
        unknown = _(
            "Deze cijfers lopen mogelijk achter: we weten niet tot wanneer ze zijn bijgewerkt."
        )
        return Counted(None, "replica", unknown)
    # A file is read on another day: the replica's moment always with its day.
    moment = fresh.as_of.astimezone(clock.LOCAL).strftime("%d-%m-%Y %H:%M:%S")
    if fresh.behind:
        note = _(
            "Deze cijfers lopen mogelijk achter: bijgewerkt tot %(time)s. "
            "Wat daarna is gebeurd, staat er nog niet in.",
            time=moment,
        )
    else:
        note = _(
            "Cijfers van %(time)s, uit een kopie van de database die meestal een paar seconden "
            "achterloopt.",
            time=moment,
        )
    return Counted(fresh.as_of, "replica", note)
