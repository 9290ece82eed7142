"""Letters for the print batch as one A4 PDF: every letter starts on a new page, with the
address where a window envelope shows it, and runs on over as many pages as it needs."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from babel.dates import format_date
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, PageBreak, Paragraph, SimpleDocTemplate

from almerepas.core import gemeente
from almerepas.core.pdf import BOLD, REGULAR, fit, register_fonts, shorten
from almerepas.letters.content import Paragraph as Text

#: The window of a window envelope with the window on the left (NEN 1026 style), from the
#: page's left and top edge; the cards' cover letters use the same place.
WINDOW_LEFT = 22 * mm
WINDOW_TOP = 52 * mm
WINDOW_WIDTH = 85 * mm
TOP, RIGHT, BOTTOM = 20 * mm, 20 * mm, 20 * mm
#: Where the text starts on a letter's first page, below the address and the date.
TEXT_TOP = 112 * mm

_STYLES = {
    "heading": ParagraphStyle("heading", fontName=BOLD, fontSize=14, leading=18, spaceAfter=10),
    "subheading": ParagraphStyle("sub", fontName=BOLD, fontSize=11, leading=15, spaceBefore=6),
    "body": ParagraphStyle("body", fontName=REGULAR, fontSize=11, leading=15, spaceAfter=6),
    "item": ParagraphStyle(
        "item", fontName=REGULAR, fontSize=11, leading=15, leftIndent=12, bulletIndent=0
    ),
    "closing": ParagraphStyle("closing", fontName=REGULAR, fontSize=11, leading=15),
}


@dataclass(frozen=True)
class PrintedLetter:
    address_lines: list[str]
    day: dt.date
    language: str
    paragraphs: list[Text]


class _LetterHead(Flowable):  # type: ignore[misc]  # reportlab has no type hints
    """The sender, the address in the envelope's window and the date, above the text."""

    def __init__(self, letter: PrintedLetter) -> None:
        super().__init__()
        self.letter = letter

    def wrap(self, available_width: float, _available_height: float) -> tuple[float, float]:
        self.width = available_width
        return available_width, TEXT_TOP - TOP

    def draw(self) -> None:
        canvas, top = self.canv, TEXT_TOP - TOP
        canvas.setFont(BOLD, 10)
        place = gemeente.current()
        canvas.drawRightString(self.width, top, place.organisation)
        canvas.setFont(REGULAR, 10)
        canvas.drawRightString(self.width, top - 5 * mm, place.pass_name)
        y = top - (WINDOW_TOP - TOP)
        for line in self.letter.address_lines:
            size = fit(line, REGULAR, 10, WINDOW_WIDTH, smallest=8)
            canvas.setFont(REGULAR, size)
            canvas.drawString(0, y, shorten(line, REGULAR, size, WINDOW_WIDTH))
            y -= 5 * mm
        day = format_date(self.letter.day, "d MMMM y", locale=self.letter.language)
        canvas.setFont(REGULAR, 10)
        canvas.drawString(0, top - (100 * mm - TOP), f"{place.name}, {day}")


def letters_pdf(letters: Sequence[PrintedLetter]) -> bytes:
    """One PDF with every letter, in the order given."""
    register_fonts()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=WINDOW_LEFT,
        rightMargin=RIGHT,
        topMargin=TOP,
        bottomMargin=BOTTOM,
        title=f"{gemeente.current().pass_name}: brieven",
        author=gemeente.current().organisation,
    )
    story: list[Flowable] = []
    for letter in letters:
        if story:
            story.append(PageBreak())
        story.append(_LetterHead(letter))
        for text in letter.paragraphs:
            bullet = "•" if text.style == "item" else None
            story.append(Paragraph(escape(text.text), _STYLES[text.style], bulletText=bullet))
    document.build(story)
    return buffer.getvalue()
