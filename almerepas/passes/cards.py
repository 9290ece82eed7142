"""The printed card: a credit-card-sized PDF with the QR, and a batch of cards with letters.

For people without a smartphone. The card (ID-1, 85.60 x 53.98 mm) shows the QR, the pass
number in groups of four, the first name, "Geldig tot dd-mm-jjjj" and one line on how to use
it; nothing about income, tier, BSN, address or date of birth. The code in the QR is the card
credential (``almerepas.passes.credentials.issue_card_credential``), passed in as text: this
module only draws.

The QR is drawn as large as the card's height allows with its 4-module quiet zone, at error
correction Q (a worn card still scans), as an image whose pixels are whole printer dots at 300
dpi, so every module is square and sharp. A code that needs a QR above version 13 is refused:
cheap 640x480 cameras stop around there (docs/passes.md, the research note on credentials).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

import qrcode
from babel.dates import format_date
from PIL import Image
from qrcode.constants import ERROR_CORRECT_Q
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph

from almerepas.core import gemeente
from almerepas.core.pdf import BOLD, REGULAR, fit, register_fonts, shorten
from almerepas.passes import numbers

#: ISO/IEC 7810 ID-1, the size of a bank card.
CARD_WIDTH = 85.60 * mm
CARD_HEIGHT = 53.98 * mm
#: Printer resolution the QR's modules are whole dots of.
DPI = 300
#: Empty modules around the symbol that a reader needs (ISO/IEC 18004).
QUIET_ZONE = 4
#: The largest symbol a cheap camera reads from a card (ECC Q).
MAX_VERSION = 13
#: From the card's left edge: clear of the rounded corner (radius 3.18 mm).
TEXT_LEFT = 4.0 * mm

USE_TEXT = "Laat deze kaart zien bij de kassa"
#: The municipality's general number; lost or stolen cards are blocked there.


class CodeTooLong(ValueError):
    """The code needs a QR above version 13 at ECC Q: it would not scan from a worn card."""


@dataclass(frozen=True)
class CardFace:
    """What is printed on a card, and nothing else."""

    given_name: str
    number: str
    valid_until: dt.date

    def lines(self) -> list[str]:
        """The card's text, top to bottom (the QR carries the code)."""
        return [
            gemeente.current().pass_name,
            self.given_name,
            numbers.grouped(self.number),
            f"Geldig tot {self.valid_until:%d-%m-%Y}",
            USE_TEXT,
        ]


@dataclass(frozen=True)
class Letter:
    """The cover letter that goes with a card, in the envelope's window: who and where."""

    #: the holder's full name (a child's card goes to the parents: see ``addressee``)
    holder_name: str
    given_name: str
    minor: bool
    street_line: str
    postcode: str
    city: str
    number: str
    valid_until: dt.date
    day: dt.date

    def address_lines(self) -> list[str]:
        """For the envelope's window; a child's card goes to the parents."""
        place = [self.street_line, f"{self.postcode}  {self.city.upper()}"]
        if self.minor:
            return ["De ouders of verzorgers van", self.holder_name, *place]
        return [self.holder_name, *place]


# -- the QR -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Symbol:
    """A QR symbol for a code: its version and its image, quiet zone included."""

    version: int
    #: modules across, quiet zone included
    modules: int
    #: printer dots (image pixels) per module
    dots_per_module: int
    image: Image.Image

    @property
    def size(self) -> float:
        """The printed width and height in PDF points."""
        return self.modules * self.dots_per_module / DPI * 72


def qr_symbol(code: str, *, height: float = CARD_HEIGHT) -> Symbol:
    """The card's QR for ``code``: ECC Q, as large as ``height`` allows in whole dots."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, box_size=1, border=QUIET_ZONE)
    qr.add_data(code, optimize=0)  # byte mode: the size depends on the length alone
    qr.make(fit=True)
    version = qr.version
    if version > MAX_VERSION:
        raise CodeTooLong(f"QR version {version} > {MAX_VERSION} at ECC Q ({len(code)} chars)")
    matrix = qr.get_matrix()  # with the quiet zone
    modules = len(matrix)
    available_dots = int(height / 72 * DPI)
    dots = available_dots // modules
    image = Image.new("1", (modules, modules), 1)
    image.putdata([0 if dark else 1 for row in matrix for dark in row])
    image = image.resize((modules * dots, modules * dots), Image.Resampling.NEAREST)
    return Symbol(version, modules, dots, image)


def _png(image: Image.Image) -> ImageReader:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    buffer.seek(0)
    return ImageReader(buffer)


# -- drawing ------------------------------------------------------------------------------------


def _draw_card(canvas: Canvas, face: CardFace, code: str) -> None:
    symbol = qr_symbol(code)
    side = symbol.size
    canvas.drawImage(_png(symbol.image), CARD_WIDTH - side, (CARD_HEIGHT - side) / 2, side, side)
    # The text stays left of the QR's quiet zone (the white border is part of the symbol).
    width = CARD_WIDTH - side - TEXT_LEFT
    title, name, number, valid, use = face.lines()
    y = CARD_HEIGHT - 9 * mm
    canvas.setFont(BOLD, 11)
    canvas.drawString(TEXT_LEFT, y, title)
    y -= 9 * mm
    size = fit(name, BOLD, 11, width)
    canvas.setFont(BOLD, size)
    canvas.drawString(TEXT_LEFT, y, shorten(name, BOLD, size, width))
    y -= 7 * mm
    size = fit(number, BOLD, 9, width)
    canvas.setFont(BOLD, size)
    canvas.drawString(TEXT_LEFT, y, number)
    y -= 5 * mm
    canvas.setFont(REGULAR, fit(valid, REGULAR, 7.5, width))
    canvas.drawString(TEXT_LEFT, y, valid)
    y -= 9 * mm
    style = ParagraphStyle("use", fontName=REGULAR, fontSize=6.5, leading=8)
    paragraph = Paragraph(escape(use), style)
    _w, height = paragraph.wrap(width, 20 * mm)
    paragraph.drawOn(canvas, TEXT_LEFT, y - height + 8)


def _card_page(canvas: Canvas, face: CardFace, code: str) -> None:
    canvas.setPageSize((CARD_WIDTH, CARD_HEIGHT))
    _draw_card(canvas, face, code)
    canvas.showPage()


def _new_canvas(buffer: io.BytesIO, title: str) -> Canvas:
    register_fonts()
    canvas = Canvas(buffer, pagesize=(CARD_WIDTH, CARD_HEIGHT), invariant=True)
    canvas.setTitle(title)
    canvas.setAuthor(gemeente.current().organisation)
    return canvas


def card_pdf(face: CardFace, code: str) -> bytes:
    """One card as a PDF page of exactly the card's size."""
    buffer = io.BytesIO()
    canvas = _new_canvas(buffer, gemeente.current().pass_name)
    _card_page(canvas, face, code)
    canvas.save()
    return buffer.getvalue()


