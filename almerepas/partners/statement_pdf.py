"""The partner's statement as a PDF credit note (creditnota): the gemeente states what it pays,
so the partner books this and sends no invoice.

A4, drawn with reportlab's platypus so a long month runs over as many pages as it needs, the
table's header repeated on each. The fonts are the printed card's (DejaVu, embedded), so a
location's name in any Latin script prints as typed. No holder is named: the lines carry the
redemption's number only.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from flask.typing import ResponseReturnValue
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    LongTable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from almerepas.contracts.models import PayoutMethod
from almerepas.core import gemeente
from almerepas.core.pdf import BOLD, REGULAR, register_fonts
from almerepas.core.session import transactional
from almerepas.http.payouts import debtor
from almerepas.partners.auth import Principal, require_partner_page
from almerepas.partners.portal import blp
from almerepas.partners.portal_words import _, money
from almerepas.partners.statements import (
    NO_INVOICE,
    Statement,
    download,
    kind_text,
    line_quantity,
    local_moment,
    paid_how,
    period_text,
    statement_of,
)

MARGIN = 18 * mm
GREY = colors.HexColor("#e8e8e8")


def _styles() -> dict[str, ParagraphStyle]:
    return {
        "title": ParagraphStyle("title", fontName=BOLD, fontSize=18, leading=22, spaceAfter=8),
        "heading": ParagraphStyle(
            "heading", fontName=BOLD, fontSize=11, leading=14, spaceBefore=10, spaceAfter=4
        ),
        "body": ParagraphStyle("body", fontName=REGULAR, fontSize=9.5, leading=12.5),
        "cell": ParagraphStyle("cell", fontName=REGULAR, fontSize=8, leading=10),
        "strong": ParagraphStyle("strong", fontName=BOLD, fontSize=11, leading=14, spaceBefore=6),
    }


def _grouped_iban(iban: str | None) -> str:
    compact = (iban or "").replace(" ", "").upper()
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def _pairs(rows: list[tuple[str, str]], style: ParagraphStyle, width: float) -> Table:
    """Label and value, two columns, no lines: the note's heading facts."""
    cells = [
        [Paragraph(escape(label), style), Paragraph(escape(value), style)] for label, value in rows
    ]
    table = Table(cells, colWidths=[38 * mm, width - 38 * mm], hAlign="LEFT")
    table.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
    )
    return table


def _lines_table(found: Statement, cell: ParagraphStyle, width: float) -> LongTable:
    header = [
        _("Datum en tijd"),
        _("Locatie"),
        _("Regeling"),
        _("Soort"),
        _("Aantal"),
        _("Bedrag"),
        _("Kenmerk"),
    ]
    rows: list[list[object]] = [[Paragraph(escape(h), cell) for h in header]]
    for line in found.lines:
        rows.append(
            [
                local_moment(line.occurred_at),
                Paragraph(escape(line.location or "–"), cell),
                Paragraph(escape(line.scheme), cell),
                Paragraph(escape(kind_text(line.kind)), cell),
                line_quantity(line),
                money(line.amount),
                line.reference,
            ]
        )
    widths = [28 * mm, 31 * mm, 32 * mm, 26 * mm, 20 * mm, 20 * mm]
    widths.append(width - sum(widths))
    table = LongTable(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), REGULAR, 8),
                ("BACKGROUND", (0, 0), (-1, 0), GREY),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (4, 1), (5, -1), "RIGHT"),
            ]
        )
    )
    return table


def _totals_table(found: Statement) -> Table:
    rows: list[list[str]] = [[_("Regeling"), _("Regels"), _("Bedrag")]]
    rows += [[t.scheme_name, str(t.lines), money(t.amount)] for t in found.totals]
    rows.append([_("Totaal"), str(len(found.lines)), money(found.payment.amount)])
    table = Table(rows, colWidths=[80 * mm, 25 * mm, 35 * mm], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), REGULAR, 9.5),
                ("FONT", (0, -1), (-1, -1), BOLD, 9.5),
                ("BACKGROUND", (0, 0), (-1, 0), GREY),
                ("LINEABOVE", (0, -1), (-1, -1), 0.75, colors.black),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
            ]
        )
    )
    return table


def credit_note_story(found: Statement) -> list[Flowable]:
    """What the credit note says, top to bottom."""
    styles = _styles()
    width = A4[0] - 2 * MARGIN
    payment, partner = found.payment, found.payment.partner
    assert partner is not None  # noqa: S101 - a partner's statement is of a partner's payment
    account = (
        _grouped_iban(payment.iban or partner.iban)
        if payment.method == PayoutMethod.sepa
        else _("Stripe")
    )
    facts = [
        (_("Nummer"), found.number),
        (_("Datum"), f"{found.day:%d-%m-%Y}"),
        (_("Van"), f"{debtor().name} ({gemeente.current().pass_name})"),
        (_("Aan"), partner.name),
        (_("KvK-nummer"), partner.kvk_number),
        (_("Rekening"), account),
        (_("Periode"), period_text(found.run.period)),
        (_("Betaald via"), paid_how(payment)),
        (_("Betalingskenmerk"), payment.end_to_end_id or "–"),
    ]
    return [
        Paragraph(escape(_("Creditnota")), styles["title"]),
        _pairs(facts, styles["body"], width),
        Spacer(1, 4 * mm),
        Paragraph(escape(_("Regels")), styles["heading"]),
        _lines_table(found, styles["cell"], width),
        Paragraph(escape(_("Totaal per regeling")), styles["heading"]),
        _totals_table(found),
        Paragraph(escape(_("Totaal: %(amount)s", amount=money(payment.amount))), styles["strong"]),
        Spacer(1, 4 * mm),
        Paragraph(escape(_(NO_INVOICE)), styles["body"]),
        Paragraph(
            escape(
                _(
                    "Vermeld bij vragen het nummer %(number)s en het betalingskenmerk.",
                    number=found.number,
                )
            ),
            styles["body"],
        ),
    ]


def credit_note_pdf(found: Statement) -> bytes:
    register_fonts()
    buffer = io.BytesIO()
    footer = _("Creditnota %(number)s, pagina %(page)s", number=found.number, page="{page}")

    def number_page(canvas: Canvas, _doc: object) -> None:
        canvas.saveState()
        canvas.setFont(REGULAR, 8)
        page = footer.replace("{page}", str(canvas.getPageNumber()))
        canvas.drawRightString(A4[0] - MARGIN, 10 * mm, page)
        canvas.restoreState()

    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=f"{_('Creditnota')} {found.number}",
        author=debtor().name,
        invariant=True,
    )
    document.build(credit_note_story(found), onFirstPage=number_page, onLaterPages=number_page)
    return buffer.getvalue()


@blp.route("/afrekeningen/<int:run_id>.pdf", endpoint="statement_pdf")
@transactional
@require_partner_page(manager=True)
def statement_pdf(principal: Principal, run_id: int) -> ResponseReturnValue:
    """The credit note as PDF: the partner books it and sends no invoice."""
    found = statement_of(principal, run_id)
    return download(credit_note_pdf(found), "application/pdf", f"creditnota-{found.number}.pdf")
