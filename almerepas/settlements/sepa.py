"""The SEPA payout file: a pain.001 credit transfer the gemeente uploads to its bank.

Built with ``sepaxml`` and validated against the XSD it ships (docs/settlement.md). Every text
is cut down to the EPC basic Latin set, so no bank has a reason to alter or refuse a name; the
same batch and ``created_at`` always give the same bytes, although the file is stored once and
never rebuilt.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from functools import cache
from importlib.resources import files
from typing import Any

import xmlschema
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from sepaxml import SepaTransfer  # type: ignore[import-untyped]
from text_unidecode import unidecode  # type: ignore[import-untyped]

from almerepas.core import clock, gemeente
from almerepas.core.i18n import N_
from almerepas.settlements.calendar import is_target_business_day
from almerepas.settlements.errors import InvalidPayoutAccount, InvalidSepaId
from almerepas.settlements.payouts import Debtor, PayoutBatch, PayoutLine

#: What the EPC rulebook of 2023 and BNG Bank expect; .03 stays for a bank that cannot take .09.
DEFAULT_SCHEMA = "pain.001.001.09"
SCHEMAS = frozenset({"pain.001.001.09", "pain.001.001.03"})

NAME_LENGTH = 70
REMITTANCE_LENGTH = 140
#: EUR 999.999.999,99: the largest amount the EPC rulebook allows in one transfer
MAX_AMOUNT = 99_999_999_999

#: Every character outside the EPC basic Latin set: ``a-z A-Z 0-9 / - ? : ( ) . , ' +`` and space.
_NOT_EPC = re.compile(r"[^a-zA-Z0-9/\-?:().,'+ ]")
#: Dashes text_unidecode would double (``--``): one hyphen reads better in a name.
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"))
#: A few characters that have a readable stand-in inside the set; the rest become a space.
_STAND_INS = str.maketrans({"&": "+", '"': "'", "_": "-", "`": "'"})
#: Ids use a stricter set, which also rules out a leading, trailing or double ``/``.
_SEPA_ID = re.compile(r"[A-Za-z0-9-]{1,35}")


def epc_text(text: str, max_length: int) -> str:
    """``text`` in the EPC basic Latin set, readable and at most ``max_length`` long.

    Banks replace or refuse anything else; transliterating ourselves keeps the name the partner
    recognises (``Café & Zwembad "De Ühr"`` becomes ``Cafe + Zwembad 'De Uhr'``).
    """
    latin = unidecode(text.translate(_DASHES)).translate(_STAND_INS)
    clean = " ".join(_NOT_EPC.sub(" ", latin).split())[:max_length].rstrip()
    # punctuation alone (unidecode writes ``?`` for a symbol it cannot spell) says nothing
    return clean if any(char.isalnum() for char in clean) else ""


def check_sepa_id(value: str, what: str) -> str:
    """``value`` unchanged when a bank accepts it as an id; otherwise a bug, so it raises."""
    if not _SEPA_ID.fullmatch(value):
        raise InvalidSepaId(
            f"{what} {value!r} is no SEPA id: 1 to 35 characters of A-Z, a-z, 0-9 and '-'"
        )
    return value


def payment_information_id(batch_id: str) -> str:
    """The PmtInfId of the batch's one payment block: its MsgId plus ``-1``, so it never changes."""
    return check_sepa_id(f"{check_sepa_id(batch_id, 'batch_id')}-1", "PmtInfId (batch_id + '-1')")


def _account_error(field: str, detail: str, line: PayoutLine | None) -> InvalidPayoutAccount:
    ids: dict[str, Any] = {}
    if line is not None:
        ids = {"payment_id": line.payment_id, "partner_id": line.partner_id}
    return InvalidPayoutAccount(detail, field=field, **ids)


def _check_iban(raw: str, field: str, line: PayoutLine | None) -> IBAN:
    """A valid IBAN of a SEPA country: any other a bank refuses in a SEPA file."""
    try:
        iban = IBAN(raw)
    except (SchwiftyException, ValueError):
        raise _account_error(field, N_("Dit IBAN klopt niet."), line) from None
    if not iban.in_sepa_zone:
        raise _account_error(field, N_("Dit IBAN hoort niet bij een SEPA-land."), line)
    return iban


def _check_bic(raw: str | None, iban: IBAN, field: str, line: PayoutLine | None) -> str | None:
    """The BIC as given, else derived from a Dutch (or other known) IBAN; None when unknown."""
    if raw is None or not raw.strip():
        derived = iban.bic
        return None if derived is None else str(derived.compact)
    try:
        return str(BIC(raw).compact)
    except (SchwiftyException, ValueError):
        raise _account_error(field, N_("Deze BIC klopt niet."), line) from None


def _check_amount(line: PayoutLine) -> int:
    amount = line.amount
    if type(amount) is not int or not 0 < amount <= MAX_AMOUNT:
        raise ValueError(
            f"payment {line.payment_id}: amount must be whole cents from 1 to {MAX_AMOUNT}"
        )
    return amount


def _stand_in(line: PayoutLine) -> str:
    if line.partner_id is None:
        return f"{gemeente.current().pass_name} {line.end_to_end_id}"
    return f"Partner {line.partner_id}"


