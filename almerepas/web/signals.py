"""Signalen (/medewerkers/signalen): for finance and the auditor, partners whose redemptions show
a pattern worth a look, each with its evidence, and the same tables as CSV (docs/reports.md).

The page lists, it does not judge: the wording says "opvallend patroon" and "om na te kijken".
Partners are named; holders are not (a pass number shows only its last five digits).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from almerepas.audit import log as audit
from almerepas.core import clock
from almerepas.core.money import format_cents
from almerepas.core.session import get_read_session, get_session, transactional
from almerepas.http.guard import current_actor, require_role
from almerepas.reports import signals
from almerepas.web.caseworker import no_store
from almerepas.web.forms import parse_day
from almerepas.web.reports import freshness_context

blp = Blueprint("signal_pages", __name__, url_prefix="/medewerkers/signalen")
blp.after_request(no_store)

#: The period shown when none is asked for: the four weeks up to today.
DEFAULT_DAYS = 28


def init_app(app: Flask) -> None:
    app.register_blueprint(blp)


@dataclass(frozen=True)
class Table:
    """One signal's evidence: columns (label, kind) and rows of raw values."""

    key: str
    title: str
    rule: str
    columns: list[tuple[str, str]]
    rows: list[list[Any]]


def _period() -> tuple[dt.date, dt.date, list[tuple[str, str]]]:
    """The days asked for (``van``, ``tot``, both included); a wrong one is named."""
    errors: list[tuple[str, str]] = []
    today = clock.today()
    found: dict[str, dt.date] = {}
    defaults = {"van": today - dt.timedelta(days=DEFAULT_DAYS - 1), "tot": today}
    for name in ("van", "tot"):
        raw = request.args.get(name, "").strip()
        try:
            found[name] = parse_day(raw) if raw else defaults[name]
        except ValueError:
            errors.append((name, _("Schrijf een datum als 31-12-2026.")))
            found[name] = defaults[name]
    first, last = found["van"], found["tot"]
    if not errors and last < first:
        errors.append(("tot", _("De einddatum ligt voor de begindatum.")))
    elif not errors and (last - first).days >= signals.MAX_DAYS:
        errors.append(("tot", _("Kies een periode van hoogstens een jaar.")))
    if errors:
        first, last = defaults["van"], defaults["tot"]
    return first, last, errors


def _ids(ids: tuple[int, ...]) -> str:
    return " ".join(str(i) for i in ids)


def _tables(first: dt.date, last: dt.date, t: signals.Thresholds) -> list[Table]:
    session = get_read_session()  # a replica when configured; the audit row goes to the primary
    whole = signals.whole_budgets(session, first, last, t)
    spikes = signals.expiry_spikes(session, first, last, t)
    days = signals.unusual_days(session, first, last, t)
    places = signals.two_places(session, first, last, t)
    above = {"count": _("aantal"), "amount": _("bedrag")}
    return [
        Table(
            "budgetten",
            _("Hele budgetten in één keer besteed"),
            _(
                "Op één dag %(n)s of meer inwisselingen bij dezelfde partner die elk het hele "
                "resterende budget van een regeling in euro's gebruikten.",
                n=t.whole_budget_per_day,
            ),
            [(_("Partner"), "text"), (_("Dag"), "date"), (_("Aantal"), "count"),
             (_("Bedrag"), "cents"), (_("Locaties"), "text"), (_("Inwisselingen (id)"), "ids")],
            [[s.partner, s.day, s.count, s.amount, ", ".join(s.locations),
              _ids(s.redemption_ids)] for s in whole],
        ),
        Table(
            "verval",
            _("Piek vlak voor budgetten vervallen"),
            _(
                "In de laatste %(days)s dagen van een periode per dag ten minste %(factor)s keer "
                "zoveel inwisselingen (of euro's) van die budgetten als gewoonlijk per dag in de "
                "%(baseline)s dagen ervoor, en ten minste %(min)s inwisselingen of %(amount)s.",
                days=t.expiry_days, factor=t.factor, baseline=t.baseline_days, min=t.min_count,
                amount=format_cents(t.min_amount),
            ),
            [(_("Partner"), "text"), (_("Budgetten vervallen na"), "date"),
             (_("Vanaf"), "date"), (_("Aantal"), "count"), (_("Bedrag"), "cents"),
             (_("Aantal in de dagen ervoor"), "count"), (_("Bedrag in de dagen ervoor"), "cents"),
             (_("Dagen ervoor"), "count")],
            [[s.partner, s.expires_on, s.first_day, s.count, s.amount, s.baseline_count,
              s.baseline_amount, s.baseline_days] for s in spikes],
        ),
        Table(
            "dagen",
            _("Dagen ver boven het gewone niveau van de partner"),
            _(
                "Een dag met ten minste %(factor)s keer zoveel inwisselingen (of euro's) als de "
                "mediaan van de dagen met inwisselingen in de %(baseline)s dagen ervoor, en ten "
                "minste %(min)s inwisselingen of %(amount)s.",
                factor=t.factor, baseline=t.baseline_days, min=t.min_count,
                amount=format_cents(t.min_amount),
            ),
            [(_("Partner"), "text"), (_("Dag"), "date"), (_("Aantal"), "count"),
             (_("Bedrag"), "cents"), (_("Mediaan aantal"), "count"),
             (_("Mediaan bedrag"), "cents"), (_("Dagen in de mediaan"), "count"),
             (_("Opvallend"), "text")],
            [[s.partner, s.day, s.count, s.amount, s.median_count, s.median_amount,
              s.baseline_days_used, ", ".join(above[a] for a in s.above)] for s in days],
        ),
        Table(
            "plaatsen",
            _("Eén pas op twee plaatsen kort na elkaar"),
            _(
                "Dezelfde pas gescand op twee verschillende locaties binnen %(minutes)s minuten.",
                minutes=t.two_places_minutes,
            ),
            [(_("Pas"), "pass"), (_("Eerste scan"), "time"), (_("Partner"), "text"),
             (_("Locatie"), "text"), (_("Tweede scan"), "time"), (_("Partner"), "text"),
             (_("Locatie"), "text"), (_("Minuten ertussen"), "count"), (_("Scans (id)"), "ids"),
             (_("Inwisselingen (id)"), "ids")],
            [[p.pass_number, p.first.at, p.first.partner, p.first.location, p.second.at,
              p.second.partner, p.second.location, p.seconds // 60,
              _ids((p.first.scan_id, p.second.scan_id)),
              _ids(p.first.redemption_ids + p.second.redemption_ids)] for p in places],
        ),
    ]  # fmt: skip


