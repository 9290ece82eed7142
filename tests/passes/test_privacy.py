"""What a code shows to anyone with a QR reader: only the allowed claims, nothing personal, and
the same size, symbol and validity for every holder, whatever their entitlements. The codes are
drawn as real QR symbols and read back with a real decoder (zxing-cpp)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from typing import Any

import qrcode
from qrcode.constants import ERROR_CORRECT_M, ERROR_CORRECT_Q
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.core.elfproef import contains_bsn
from almerepas.households import members as households
from almerepas.models import Grant, Pass, Scheme
from almerepas.passes.credentials import issue_card_credential, issue_phone_credential
from tests.factories import KEYS, credential_pass, device_jwk, device_key, phone_code
from tests.fixtures import START
from tests.qr import read_qr

PHONE_CLAIMS = {"v", "t", "p", "g", "k", "n", "e", "b"}
CARD_CLAIMS = {"v", "t", "p", "g", "n", "e"}
POSTCODE = re.compile(r"[1-9][0-9]{3} ?[A-Za-z]{2}")


def scanned(text: str, error_correction: int) -> tuple[str, int, str]:
    """Draw ``text`` as the smallest QR symbol at this error correction, read it back with
    zxing-cpp: (what the reader got, the symbol's version, its error correction level)."""
    symbol = qrcode.QRCode(error_correction=error_correction, box_size=4, border=4)
    symbol.add_data(text)
    symbol.make(fit=True)
    image = symbol.make_image().get_image().convert("L")
    [read] = read_qr(image)
    assert int(read.extra["Version"]) == symbol.version
    return read.text, symbol.version, read.extra["ECLevel"]


def claims(credential: str) -> dict[str, Any]:
    header, payload, _signature = credential.split(".")
    assert json.loads(base64.urlsafe_b64decode(header + "==")) == {
        "alg": "ES256",
        "kid": json.loads(base64.urlsafe_b64decode(header + "=="))["kid"],
    }
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * 3))
    return decoded


def holder(session: Session, bsn: str, *, grants: tuple[str, ...]) -> Pass:
    """A resident with a BSN, an address and, per tier, the grants of this month and year."""
    person = households.create_person(
        session,
        given_name="Fatima",
        family_name="El Amrani",
        date_of_birth=dt.date(1984, 7, 9),
        bsn=bsn,
        keys=KEYS,
    )
    for code in grants:
        scheme = session.scalars(select(Scheme).where(Scheme.code == code)).one()
        period = "2026-03" if scheme.period.value == "month" else "2026"
        session.add(
            Grant(
                scheme_id=scheme.id,
                period=period,
                beneficiary_key=f"person:{person.id}",
                person_id=person.id,
                amount=scheme.amount,
            )
        )
    session.flush()
    return credential_pass(session, person.id)


#: Claims that are random bytes (pseudonym, device key, encrypted bus claim), by their length:
#: they carry nothing but their size, which is the same for everyone.
RANDOM_BYTES = {"p": 12, "k": 33, "b": 6}


def nothing_personal(decoded: dict[str, Any], pass_: Pass) -> None:
    """No BSN-like number, postcode, name, birth date, pass number or tier in the claims."""
    for name, size in RANDOM_BYTES.items():
        if name in decoded:
            assert len(base64.urlsafe_b64decode(decoded[name] + "==")) == size
    rest = {k: v for k, v in decoded.items() if k not in RANDOM_BYTES}
    text = json.dumps(rest)
    assert not contains_bsn(text)
    assert not POSTCODE.search(text)
    assert pass_.person.bsn_encrypted is not None
    bsn = KEYS.decrypt(pass_.person.bsn_encrypted)
    for personal in (bsn, "Fatima", "Amrani", "1984", pass_.number, "ov", "minima", "tier"):
        assert personal not in text
    assert set(rest) <= {"v", "t", "g", "n", "e"} and rest["t"] in ("ph", "cd")


def test_a_phone_code_shows_only_its_claims_and_is_the_same_for_every_tier(
    keyed: Session,
) -> None:
    basic = holder(keyed, "111222333", grants=())
    entitled = holder(keyed, "123456782", grants=("ov", "stadsfonds", "supermarkt"))
    seen = {}
    for pass_ in (basic, entitled):
        device = device_key()
        issued = issue_phone_credential(keyed, pass_, device_jwk(device), keys=KEYS, now=START)
        code = phone_code(device, issued.token, START)
        text, version, level = scanned(code, ERROR_CORRECT_M)
        assert text == code
        credential = text.split("~")[0]
        got = claims(credential)
        assert set(got) == PHONE_CLAIMS
        nothing_personal(got, pass_)
        assert pass_.number not in text
        seen[pass_.id] = (len(text), version, level, got["e"] - got["n"], len(got["b"]))
    assert seen[basic.id] == seen[entitled.id]
    length, version, level, validity, claim = seen[basic.id]
    assert (version, level, validity, claim) == (15, "M", 72 * 3600, 8)
    assert length <= 412  # byte capacity of version 15 at M: measured 407


def test_a_card_code_shows_only_its_claims_and_is_the_same_for_every_tier(
    keyed: Session,
) -> None:
    basic = holder(keyed, "111222333", grants=())
    entitled = holder(keyed, "123456782", grants=("ov", "stadsfonds"))
    seen = {}
    for pass_ in (basic, entitled):
        code = issue_card_credential(keyed, pass_, keys=KEYS, now=START)
        text, version, level = scanned(code, ERROR_CORRECT_Q)
        assert text == code
        got = claims(text)
        assert set(got) == CARD_CLAIMS
        nothing_personal(got, pass_)
        assert pass_.number not in text
        seen[pass_.id] = (len(text), version, level, got["e"])
    assert seen[basic.id] == seen[entitled.id]
    assert seen[basic.id][1:3] == (13, "Q")  # the limit is 13 at Q: measured 13 (223 characters)


def test_every_refresh_gives_a_new_pseudonym_and_a_new_device_key_gives_a_new_k(
    keyed: Session,
) -> None:
    pass_ = holder(keyed, "111222333", grants=())
    first = claims(
        issue_phone_credential(keyed, pass_, device_jwk(device_key()), keys=KEYS, now=START).token
    )
    later = START + dt.timedelta(hours=24)
    second = claims(
        issue_phone_credential(keyed, pass_, device_jwk(device_key()), keys=KEYS, now=later).token
    )
    assert first["p"] != second["p"] and first["k"] != second["k"]
    assert (first["g"], first["v"]) == (second["g"], second["v"])
