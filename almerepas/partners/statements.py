"""The partner's settlement statements: its runs, each run's lines and totals, as a page and a CSV
file; the PDF credit note (creditnota), which it books without sending an invoice, is in
statement_pdf.py.

For a partner's managers only: what the gemeente pays is the business's books, not the counter's.
A partner sees runs that a second finance user approved (a draft is the gemeente's own work);
another partner's run, a draft, a cancelled run and a missing one are the same 404. The lines
name no holder: a date, a location, a scheme and the redemption's number (docs/settlement.md).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

from babel.dates import format_date
from flask import render_template
from flask.typing import ResponseReturnValue
from flask_babel import get_locale

from almerepas.contracts.models import PayoutMethod
from almerepas.core import clock
from almerepas.core.i18n import N_
from almerepas.core.session import get_session, transactional
from almerepas.http.words import ngettext
from almerepas.partners.auth import Principal, require_partner_page
from almerepas.partners.portal import blp
from almerepas.partners.portal_transactions import safe_cell
from almerepas.partners.portal_words import _, money, quantity
from almerepas.settlements import reports
from almerepas.settlements.errors import RunNotFound
from almerepas.settlements.models import (
    HoldReason,
    LineKind,
    PaymentStatus,
    RunStatus,
    SettlementPayment,
    SettlementRun,
)
from almerepas.settlements.reports import SchemeTotal, StatementLine

KINDS = {
    LineKind.redemption: N_("Afgeschreven"),
    LineKind.reversal: N_("Teruggedraaid"),
    LineKind.ride: N_("Rit"),
    LineKind.holder_month: N_("Vast bedrag per pashouder per maand"),
}
HOLDS = {
    HoldReason.iban_invalid: N_("Uw IBAN klopt niet: neem contact op met de gemeente."),
    HoldReason.stripe_account_missing: N_(
        "Uw Stripe-account is niet gekoppeld: neem contact op met de gemeente."
    ),
    HoldReason.total_not_positive: N_(
        "Er is meer teruggedraaid dan afgeschreven. Het bedrag wordt verrekend met uw volgende "
        "afrekening."
    ),
    HoldReason.tariff_unfit: N_(
        "Een tarief in uw contract past niet bij de regeling: neem contact op met de gemeente."
    ),
}
NO_INVOICE = N_("U hoeft voor dit bedrag geen factuur te sturen; dit is uw creditnota.")


@dataclass(frozen=True)
class Statement:
    """One approved run as one partner sees it."""

    payment: SettlementPayment
    lines: list[StatementLine]
    totals: list[SchemeTotal]

    @property
    def run(self) -> SettlementRun:
        return self.payment.run

    @property
    def number(self) -> str:
        """The credit note's number: ``CN-<run>-<partner>``, the same on every download."""
        return f"CN-{self.payment.run_id}-{self.payment.partner_id}"

    @property
    def day(self) -> dt.date:
        """The credit note's date: the day the gemeente approved what it owes."""
        moment = self.run.approved_at or self.run.prepared_at
        return moment.astimezone(clock.LOCAL).date()


# -- words --------------------------------------------------------------------------------------


def status_text(payment: SettlementPayment) -> str:
    """Where the money is, in plain words; the payment's own state goes first (a Stripe run
    pays partner by partner)."""
    run = payment.run
    if payment.status == PaymentStatus.confirmed or run.status == RunStatus.confirmed:
        return _("op de bank bevestigd")
    if payment.status == PaymentStatus.sent or run.status == RunStatus.paid_out:
        return _("betaald")
    if run.status == RunStatus.approved:
        return _("goedgekeurd")
    return _("klaargezet")


def masked_iban(iban: str | None) -> str:
    """``NL91 **** 4300``: enough to recognise one's own account, not to copy it."""
    compact = (iban or "").replace(" ", "").upper()
    return f"{compact[:4]} **** {compact[-4:]}" if len(compact) > 8 else "****"


def paid_how(payment: SettlementPayment) -> str:
    if payment.method == PayoutMethod.stripe:
        return _("Stripe")
    return _("SEPA-overboeking naar %(iban)s", iban=masked_iban(payment.iban))


def paid_on(payment: SettlementPayment) -> str:
    moment = payment.sent_at or payment.run.paid_out_at
    return "" if moment is None else local_day(moment)


def period_text(period: str) -> str:
    """``juni 2026`` for ``2026-06``."""
    year, month = (int(part) for part in period.split("-"))
    return format_date(dt.date(year, month, 1), "MMMM y", locale=str(get_locale() or "nl"))


def kind_text(kind: LineKind) -> str:
    return _(KINDS[kind])


def hold_text(reason: HoldReason) -> str:
    return _(HOLDS[reason])


