"""Applications as a resident fills them in, and real evidence files (a PDF, a PNG)."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image
from reportlab.pdfgen import canvas

#: a single parent of 35 with two children, in Almere Stad, on a benefit: eligible for much
MEMBERS = {
    "member-0-given_name": "Fatima",
    "member-0-family_name": "El Amrani",
    "member-0-born": "02-04-1990",
    "member-0-role": "applicant",
    "member-1-given_name": "Sami",
    "member-1-family_name": "El Amrani",
    "member-1-born": "01-06-2014",
    "member-1-role": "child",
    "member-2-given_name": "Noor",
    "member-2-family_name": "El Amrani",
    "member-2-born": "20-02-2019",
    "member-2-role": "child",
}
ADDRESS = {
    "postcode": "1315 ab",
    "house_number": "12",
    "street": "Stadhuisplein",
    "email": "fatima@example.nl",
    "phone": "06 12345678",
}
INCOME = {"income-0-member": "0", "income-0-kind": "benefit", "income-0-amount": "1.234,56"}


def answers(**changes: dict[str, str]) -> dict[str, Any]:
    typed = {"members": MEMBERS, "address": ADDRESS, "income": INCOME}
    return typed | changes


def pdf_bytes() -> bytes:
    """A real one-page PDF, as a scanner or a bank's website makes it."""
    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.drawString(72, 720, "Uitkeringsspecificatie maart 2026")
    page.save()
    return out.getvalue()


def png_bytes(size: tuple[int, int] = (40, 30)) -> bytes:
    """A real PNG, as a phone's photo of a letter (small)."""
    out = io.BytesIO()
    Image.new("RGB", size, (200, 180, 20)).save(out, format="PNG")
    return out.getvalue()


def fake_pdf() -> bytes:
    """Text with a PDF's first bytes: its name may say .pdf, it is no PDF."""
    return b"%PDF-1.4\nDit is gewoon tekst, geen PDF.\n"