def _payment(line: PayoutLine) -> dict[str, Any]:
    """The sepaxml payment dict of one line, its account checked and its texts cleaned."""
    iban = _check_iban(line.iban, "iban", line)
    bic = _check_bic(line.bic, iban, "bic", line)
    payment: dict[str, Any] = {
        # a name of only emoji or symbols cleans to nothing: the partner number stands in
        "name": epc_text(line.name, NAME_LENGTH) or _stand_in(line),
        "IBAN": str(iban.compact),
        "amount": _check_amount(line),
        "description": epc_text(line.remittance, REMITTANCE_LENGTH) or line.end_to_end_id,
        "endtoend_id": check_sepa_id(line.end_to_end_id, "end_to_end_id"),
    }
    if bic is not None:
        payment["BIC"] = bic
    return payment


def _config(debtor: Debtor) -> dict[str, Any]:
    """sepaxml's config: the gemeente's account, one batch booking, euro."""
    name = epc_text(debtor.name, NAME_LENGTH)
    if not name:
        raise ValueError("the debtor's name has no character a bank can print")
    iban = _check_iban(debtor.iban, "debtor_iban", None)
    config: dict[str, Any] = {
        "name": name,
        "IBAN": str(iban.compact),
        "batch": True,
        "currency": "EUR",
    }
    bic = _check_bic(debtor.bic, iban, "debtor_bic", None)
    if bic is None:  # the XSD allows an empty DbtrAgt; the EPC guidelines want a BIC there
        raise _account_error(
            "debtor_bic", N_("De BIC van de rekening van de gemeente ontbreekt."), None
        )
    config["BIC"] = bic
    return config


def build_credit_transfer(
    batch: PayoutBatch,
    debtor: Debtor,
    *,
    created_at: dt.datetime,
    schema: str = DEFAULT_SCHEMA,
) -> bytes:
    """The pain.001 file paying every line of ``batch`` from ``debtor``'s account, in one batch
    booking on ``batch.execution_date``; the same arguments always give the same bytes.

    Raises InvalidPayoutAccount for an IBAN or BIC a bank would refuse; InvalidSepaId or
    ValueError for what only a bug produces (bad ids, amounts, dates, an empty batch).
    """
    if schema not in SCHEMAS:
        raise ValueError(f"unsupported schema {schema!r}; choose one of {sorted(SCHEMAS)}")
    if not batch.lines:
        raise ValueError("a SEPA file needs at least one payment")
    if created_at.tzinfo is None:
        raise ValueError("created_at must be timezone-aware")
    if not is_target_business_day(batch.execution_date):
        raise ValueError(f"{batch.execution_date} is no TARGET2 business day")
    msg_id = check_sepa_id(batch.batch_id, "batch_id")
    pmt_inf_id = payment_information_id(msg_id)
    end_to_end_ids = [line.end_to_end_id for line in batch.lines]
    if len(set(end_to_end_ids)) != len(end_to_end_ids):
        raise InvalidSepaId(f"batch {msg_id} has an end_to_end_id twice")

    transfer = SepaTransfer(_config(debtor), schema=schema, clean=False)
    for line in batch.lines:
        payment = _payment(line)
        payment["execution_date"] = batch.execution_date
        transfer.add_payment(payment)
    generated: bytes = transfer.export(validate=True)

    document = _pin_identity(generated, schema, msg_id, pmt_inf_id, created_at)
    _xsd(schema).validate(document.decode())
    return document


def _pin_identity(
    generated: bytes, schema: str, msg_id: str, pmt_inf_id: str, created_at: dt.datetime
) -> bytes:
    """sepaxml's file with our MsgId, PmtInfId and CreDtTm in place of its random ones and now().

    Only these three texts change. The tree is written back the way sepaxml writes it: plain
    tags under a literal ``xmlns`` on the root (ElementTree cannot give a default namespace to
    a tree with unqualified attributes such as ``Ccy``).
    """
    namespace = f"urn:iso:std:iso:20022:tech:xsd:{schema}"
    root = ET.fromstring(generated)  # noqa: S314 (sepaxml's own output, not untrusted input)
    for element in root.iter():
        element.tag = element.tag.removeprefix(f"{{{namespace}}}")
    root.set("xmlns", namespace)
    root.set("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance")
    texts = {
        "CstmrCdtTrfInitn/GrpHdr/MsgId": msg_id,
        "CstmrCdtTrfInitn/GrpHdr/CreDtTm": created_at.astimezone(clock.LOCAL).strftime(
            "%Y-%m-%dT%H:%M:%S"
        ),
        "CstmrCdtTrfInitn/PmtInf/PmtInfId": pmt_inf_id,
    }
    for path, text in texts.items():
        elements = root.findall(path)
        if len(elements) != 1:  # one group header and one batch, as BtchBookg asks
            raise RuntimeError(f"sepaxml wrote {len(elements)} {path}, expected one")
        elements[0].text = text
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="UTF-8"?>' + body


@cache
def _xsd(schema: str) -> xmlschema.XMLSchema:
    """The XSD sepaxml validates with, so the final file passes the same check."""
    return xmlschema.XMLSchema(str(files("sepaxml").joinpath("schemas", f"{schema}.xsd")))