def cell_text(value: Any, kind: str) -> str:
    """A cell for people: euros, Dutch dates, times in the gemeente."""
    if kind == "cents":
        return format_cents(int(value))
    if kind == "date":
        return f"{value:%d-%m-%Y}"
    if kind == "time":
        return f"{value.astimezone(clock.LOCAL):%d-%m-%Y %H:%M}"
    if kind == "pass":  # the groups of a pass number stay on one line
        return str(value).replace(" ", "\u00a0")
    return str(value) if value != "" else "–"


def csv_cell(value: Any, kind: str) -> str:
    """A cell for a spreadsheet: cents as whole numbers, ISO dates, local moments."""
    if kind == "date":
        return value.isoformat()  # type: ignore[no-any-return]
    if kind == "time":
        return value.astimezone(clock.LOCAL).isoformat(timespec="minutes")  # type: ignore[no-any-return]
    return str(value)


def _viewed(first: dt.date, last: dt.date, tables: list[Table]) -> None:
    """The evidence names passes (masked) and partners: who looked is in the audit log."""
    audit.record(
        get_session(), actor=current_actor(), action="signals.view", entity_type="signals",
        entity_id=0, changes={"from": first.isoformat(), "to": last.isoformat(),
                              "listed": sum(len(t.rows) for t in tables)},
    )  # fmt: skip


@blp.route("")
@require_role("signals.read")
@transactional
def page() -> ResponseReturnValue:
    """The four signals for the period, each as a table with its rule."""
    first, last, errors = _period()
    found = _tables(first, last, signals.from_settings(current_app.config))
    _viewed(first, last, found)
    context = {
        "first": first,
        "last": last,
        "errors": errors,
        "field_errors": dict(errors),
        "tables": found,
        "cell_text": cell_text,
        "query": {"van": first.isoformat(), "tot": last.isoformat()},
        **freshness_context(),
    }
    return render_template("signals/page.html", **context), 400 if errors else 200


@blp.route("/<name>.csv")
@require_role("signals.read")
@transactional
def export(name: str) -> ResponseReturnValue:
    """One signal's table as CSV, amounts in cents."""
    first, last, errors = _period()
    if errors:
        abort(400)
    found = {t.key: t for t in _tables(first, last, signals.from_settings(current_app.config))}
    if name not in found:
        abort(404)
    table = found[name]
    _viewed(first, last, [table])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([label for label, _kind in table.columns])
    for row in table.rows:
        writer.writerow(
            [csv_cell(v, kind) for v, (_label, kind) in zip(row, table.columns, strict=True)]
        )
    response = Response(out.getvalue(), content_type="text/csv; charset=utf-8")
    filename = f"signalen-{name}-{first.isoformat()}-{last.isoformat()}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
