"""Declarations: checked when handed in, taken from the budget once on approval, never beyond
what is left, never twice for one receipt, and paid to the holder's IBAN by the next SEPA file."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almerepas.ledger import posting as ledger
from almerepas.reimbursements import deciding, declaring
from almerepas.reimbursements.errors import (
    DeclarationInvalid,
    ReceiptUsedBefore,
    ReimbursementBudgetExpired,
    ReimbursementDecided,
    ReimbursementOverBudget,
)
from almerepas.reimbursements.models import Reimbursement, ReimbursementStatus
from almerepas.settlements import paying, runs
from almerepas.settlements.errors import NothingToSettle
from almerepas.settlements.models import PaymentStatus
from almerepas.settlements.payouts import Debtor
from tests.applications.support import fake_pdf, pdf_bytes, png_bytes
from tests.factories import TEST_ACTOR
from tests.redemptions.support import JUNE, child_budget
from tests.reimbursements.support import IBAN, MAX_BYTES, declare, receipt
from tests.settlements.support import APPROVER, JULY, PREPARER, contracted, redeem_at
from tests.settlements.test_sepa import TX, Doc
from tests.uploads.support import stored

DEBTOR = Debtor("Gemeente Almere", "NL12BNGH0285010000", "BNGHNL2G")
CASEWORKER = TEST_ACTOR


def test_an_approved_declaration_is_paid_once_to_the_holders_iban(reference: Session) -> None:
    grant = child_budget(reference, 300_00)
    declaration = declare(reference, grant)
    assert declaration.status == ReimbursementStatus.submitted
    assert grant.account is not None and grant.account.balance == 300_00  # nothing taken yet
    assert declaring.room(reference, grant) == 255_00

    deciding.approve(reference, declaration.id, actor=CASEWORKER, now=JUNE)
    assert grant.account.balance == 255_00
    assert declaration.status == ReimbursementStatus.approved

    run, _held = runs.prepare(reference, period="2026-06", actor=PREPARER, now=JULY)
    assert run.total == 45_00
    (payment,) = run.payments
    assert payment.reimbursement_id == declaration.id and payment.partner_id is None
    runs.approve(reference, run.id, actor=APPROVER, now=JULY)
    stored = paying.sepa_file(
        reference, run.id, debtor=DEBTOR, schema="pain.001.001.09",
        execution_date=dt.date(2026, 7, 6), actor=APPROVER, now=JULY,
    )  # fmt: skip
    assert stored is not None
    pain = Doc(stored.content, "pain.001.001.09")  # validated against the XSD
    assert pain.text(f"{TX}/Cdtr/Nm") == "F. El Amrani"
    assert pain.text(f"{TX}/CdtrAcct/Id/IBAN") == IBAN
    assert pain.text(f"{TX}/Amt/InstdAmt") == "45.00"
    assert f"declaratie {declaration.id}" in pain.text(f"{TX}/RmtInf/Ustrd")

    with pytest.raises(NothingToSettle):  # the next run does not pay it again
        runs.prepare(reference, period="2026-06", actor=PREPARER, now=JULY)
    paying.confirm(reference, run.id, actor=APPROVER, now=JULY)
    reference.refresh(payment)
    assert payment.status == PaymentStatus.confirmed
    assert ledger.balance_of(reference, ledger.account_by_code(reference, "owed:holders")) == 0
    assert ledger.find_drift(reference) == []
    assert set(ledger.unit_totals(reference).values()) == {0}


def test_a_declaration_and_a_partner_are_paid_in_one_run(reference: Session) -> None:
    grant = child_budget(reference, 300_00)
    partner, place = contracted(reference, "stadsfonds")
    redeem_at(reference, grant, partner, place, 100_00)
    deciding.approve(reference, declare(reference, grant).id, actor=CASEWORKER, now=JUNE)
    run, _held = runs.prepare(reference, period="2026-06", actor=PREPARER, now=JULY)
    assert run.total == 145_00
    assert sorted((p.partner_id is None, p.amount) for p in run.payments) == [
        (False, 100_00),
        (True, 45_00),
    ]


def test_a_run_for_one_partner_leaves_the_declarations(reference: Session) -> None:
    grant = child_budget(reference, 300_00)
    partner, place = contracted(reference, "stadsfonds")
    redeem_at(reference, grant, partner, place, 100_00)
    deciding.approve(reference, declare(reference, grant).id, actor=CASEWORKER, now=JUNE)
    run, _held = runs.prepare(
        reference, period="2026-06", actor=PREPARER, now=JULY, partner_id=partner.id
    )
    assert [p.partner_id for p in run.payments] == [partner.id]
    later, _held = runs.prepare(reference, period="2026-06", actor=PREPARER, now=JULY)
    assert [p.amount for p in later.payments if p.reimbursement_id] == [45_00]


def test_a_cancelled_run_frees_its_declarations(reference: Session) -> None:
    grant = child_budget(reference, 300_00)
    deciding.approve(reference, declare(reference, grant).id, actor=CASEWORKER, now=JUNE)
    first, _held = runs.prepare(reference, period="2026-06", actor=PREPARER, now=JULY)
    runs.approve(reference, first.id, actor=APPROVER, now=JULY)
    runs.cancel(reference, first.id, actor=APPROVER, now=JULY)
    second, _held = runs.prepare(reference, period="2026-06", actor=PREPARER, now=JULY)
    assert [p.amount for p in second.payments] == [45_00]
    assert ledger.find_drift(reference) == []
    owed = ledger.account_by_code(reference, "owed:holders")
    assert ledger.balance_of(reference, owed) == 0  # the cancelled approval was booked back


def test_a_declaration_approved_after_the_months_end_waits_for_the_next_run(
    reference: Session,
) -> None:
    grant = child_budget(reference, 300_00)
    declaration = declare(reference, grant)
    deciding.approve(reference, declaration.id, actor=CASEWORKER, now=JULY)
    with pytest.raises(NothingToSettle):
        runs.prepare(reference, period="2026-06", actor=PREPARER, now=JULY)


def test_the_same_receipt_is_never_declared_twice(reference: Session) -> None:
    grant = child_budget(reference, 300_00)
    first = declare(reference, grant, receipt(1))
    with pytest.raises(ReceiptUsedBefore):  # the same file again
        declare(reference, grant, receipt(1, amount=12_00, paid_on=dt.date(2026, 5, 3)))
    with pytest.raises(ReceiptUsedBefore):  # another photo of it: the same amount and day
        declare(reference, grant, receipt(2))
    deciding.approve(reference, first.id, actor=CASEWORKER, now=JUNE)
    with pytest.raises(ReceiptUsedBefore):  # approved: still never again
        declare(reference, grant, receipt(1))
    assert reference.scalar(select(func.count()).select_from(Reimbursement)) == 1
    assert len(stored(reference)) == 1


def test_a_rejected_receipt_may_be_declared_again(reference: Session) -> None:
    grant = child_budget(reference, 300_00)
    first = declare(reference, grant, receipt(1))
    deciding.reject(
        reference, first.id, reason="receipt_unreadable", note="", actor=CASEWORKER, now=JUNE
    )
    again = declare(reference, grant, receipt(1))
    assert again.id != first.id and again.status == ReimbursementStatus.submitted


def test_a_declaration_beyond_what_is_left_is_refused(reference: Session) -> None:
    grant = child_budget(reference, 100_00)
    declare(reference, grant, receipt(1, amount=60_00))
    with pytest.raises(DeclarationInvalid) as refused:  # 40 left after the one that waits
        declare(reference, grant, receipt(2, amount=40_01))
    assert refused.value.field == "amount" and refused.value.values == {"left": "€ 40,00"}
    assert declare(reference, grant, receipt(3, amount=40_00)).amount == 40_00


def test_approval_never_takes_more_than_is_left(reference: Session) -> None:
    grant = child_budget(reference, 100_00)
    partner, place = contracted(reference, "stadsfonds")
    declaration = declare(reference, grant, receipt(1, amount=80_00))
    redeem_at(reference, grant, partner, place, 30_00)  # at a partner, while it waits
    with pytest.raises(ReimbursementOverBudget):
        deciding.approve(reference, declaration.id, actor=CASEWORKER, now=JUNE)
    assert grant.account is not None and grant.account.balance == 70_00
    assert ledger.get_entry(reference, f"reimbursement:{declaration.id}") is None


def test_a_declaration_is_decided_once(reference: Session) -> None:
    grant = child_budget(reference, 300_00)
    declaration = declare(reference, grant)
    deciding.approve(reference, declaration.id, actor=CASEWORKER, now=JUNE)
    with pytest.raises(ReimbursementDecided):
        deciding.approve(reference, declaration.id, actor=CASEWORKER, now=JUNE)
    with pytest.raises(ReimbursementDecided):
        deciding.reject(reference, declaration.id, reason="other", note="", actor=CASEWORKER,
                        now=JUNE)  # fmt: skip
    assert grant.account is not None and grant.account.balance == 255_00


def test_a_budget_whose_year_is_over_is_not_paid_from(reference: Session) -> None:
    grant = child_budget(reference, 300_00)
    declaration = declare(reference, grant)
    with pytest.raises(ReimbursementBudgetExpired):
        deciding.approve(
            reference, declaration.id, actor=CASEWORKER,
            now=dt.datetime(2027, 1, 4, 9, 0, tzinfo=dt.UTC),
        )  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"paid_to": "  "}, "paid_to"),
        ({"amount": 0}, "amount"),
        ({"amount": 300_01}, "amount"),
        ({"paid_on": dt.date(2026, 6, 16)}, "paid_on"),  # the day after JUNE: the future
        ({"paid_on": dt.date(2025, 12, 31)}, "paid_on"),  # before the budget's year
        ({"iban": "NL91ABNA0417164301"}, "iban"),
        ({"account_name": ""}, "account_name"),
        ({"data": b""}, "receipt"),
        ({"data": fake_pdf()}, "receipt"),
        ({"data": b"GIF89a" + bytes(200)}, "receipt"),
        ({"data": png_bytes((1200, 1200)) + bytes(MAX_BYTES)}, "receipt"),
    ],
)
def test_bad_input_is_refused_at_its_field_and_nothing_is_kept(
    reference: Session, changes: dict[str, object], field: str
) -> None:
    grant = child_budget(reference, 300_00)
    with pytest.raises(DeclarationInvalid) as refused:
        declare(reference, grant, receipt(1, **changes))
    assert refused.value.field == field
    assert reference.scalar(select(func.count()).select_from(Reimbursement)) == 0
    assert stored(reference) == {}


def test_a_pdf_receipt_is_taken_and_read_back_unchanged(reference: Session) -> None:
    grant = child_budget(reference, 300_00)
    scanned = pdf_bytes()
    declaration = declare(reference, grant, receipt(1, data=scanned))
    assert declaration.content_type == "application/pdf"
    assert declaring.read_receipt(reference, declaration) == scanned
