"""Fonts for the PDFs we print (cards, letters, statements): names in every Latin script (Ł, ş,
ğ), embedded so that every printer shows the same; and fitting a line into a width."""

from __future__ import annotations

from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

DEJAVU = "/usr/share/fonts/truetype/dejavu"
_FONTS = (
    (f"{DEJAVU}/DejaVuSans.ttf", f"{DEJAVU}/DejaVuSans-Bold.ttf"),  # Debian: fonts-dejavu-core
    ("Vera.ttf", "VeraBd.ttf"),  # shipped with reportlab: Latin-1 only
)
REGULAR, BOLD = "Almerepas", "Almerepas-Bold"


def register_fonts() -> None:
    if REGULAR in pdfmetrics.getRegisteredFontNames():
        return
    for regular, bold in _FONTS:
        if regular.startswith("/") and not Path(regular).exists():
            continue
        pdfmetrics.registerFont(TTFont(REGULAR, regular))
        pdfmetrics.registerFont(TTFont(BOLD, bold))
        return


def fit(text: str, font: str, size: float, width: float, smallest: float = 6) -> float:
    """The largest font size from ``size`` down to ``smallest`` at which ``text`` fits."""
    while size > smallest and pdfmetrics.stringWidth(text, font, size) > width:
        size -= 0.25
    return size


def shorten(text: str, font: str, size: float, width: float) -> str:
    """``text``, cut with an ellipsis when it does not fit even at the smallest size."""
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"
