"""Reading QR codes in tests as a camera app would, with zxing-cpp.

zxing-cpp may report one symbol twice (found again on a downscaled copy of the image), depending
on the bits in it; a test that counts symbols counts distinct ones, so it does not depend on the
random bits of the code it drew.
"""

from __future__ import annotations

from typing import Any

import zxingcpp


def read_qr(image: Any) -> list[zxingcpp.Barcode]:
    """The QR symbols in ``image``, each once (by its text), in the order zxing found them."""
    seen: dict[str, zxingcpp.Barcode] = {}
    for barcode in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode):
        seen.setdefault(barcode.text, barcode)
    return list(seen.values())
