"""The partner's own transactions in the portal: filters, a CSV export, and reversals.

Only the partner's own rows (``redemptions.transactions`` filters on the partner first); a
reversal goes through ``redemptions.at_partner.reverse_at_partner``, as in the JSON API.
Settlements (what the gemeente paid out) come with the settlement issue: docs/partners.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from almerepas.core import clock
from almerepas.core.errors import DomainError
from almerepas.core.money import parse_euros
from almerepas.core.session import get_session, transactional
from almerepas.http.i18n import translate
from almerepas.partners.auth import Principal, require_partner_page
from almerepas.partners.portal import blp, locations_of
from almerepas.partners.portal_words import _, quantity, scheme_name
from almerepas.redemptions.at_partner import get_redemption, reverse_at_partner
from almerepas.redemptions.transactions import (
    Filters,
    Transaction,
    partner_schemes,
    partner_transactions,
)
from almerepas.schemes.models import Scheme

#: Rows on the page; the export has them all (up to transactions.LIMIT).
PAGE_ROWS = 200


def _window_days() -> int:
    return int(current_app.config["REVERSAL_DAYS"])


def _day(name: str, errors: list[str]) -> dt.date | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors.append(_("Vul een datum in als 2026-11-30."))
        return None


def _filters(principal: Principal) -> tuple[Filters, list[str]]:
    """The filters as typed; what is not the partner's own is refused, never widened."""
    errors: list[str] = []
    since, until = _day("van", errors), _day("tot", errors)
    raw = request.args.get("locatie", "").strip()
    # A device sees what happened at its own location, as in the partner API.
    location_id = principal.location.id if principal.location is not None else None
    if raw:
        own = {loc.id for loc in locations_of(principal)}
        if raw.isascii() and raw.isdigit() and int(raw) in own:
            location_id = int(raw)
        else:
            errors.append(_("Kies een van uw eigen locaties."))
    scheme = request.args.get("regeling", "").strip()[:40] or None
    return Filters(since, until, location_id, scheme), errors


def reversible(row: Transaction, now: dt.datetime) -> bool:
    return (
        row.type == "redemption"
        and row.amount is not None
        and row.reversed < row.amount
        and now - row.at <= dt.timedelta(days=_window_days())
    )


@blp.route("/transacties", endpoint="transactions")
@transactional
@require_partner_page()
def transactions(principal: Principal) -> ResponseReturnValue:
    filters, errors = _filters(principal)
    return _page(principal, filters, errors)


def _page(principal: Principal, filters: Filters, errors: list[str]) -> ResponseReturnValue:
    db = get_session()
    rows = [] if errors else partner_transactions(db, principal.partner, filters, limit=PAGE_ROWS)
    html = render_template(
        "partner/transactions.html",
        principal=principal,
        rows=rows,
        errors=errors,
        args=request.args,
        locations=locations_of(principal),
        schemes=partner_schemes(db, principal.partner),
        now=clock.now(),
        reversible=reversible,
        window_days=_window_days(),
        shown=PAGE_ROWS,
    )
    return html, (400 if errors else 200)


def csv_amount(row: Transaction) -> tuple[str, str]:
    """The amount and its unit for a spreadsheet: 12.50 EUR, 2 PACK, or empty for a ride."""
    if row.amount is None:
        return "", ""
    if row.scheme.unit == "EUR":
        return f"{row.amount // 100}.{row.amount % 100:02d}", "EUR"
    return str(row.amount), row.scheme.unit


@blp.route("/transacties.csv", endpoint="transactions_csv")
@transactional
@require_partner_page()
def transactions_csv(principal: Principal) -> ResponseReturnValue:
    """The same rows as the page, all of them, as CSV (semicolons, as Dutch spreadsheets read)."""
    filters, errors = _filters(principal)
    if errors:
        return _page(principal, filters, errors)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        ["type", "id", "time", "location", "scheme", "amount", "unit", "reversed", "basket"]
    )
    for row in partner_transactions(get_session(), principal.partner, filters):
        amount, unit = csv_amount(row)
        reversed_ = csv_amount(
            Transaction(row.type, row.id, row.at, "", row.scheme, row.reversed, 0, None)
        )[0]
        basket = "" if row.basket_amount is None else f"{row.basket_amount / 100:.2f}"
        writer.writerow(
            [
                row.type,
                row.id,
                row.at.astimezone(clock.LOCAL).isoformat(timespec="seconds"),
                safe_cell(row.location),
                row.scheme.code,
                amount,
                unit,
                reversed_ if row.amount is not None else "",
                basket,
            ]
        )
    name = f"almerepas-transacties-{clock.today():%Y%m%d}.csv"
    return (
        "\ufeff" + out.getvalue(),
        200,
        {
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


def safe_cell(text: str) -> str:
    """A location's name as text, never as a formula in a spreadsheet."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@blp.route("/transacties/<int:redemption_id>/terugdraaien", methods=["POST"], endpoint="reverse")
@transactional
@require_partner_page()
def reverse(principal: Principal, redemption_id: int) -> ResponseReturnValue:
    """Give back all that is left of a redemption, or the part typed in. Another partner's
    redemption (or, for a device, another location's) is as unknown as a missing one (404)."""
    # A device reverses only what happened at its own location, as in the API.
    redemption = get_redemption(get_session(), principal.partner, redemption_id, principal.location)
    scheme = redemption.grant.scheme
    text = request.form.get("amount", "").strip()
    try:
        amount = _parse_part(scheme, text) if text else redemption.amount - redemption.reversed
        reverse_at_partner(
            get_session(),
            partner=principal.partner,
            redemption_id=redemption_id,
            amount=amount,
            location=principal.location,
            now=clock.now(),
            actor=principal.actor,
            window_days=_window_days(),
        )
    except ValueError:
        flash(_("Vul een bedrag of aantal in, groter dan nul."), "error")
        return redirect(url_for("portal.transactions"), 303)
    except DomainError as exc:
        flash(translate(exc.title), "error")
        return redirect(url_for("portal.transactions"), 303)
    flash(
        _(
            "Teruggedraaid: %(amount)s van %(scheme)s. Het staat weer op de pas.",
            amount=quantity(amount, scheme.unit),
            scheme=scheme_name(scheme),
        ),
        "ok",
    )
    return redirect(url_for("portal.transactions"), 303)


def _parse_part(scheme: Scheme, text: str) -> int:
    """The part to give back, in the redemption's own unit (euros or units)."""
    if scheme.unit == "EUR":
        value = parse_euros(text)
    else:
        value = int(text) if text.isascii() and text.isdigit() and len(text) < 7 else 0
    if value <= 0:
        raise ValueError(text)
    return value
