"""The pain.001 payout file: what the bank reads, checked against the XSD sepaxml ships."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path

import pytest
import sepaxml  # type: ignore[import-untyped]
import xmlschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from almerepas.settlements.errors import InvalidPayoutAccount, InvalidSepaId
from almerepas.settlements.payouts import Debtor, PayoutBatch, PayoutLine
from almerepas.settlements.sepa import MAX_AMOUNT, build_credit_transfer, epc_text

SCHEMAS = ["pain.001.001.09", "pain.001.001.03"]
EPC_TEXT = re.compile(r"[a-zA-Z0-9/\-?:().,'+ ]+")
CREATED_AT = dt.datetime(2027, 1, 4, 9, 30, tzinfo=dt.UTC)
EXECUTION = dt.date(2027, 1, 5)
DEBTOR = Debtor(name="Gemeente Almere", iban="NL91 ABNA 0417 1643 00", bic="ABNANL2A")


@cache
def xsd(schema: str) -> xmlschema.XMLSchema:
    """The XSD as sepaxml ships it, loaded here and not through the code under test."""
    return xmlschema.XMLSchema(Path(sepaxml.__file__).parent / "schemas" / f"{schema}.xsd")


def line(n: int = 1, **changes: object) -> PayoutLine:
    base = PayoutLine(
        payment_id=n,
        end_to_end_id=f"ALM-7-{n}",
        partner_id=100 + n,
        name=f"Sportclub {n}",
        iban="NL20INGB0001234567",
        bic="INGBNL2A",
        amount=1000 * n,
        remittance=f"Almerepas creditnota 2027-01 nr {n}",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def batch(*lines: PayoutLine, batch_id: str = "ALM-7") -> PayoutBatch:
    return PayoutBatch(run_id=7, batch_id=batch_id, execution_date=EXECUTION, lines=lines)


def build(b: PayoutBatch, schema: str = "pain.001.001.09") -> bytes:
    return build_credit_transfer(b, DEBTOR, created_at=CREATED_AT, schema=schema)


class Doc:
    """The file parsed as the bank would, with paths relative to CstmrCdtTrfInitn."""

    def __init__(self, data: bytes, schema: str) -> None:
        xsd(schema).validate(data.decode())
        self.ns = {"p": f"urn:iso:std:iso:20022:tech:xsd:{schema}"}
        root = ET.fromstring(data)  # noqa: S314 (our own test output)
        initiation = root.find("p:CstmrCdtTrfInitn", self.ns)
        assert initiation is not None
        self.root = initiation

    def texts(self, path: str) -> list[str]:
        prefixed = "/".join(f"p:{part}" for part in path.split("/"))
        return [element.text or "" for element in self.root.findall(prefixed, self.ns)]

    def text(self, path: str) -> str:
        (value,) = self.texts(path)
        return value


TX = "PmtInf/CdtTrfTxInf"


@pytest.mark.parametrize("schema", SCHEMAS)
def test_the_file_validates_and_carries_the_batch(schema: str) -> None:
    doc = Doc(build(batch(line(1), line(2), line(3)), schema), schema)

    assert doc.text("GrpHdr/MsgId") == "ALM-7"
    assert doc.text("PmtInf/PmtInfId") == "ALM-7-1"
    assert doc.text("PmtInf/PmtMtd") == "TRF"
    assert doc.text("PmtInf/BtchBookg") == "true"
    assert doc.text("PmtInf/ChrgBr") == "SLEV"
    assert doc.text("GrpHdr/InitgPty/Nm") == "Gemeente Almere"
    assert doc.text("PmtInf/DbtrAcct/Id/IBAN") == "NL91ABNA0417164300"
    bic = "BICFI" if schema == "pain.001.001.09" else "BIC"
    assert doc.text(f"PmtInf/DbtrAgt/FinInstnId/{bic}") == "ABNANL2A"
    date_path = "PmtInf/ReqdExctnDt/Dt" if schema == "pain.001.001.09" else "PmtInf/ReqdExctnDt"
    assert doc.text(date_path) == "2027-01-05"
    assert doc.texts(f"{TX}/Cdtr/Nm") == ["Sportclub 1", "Sportclub 2", "Sportclub 3"]
    assert doc.texts(f"{TX}/RmtInf/Ustrd")[0] == "Almerepas creditnota 2027-01 nr 1"


@pytest.mark.parametrize("schema", SCHEMAS)
def test_count_and_control_sum_match_the_lines(schema: str) -> None:
    lines = [line(1, amount=1), line(2, amount=123456), line(3, amount=99)]
    doc = Doc(build(batch(*lines), schema), schema)

    for header in ("GrpHdr", "PmtInf"):
        assert doc.text(f"{header}/NbOfTxs") == "3"
        assert doc.text(f"{header}/CtrlSum") == "1235.56"


@pytest.mark.parametrize("schema", SCHEMAS)
def test_amounts_come_out_to_the_cent(schema: str) -> None:
    cents = [1, 10, 100, 123456, MAX_AMOUNT]
    lines = [line(n, amount=amount) for n, amount in enumerate(cents, start=1)]
    doc = Doc(build(batch(*lines), schema), schema)

    assert doc.texts(f"{TX}/Amt/InstdAmt") == ["0.01", "0.10", "1.00", "1234.56", "999999999.99"]
    currencies = {e.get("Ccy") for e in doc.root.iterfind("p:PmtInf//p:InstdAmt", doc.ns)}
    assert currencies == {"EUR"}


@pytest.mark.parametrize("schema", SCHEMAS)
def test_names_and_remittance_are_transliterated_into_the_epc_set(schema: str) -> None:
    cafe = line(
        1,
        name='Café & Zwembad "De Ühr" — Almere!@',
        remittance="Straße_ß #12; €5 * 3 — ok?",
    )
    doc = Doc(build(batch(cafe), schema), schema)

    assert doc.text(f"{TX}/Cdtr/Nm") == "Cafe + Zwembad 'De Uhr' - Almere"
    assert doc.text(f"{TX}/RmtInf/Ustrd") == "Strasse-ss 12 EUR5 3 - ok?"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Bäckerei Müller & Söhne", "Backerei Muller + Sohne"),
        ("Ørsted Æblegården", "Orsted AEblegarden"),
        ("Łódź Żabka", "Lodz Zabka"),
        ("info@club.nl", "info club.nl"),
        ("  veel   ruimte\t\nhier ", "veel ruimte hier"),
        ("50% korting!", "50 korting"),
        ("a/b-c?d:e(f)g.h,i'j+k", "a/b-c?d:e(f)g.h,i'j+k"),
        ("😀🎉", ""),
        ("🏊‍♀️ ?!", ""),
    ],
)
def test_epc_text(raw: str, clean: str) -> None:
    assert epc_text(raw, 70) == clean


def test_a_name_of_71_characters_is_cut_to_70() -> None:
    long_name = "Stichting Sport en Spel voor Iedereen in Almere Haven en Almere Stad 123"
    assert len(long_name) > 70
    doc = Doc(build(batch(line(1, name=long_name))), "pain.001.001.09")

    assert doc.text(f"{TX}/Cdtr/Nm") == long_name[:70]


def test_a_remittance_is_cut_to_140_without_a_trailing_space() -> None:
    remittance = "abc " * 50  # the 140th character is a space
    doc = Doc(build(batch(line(1, remittance=remittance))), "pain.001.001.09")

    assert doc.text(f"{TX}/RmtInf/Ustrd") == "abc " * 34 + "abc"


def test_a_name_with_nothing_printable_becomes_the_partner_number() -> None:
    doc = Doc(build(batch(line(1, name="🏊‍♀️", partner_id=42))), "pain.001.001.09")

    assert doc.text(f"{TX}/Cdtr/Nm") == "Partner 42"


@pytest.mark.parametrize("schema", SCHEMAS)
def test_every_end_to_end_id_is_in_the_file_once(schema: str) -> None:
    lines = [line(n) for n in range(1, 6)]
    doc = Doc(build(batch(*lines), schema), schema)

    ids = doc.texts(f"{TX}/PmtId/EndToEndId")
    assert ids == [f"ALM-7-{n}" for n in range(1, 6)]
    assert len(set(ids)) == len(ids)


def test_an_end_to_end_id_twice_in_a_batch_is_a_bug() -> None:
    with pytest.raises(InvalidSepaId):
        build(batch(line(1), line(2, end_to_end_id="ALM-7-1")))


@pytest.mark.parametrize("schema", SCHEMAS)
def test_the_same_inputs_give_the_same_bytes(schema: str) -> None:
    lines = (line(1, name="Café & Co"), line(2, bic=None))

    first = build(batch(*lines), schema)
    second = build(batch(*lines), schema)

    assert first == second
    doc = Doc(first, schema)
    # created_at in Almere's local time (CET in January), not the wall clock
    assert doc.text("GrpHdr/CreDtTm") == "2027-01-04T10:30:00"


def test_only_the_creation_time_depends_on_created_at() -> None:
    b = batch(line(1))
    later = CREATED_AT + dt.timedelta(hours=1)

    first = build(b)
    second = build_credit_transfer(b, DEBTOR, created_at=later)

    assert first != second
    assert first.replace(b"T10:30:00", b"T11:30:00") == second


@pytest.mark.parametrize("schema", SCHEMAS)
def test_a_missing_bic_of_a_dutch_iban_is_derived(schema: str) -> None:
    lines = [
        line(1, iban="NL39 RABO 0300 0652 64", bic=None),
        line(2, iban="CH9300762011623852957", bic=None),  # no BIC known: left out
    ]
    doc = Doc(build(batch(*lines), schema), schema)

    bic = "BICFI" if schema == "pain.001.001.09" else "BIC"
    assert doc.texts(f"{TX}/CdtrAgt/FinInstnId/{bic}") == ["RABONL2U"]
    assert doc.texts(f"{TX}/CdtrAcct/Id/IBAN") == ["NL39RABO0300065264", "CH9300762011623852957"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"iban": "NL91ABNA0417164301"}, "iban"),  # check digits wrong
        ({"iban": "NL91ABNA04171643"}, "iban"),  # too short
        ({"iban": "BR1800360305000010009795493C1"}, "iban"),  # valid, but not in SEPA
        ({"bic": "ABNANL2"}, "bic"),
        ({"bic": "ABNAXX2A"}, "bic"),  # no country XX
    ],
)
def test_an_account_a_bank_refuses_stops_the_file(changes: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidPayoutAccount) as refused:
        build(batch(line(1), line(2, **changes)))

    assert refused.value.code == "payout_account_invalid"
    assert refused.value.status == 422
    assert refused.value.extensions == {"field": field, "payment_id": 2, "partner_id": 102}


def test_a_missing_debtor_bic_of_a_dutch_iban_is_derived() -> None:
    debtor = dataclasses.replace(DEBTOR, bic="")
    data = build_credit_transfer(batch(line(1)), debtor, created_at=CREATED_AT)

    assert Doc(data, "pain.001.001.09").text("PmtInf/DbtrAgt/FinInstnId/BICFI") == "ABNANL2A"


@pytest.mark.parametrize(
    ("debtor", "field"),
    [
        (dataclasses.replace(DEBTOR, iban="NL00ABNA0417164300"), "debtor_iban"),
        (dataclasses.replace(DEBTOR, bic="ABNA"), "debtor_bic"),
        # no BIC given and none known for a Swiss IBAN: the debtor agent would be empty
        (dataclasses.replace(DEBTOR, iban="CH9300762011623852957", bic=""), "debtor_bic"),
    ],
)
def test_the_gemeentes_own_account_is_checked_too(debtor: Debtor, field: str) -> None:
    with pytest.raises(InvalidPayoutAccount) as refused:
        build_credit_transfer(batch(line(1)), debtor, created_at=CREATED_AT)

    assert refused.value.extensions == {"field": field}


@pytest.mark.parametrize(
    "batch_id",
    ["ALM/7", "/ALM-7", "ALM-7/", "ALM//7", "ALM 7", "ALM_7", "", "A" * 34],
)
def test_a_batch_id_a_bank_refuses_is_a_bug(batch_id: str) -> None:
    with pytest.raises(InvalidSepaId):
        build(batch(line(1), batch_id=batch_id))


@pytest.mark.parametrize("end_to_end_id", ["ALM/7/1", "ALM-7-1 ", "É-1", "A" * 36])
def test_an_end_to_end_id_a_bank_refuses_is_a_bug(end_to_end_id: str) -> None:
    with pytest.raises(InvalidSepaId):
        build(batch(line(1, end_to_end_id=end_to_end_id)))


def test_ids_of_35_characters_pass() -> None:
    doc = Doc(build(batch(line(1, end_to_end_id="E" * 35), batch_id="B" * 33)), "pain.001.001.09")

    assert doc.text("PmtInf/PmtInfId") == "B" * 33 + "-1"
    assert doc.text(f"{TX}/PmtId/EndToEndId") == "E" * 35


@pytest.mark.parametrize(
    ("b", "created_at", "schema"),
    [
        (batch(), CREATED_AT, "pain.001.001.09"),  # no payments
        (batch(line(1, amount=0)), CREATED_AT, "pain.001.001.09"),
        (batch(line(1, amount=MAX_AMOUNT + 1)), CREATED_AT, "pain.001.001.09"),
        (batch(line(1)), CREATED_AT.replace(tzinfo=None), "pain.001.001.09"),
        (batch(line(1)), CREATED_AT, "pain.001.001.02"),
        (
            dataclasses.replace(batch(line(1)), execution_date=dt.date(2027, 3, 26)),
            CREATED_AT,
            "pain.001.001.09",
        ),  # Good Friday: TARGET2 is closed
    ],
)
def test_what_only_a_bug_produces_is_refused(
    b: PayoutBatch, created_at: dt.datetime, schema: str
) -> None:
    with pytest.raises(ValueError):
        build_credit_transfer(b, DEBTOR, created_at=created_at, schema=schema)


line_strategy = st.builds(
    lambda n, name, remittance, amount: line(n, name=name, remittance=remittance, amount=amount),
    n=st.just(0),
    name=st.text(max_size=120),
    remittance=st.text(max_size=200),
    amount=st.integers(min_value=1, max_value=MAX_AMOUNT),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lines=st.lists(line_strategy, min_size=1, max_size=8),
    schema=st.sampled_from(SCHEMAS),
)
def test_any_names_and_amounts_give_a_valid_file_that_adds_up(
    lines: list[PayoutLine], schema: str
) -> None:
    numbered = [
        dataclasses.replace(each, payment_id=n, end_to_end_id=f"ALM-7-{n}")
        for n, each in enumerate(lines, start=1)
    ]
    doc = Doc(build(batch(*numbered), schema), schema)

    total = sum(each.amount for each in numbered)
    assert doc.text("GrpHdr/CtrlSum") == f"{total // 100}.{total % 100:02d}"
    assert doc.text("GrpHdr/NbOfTxs") == str(len(numbered))
    amounts = doc.texts(f"{TX}/Amt/InstdAmt")
    assert [int(a.replace(".", "")) for a in amounts] == [each.amount for each in numbered]
    for name in doc.texts(f"{TX}/Cdtr/Nm"):
        assert EPC_TEXT.fullmatch(name)
        assert len(name) <= 70
    for remittance in doc.texts(f"{TX}/RmtInf/Ustrd"):
        assert EPC_TEXT.fullmatch(remittance)
        assert len(remittance) <= 140