def line_quantity(line: StatementLine) -> str:
    if line.kind == LineKind.ride:
        return ngettext("%(num)s rit", "%(num)s ritten", line.quantity)
    if line.kind == LineKind.holder_month:
        return ngettext("%(num)s pashouder", "%(num)s pashouders", line.quantity)
    return quantity(line.quantity, line.unit)


def decimal_comma(cents: int) -> str:
    """``-12,34``: an amount as a Dutch spreadsheet reads it (no thousands separator)."""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    return f"{sign}{euros},{rest:02d}"


def local_moment(value: dt.datetime) -> str:
    return f"{value.astimezone(clock.LOCAL):%d-%m-%Y %H:%M}"


def local_day(value: dt.datetime) -> str:
    return f"{value.astimezone(clock.LOCAL):%d-%m-%Y}"


WORDS = {
    "status_text": status_text,
    "paid_how": paid_how,
    "paid_on": paid_on,
    "period_text": period_text,
    "kind_text": kind_text,
    "hold_text": hold_text,
    "line_quantity": line_quantity,
    "money": money,
    "moment": local_moment,
    "day": local_day,
}


# -- the pages ----------------------------------------------------------------------------------


def statement_of(principal: Principal, run_id: int) -> Statement:
    """The partner's statement of one approved run; anything else is the one 404."""
    db = get_session()
    payment = reports.partner_payment(db, run_id, principal.partner.id)
    if payment is None:
        raise RunNotFound()
    return Statement(
        payment,
        reports.statement_lines(db, run_id, principal.partner.id),
        reports.scheme_totals(db, run_id, principal.partner.id),
    )


@blp.route("/afrekeningen", endpoint="statements")
@transactional
@require_partner_page(manager=True)
def statements(principal: Principal) -> ResponseReturnValue:
    db = get_session()
    partner_id = principal.partner.id
    html = render_template(
        "partner/statements.html",
        principal=principal,
        payments=reports.partner_runs(db, partner_id, shown_only=True),
        owed=reports.owed_by(db, partner_id, now=clock.now()),
        hold=reports.latest_hold(db, partner_id),
        sw=WORDS,
    )
    return html, 200, {"Cache-Control": "no-store"}


@blp.route("/afrekeningen/<int:run_id>", endpoint="statement")
@transactional
@require_partner_page(manager=True)
def statement(principal: Principal, run_id: int) -> ResponseReturnValue:
    html = render_template(
        "partner/statement.html",
        principal=principal,
        statement=statement_of(principal, run_id),
        no_invoice=_(NO_INVOICE),
        sw=WORDS,
    )
    return html, 200, {"Cache-Control": "no-store"}


def csv_quantity(line: StatementLine) -> tuple[str, str]:
    """The quantity as a number and its unit in words, for a spreadsheet: ``12,50`` euro."""
    if line.kind == LineKind.ride:
        return str(line.quantity), _("rit")
    if line.kind == LineKind.holder_month:
        return str(line.quantity), _("pashouder")
    if line.unit == "EUR":
        return decimal_comma(line.quantity), _("euro")
    if line.unit == "PACK":
        return str(line.quantity), _("pak")
    return str(line.quantity), line.unit.lower()


def csv_rows(found: Statement) -> list[list[str]]:
    """The header and one row per line; amounts with a decimal comma."""
    rows = [
        [
            _("Datum en tijd"),
            _("Locatie"),
            _("Regeling"),
            _("Soort"),
            _("Aantal"),
            _("Eenheid"),
            _("Bedrag in euro"),
            _("Kenmerk"),
        ]
    ]
    for line in found.lines:
        count, unit = csv_quantity(line)
        rows.append(
            [
                local_moment(line.occurred_at),
                safe_cell(line.location or ""),
                safe_cell(line.scheme),
                kind_text(line.kind),
                count,
                unit,
                decimal_comma(line.amount),
                line.reference,
            ]
        )
    return rows


def download(body: bytes | str, mimetype: str, name: str) -> ResponseReturnValue:
    return (
        body,
        200,
        {
            "Content-Type": mimetype,
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@blp.route("/afrekeningen/<int:run_id>.csv", endpoint="statement_csv")
@transactional
@require_partner_page(manager=True)
def statement_csv(principal: Principal, run_id: int) -> ResponseReturnValue:
    """The lines as CSV: semicolons and a decimal comma, as Dutch spreadsheets read them."""
    found = statement_of(principal, run_id)
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(csv_rows(found))
    name = f"almerepas-afrekening-{found.run.period}-{run_id}.csv"
    return download("\ufeff" + out.getvalue(), "text/csv; charset=utf-8", name)
