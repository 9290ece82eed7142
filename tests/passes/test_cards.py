"""The printed card and the batch of letters: read back from the PDF as a printer gets it.

The card page is exactly ID-1 (85.60 x 53.98 mm); the QR embedded in it decodes with a real
decoder (zxing-cpp) to the code, at ECC Q and version 13 or lower for a card credential of
realistic length (an ES256 JWS made here with pyjwt, as the credentials module will make it);
its modules are whole printer dots; the card's text holds only the allowed fields.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import secrets

import jwt
import pytest
import zxingcpp
from cryptography.hazmat.primitives.asymmetric import ec
from pypdf import PdfReader
from pypdf._page import PageObject

from almerepas.passes import cards, numbers
from tests.qr import read_qr

MM = 72 / 25.4
KEY = ec.generate_private_key(ec.SECP256R1())
NUMBER = numbers.with_check_digit("482139071265")
FACE = cards.CardFace(given_name="Noor", number=NUMBER, valid_until=dt.date(2027, 12, 31))


def card_code(generation: int = 1, **extra: object) -> str:
    """A card credential as the research note measures it (~220 characters): ES256, header
    alg and kid only, a 96-bit pseudonym, the generation and the validity."""
    claims = {"t": "cd", "p": secrets.token_urlsafe(12), "g": generation,
              "e": 1830297599, "n": 1772409600, **extra}  # fmt: skip
    return jwt.encode(claims, KEY, algorithm="ES256", headers={"kid": "K2026-01", "typ": None})


def read(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


def decoded(page: PageObject) -> list[zxingcpp.Barcode]:
    [embedded] = page.images
    return list(read_qr(embedded.image.convert("L")))


def words(page: PageObject) -> list[str]:
    return page.extract_text().split()


def test_the_card_is_exactly_the_size_of_a_bank_card() -> None:
    [page] = read(cards.card_pdf(FACE, card_code())).pages
    assert float(page.mediabox.width) == pytest.approx(85.60 * MM, abs=0.01)
    assert float(page.mediabox.height) == pytest.approx(53.98 * MM, abs=0.01)


def test_the_qr_on_the_card_decodes_to_the_code_at_ecc_q_and_version_13_or_lower() -> None:
    code = card_code()
    assert 215 <= len(code) <= 235
    [page] = read(cards.card_pdf(FACE, code)).pages
    [barcode] = decoded(page)
    assert barcode.format == zxingcpp.BarcodeFormat.QRCode
    assert barcode.text == code
    assert barcode.ec_level == "Q"
    assert int(barcode.extra["Version"]) <= cards.MAX_VERSION


def test_the_qr_is_as_large_as_the_card_allows_with_square_whole_dot_modules() -> None:
    code = card_code()
    symbol = cards.qr_symbol(code)
    [page] = read(cards.card_pdf(FACE, code)).pages
    [embedded] = page.images
    assert embedded.image.size == (symbol.modules * symbol.dots_per_module,) * 2
    # Drawn at 300 dpi: one image pixel is one printer dot, so every module is square.
    content = page.get_contents()
    assert content is not None
    drawn = re.search(rb"([\d.]+) 0 0 ([\d.]+) ([\d.]+) ([\d.]+) cm\s+/\S+ Do", content.get_data())
    assert drawn, "the QR image is not drawn with a plain scale"
    width, height, x, _y = map(float, drawn.groups())
    assert width == height == pytest.approx(embedded.image.size[0] / cards.DPI * 72, abs=0.01)
    assert x + width == pytest.approx(float(page.mediabox.width), abs=0.01)  # right edge
    # One more dot per module would not fit the card's height (quiet zone included).
    assert symbol.modules * (symbol.dots_per_module + 1) / cards.DPI * 72 > cards.CARD_HEIGHT
    # The symbol itself (without its quiet zone) is at least 40 mm, as the hcert spec asks.
    dark_part = symbol.modules - 2 * cards.QUIET_ZONE
    assert dark_part * symbol.dots_per_module / cards.DPI * 25.4 >= 40


def test_the_card_shows_only_the_allowed_fields() -> None:
    [page] = read(cards.card_pdf(FACE, card_code())).pages
    shown = " ".join(words(page))
    assert shown == "Almerepas Noor 4821 3907 1265 3 Geldig tot 31-12-2027 " + cards.USE_TEXT
    # So nothing else: no family name, birth date, address, BSN, income or tier.


def test_every_card_code_of_one_length_gets_the_same_qr() -> None:
    """Same size for everyone: byte mode, so the version depends on the length alone."""
    versions = {cards.qr_symbol(card_code(generation=g)).version for g in range(1, 10)}
    digits_heavy = "1" * 120 + "a" * 103
    assert {cards.qr_symbol(digits_heavy).version} == versions == {13}


def test_a_code_too_long_for_a_worn_card_is_refused() -> None:
    with pytest.raises(cards.CodeTooLong):
        cards.qr_symbol(card_code(extra="x" * 40))


def test_a_long_name_is_shortened_not_drawn_over_the_qr() -> None:
    face = cards.CardFace("Maximiliaan-Alexander-Christiaan", NUMBER, dt.date(2027, 12, 31))
    [page] = read(cards.card_pdf(face, card_code())).pages
    [name] = [w for w in words(page) if w.startswith("Maximiliaan")]
    assert name.endswith("…") and len(name) < len(face.given_name)


def letter(**changes: object) -> cards.Letter:
    fields = {"holder_name": "Łukasz Wiśniewski", "given_name": "Łukasz", "minor": False,
              "street_line": "Stadhuisplein 12 A", "postcode": "1315 AB", "city": "Almere",
              "number": NUMBER, "valid_until": dt.date(2027, 12, 31),
              "day": dt.date(2026, 3, 2)} | changes  # fmt: skip
    return cards.Letter(**fields)  # type: ignore[arg-type]


def test_the_batch_is_a_letter_then_its_card_for_each_pass() -> None:
    codes = [card_code(), card_code()]
    adult = letter()
    child = letter(holder_name="Noor Wiśniewski", given_name="Noor", minor=True)
    noor = cards.CardFace("Noor", numbers.with_check_digit("900000000001"), dt.date(2027, 12, 31))
    reader = read(cards.batch_pdf([(adult, FACE, codes[0]), (child, noor, codes[1])]))
    sizes = [(round(float(p.mediabox.width) / MM, 2), round(float(p.mediabox.height) / MM, 2))
             for p in reader.pages]  # fmt: skip
    assert sizes == [(210.0, 297.0), (85.6, 53.98)] * 2
    first, card, second, child_card = reader.pages
    assert [b.text for b in decoded(card)] == [codes[0]]
    assert [b.text for b in decoded(child_card)] == [codes[1]]
    text = " ".join(words(first))
    # Name and address for the envelope's window, the pass number, what to do when it is lost.
    assert "Łukasz Wiśniewski Stadhuisplein 12 A 1315 AB ALMERE" in text
    assert "Almere, 2 maart 2026" in text
    assert "Beste Łukasz Wiśniewski," in text
    assert "Noem het pasnummer: 4821 3907 1265 3." in text
    assert "Pas kwijt of gestolen? Bel dan meteen de gemeente: 14 036." in text
    assert "geldig tot en met 31-12-2027" in text
    child_text = " ".join(words(second))
    assert "De ouders of verzorgers van Noor Wiśniewski Stadhuisplein 12 A" in child_text
    assert "Beste ouder of verzorger, Bij deze brief zit de Almerepas van Noor." in child_text


def test_a_name_with_markup_is_printed_as_written() -> None:
    odd = letter(holder_name="A <b>&amp; B", given_name="A <b>")
    [page, _card] = read(cards.batch_pdf([(odd, FACE, card_code())])).pages
    assert "Beste A <b>&amp; B," in " ".join(words(page))