# -- the letter ---------------------------------------------------------------------------------

#: Where the address goes for a window envelope with the window on the left (NEN 1026 style):
#: from the page's left and top edge.
WINDOW_LEFT = 22 * mm
WINDOW_TOP = 52 * mm
WINDOW_WIDTH = 85 * mm


def letter_paragraphs(letter: Letter) -> list[tuple[str, str]]:
    """The letter's text in plain Dutch (B1): (style, text) pairs, headings and paragraphs."""
    valid = f"{letter.valid_until:%d-%m-%Y}"
    place = gemeente.current()
    pas = place.pass_name
    whose = f"de {pas} van {letter.given_name}" if letter.minor else f"uw {pas}"
    return [
        ("heading", f"Uw {pas}"),
        ("body", "Beste ouder of verzorger," if letter.minor else f"Beste {letter.holder_name},"),
        ("body", f"Bij deze brief zit {whose}. De pas is geldig tot en met {valid}."),
        ("subheading", "Wat kunt u met de pas?"),
        (
            "body",
            f"Met de {pas} krijgt u korting op sport, cultuur en andere activiteiten in "
            f"{place.name}. Laat de kaart zien bij de kassa. De medewerker scant de QR-code op de "
            "kaart.",
        ),
        ("subheading", "Pas kwijt of gestolen?"),
        (
            "body",
            f"Bel dan meteen de gemeente: {place.phone}. Noem het pasnummer: "
            f"{numbers.grouped(letter.number)}. Wij zetten de pas dan meteen stop. Dan kan "
            "niemand anders hem gebruiken. U krijgt een nieuwe pas.",
        ),
        ("subheading", "Heeft u een smartphone?"),
        (
            "body",
            f"Dan kunt u de pas ook op uw telefoon laten zien, op Mijn {pas}. De kaart "
            "blijft ook werken.",
        ),
        ("closing", "Met vriendelijke groet,"),
        ("closing", place.organisation),
    ]


_STYLES = {
    "heading": ParagraphStyle("heading", fontName=BOLD, fontSize=14, leading=18, spaceAfter=10),
    "subheading": ParagraphStyle("sub", fontName=BOLD, fontSize=11, leading=15, spaceBefore=6),
    "body": ParagraphStyle("body", fontName=REGULAR, fontSize=11, leading=15, spaceAfter=6),
    "closing": ParagraphStyle("closing", fontName=REGULAR, fontSize=11, leading=15),
}


def _letter_page(canvas: Canvas, letter: Letter) -> None:
    width, height = A4
    canvas.setPageSize(A4)
    canvas.setFont(BOLD, 10)
    place = gemeente.current()
    canvas.drawRightString(width - 20 * mm, height - 20 * mm, place.organisation)
    canvas.setFont(REGULAR, 10)
    canvas.drawRightString(width - 20 * mm, height - 25 * mm, place.pass_name)
    y = height - WINDOW_TOP
    for line in letter.address_lines():
        size = fit(line, REGULAR, 10, WINDOW_WIDTH, smallest=8)
        canvas.setFont(REGULAR, size)
        canvas.drawString(WINDOW_LEFT, y, shorten(line, REGULAR, size, WINDOW_WIDTH))
        y -= 5 * mm
    day = format_date(letter.day, "d MMMM y", locale="nl")
    canvas.setFont(REGULAR, 10)
    canvas.drawString(WINDOW_LEFT, height - 100 * mm, f"{place.name}, {day}")
    y = height - 112 * mm
    text_width = width - WINDOW_LEFT - 20 * mm
    for style, text in letter_paragraphs(letter):
        paragraph = Paragraph(escape(text), _STYLES[style])
        _w, used = paragraph.wrap(text_width, y)
        y -= paragraph.getSpaceBefore()
        paragraph.drawOn(canvas, WINDOW_LEFT, y - used)
        y -= used + paragraph.getSpaceAfter()
    canvas.showPage()


def batch_pdf(items: Sequence[tuple[Letter, CardFace, str]]) -> bytes:
    """Per pass an A4 letter followed by its card page, in the order given."""
    buffer = io.BytesIO()
    canvas = _new_canvas(buffer, f"{gemeente.current().pass_name}: brieven en kaarten")
    for letter, face, code in items:
        _letter_page(canvas, letter)
        _card_page(canvas, face, code)
    canvas.save()
    return buffer.getvalue()
