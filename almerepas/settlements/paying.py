"""Paying an approved run: the SEPA file, the Stripe transfers, and the bank's confirmation.
Flush, never commit: the face commits once per step, and once per Stripe transfer.

Exactly once (docs/settlement.md, Failure recovery):

- the SEPA file is made and stored in one transaction with its payments marked ``sent`` and
  the payout entry; a crash before the commit leaves nothing, after it the stored bytes are
  what every download returns, never a rebuilt file;
- a Stripe transfer is asked for outside any transaction (the gateway first looks the payment
  up in the run's transfer group, then creates it with a key derived from the payment), and
  recorded afterwards by a guarded UPDATE (``pending`` -> ``sent``) with a journal entry whose
  natural key names the payment: a crash in between is mended by asking again, which finds
  the transfer instead of making a second.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.contracts.models import Partner, PayoutMethod
from almerepas.core import gemeente
from almerepas.ledger.models import Account, EntryKind
from almerepas.ledger.posting import Leg, post_entry
from almerepas.settlements import accounts
from almerepas.settlements.errors import RunWrongState
from almerepas.settlements.models import (
    PaymentStatus,
    PayoutFile,
    RunStatus,
    SettlementPayment,
    SettlementRun,
)
from almerepas.settlements.payouts import Debtor, PayoutBatch, PayoutLine
from almerepas.settlements.runs import get_run, move
from almerepas.settlements.sepa import build_credit_transfer

PAYABLE = (RunStatus.approved, RunStatus.paid_out)


def _pass() -> str:
    """The pass's name, as the remittance information starts (the gemeente's data)."""
    return gemeente.current().pass_name


def batch_id(run: SettlementRun) -> str:
    """The SEPA message id and the Stripe transfer group of a run."""
    return f"ALM-{run.id}"


def _line(payment: SettlementPayment, partner: Partner | None, run: SettlementRun) -> PayoutLine:
    end_to_end_id = payment.end_to_end_id or f"ALM-{run.id}-{payment.id}"
    declaration = payment.reimbursement
    if partner is None:
        assert declaration is not None  # noqa: S101 - the table's check: one or the other
        return PayoutLine(
            payment_id=payment.id,
            end_to_end_id=end_to_end_id,
            partner_id=None,
            name=declaration.account_name,
            iban=payment.iban or declaration.iban,
            bic=None,
            amount=payment.amount,
            remittance=f"{_pass()} declaratie {declaration.id} {end_to_end_id}",
        )
    return PayoutLine(
        payment_id=payment.id,
        end_to_end_id=end_to_end_id,
        partner_id=partner.id,
        name=partner.name,
        iban=payment.iban or partner.iban,
        bic=payment.bic,
        amount=payment.amount,
        remittance=f"{_pass()} creditnota {run.period} afrekening {run.id} {end_to_end_id}",
        stripe_account=payment.stripe_account,
    )


def _partners(session: Session, payments: list[SettlementPayment]) -> dict[int, Partner]:
    ids = [p.partner_id for p in payments if p.partner_id is not None]
    return {p.id: p for p in session.scalars(select(Partner).where(Partner.id.in_(ids)))}


def _owed(session: Session, payment: SettlementPayment) -> Account:
    if payment.partner_id is None:
        return accounts.owed_holders(session)
    return accounts.owed(session, payment.partner_id)


def _pending(session: Session, run: SettlementRun, method: PayoutMethod) -> list[SettlementPayment]:
    return list(
        session.scalars(
            select(SettlementPayment)
            .where(
                SettlementPayment.run_id == run.id,
                SettlementPayment.method == method,
                SettlementPayment.status == PaymentStatus.pending,
            )
            .order_by(SettlementPayment.id)
        )
    )


def _mark_sent(
    session: Session,
    payments: list[SettlementPayment],
    *,
    natural_key: str,
    actor: Actor,
    now: dt.datetime,
    values: dict[str, object],
) -> None:
    """``pending`` -> ``sent`` for these payments, with the payout entry (owed -> in transit)."""
    ids = [p.id for p in payments]
    changed = session.execute(
        update(SettlementPayment)
        .where(SettlementPayment.id.in_(ids), SettlementPayment.status == PaymentStatus.pending)
        .values(status=PaymentStatus.sent, sent_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != len(ids):  # type: ignore[attr-defined]
        raise RunWrongState(detail="Deze betaling is al verstuurd.")
    transit = accounts.in_transit(session)
    entry = post_entry(
        session,
        kind=EntryKind.payout,
        natural_key=natural_key,
        legs=[Leg(_owed(session, p), transit, p.amount) for p in payments],
        actor=actor.name,
        effective_at=now,
    )
    session.execute(
        update(SettlementPayment)
        .where(SettlementPayment.id.in_(ids))
        .values(payout_entry_id=entry.id)
        .execution_options(synchronize_session=False)
    )
    for payment in payments:
        session.expire(payment)


def finish_if_paid(session: Session, run: SettlementRun, now: dt.datetime) -> bool:
    """Mark the run paid out once no payment is pending; True if it is (now or before)."""
    if run.status == RunStatus.paid_out:
        return True
    pending = session.scalar(
        select(SettlementPayment.id).where(
            SettlementPayment.run_id == run.id, SettlementPayment.status == PaymentStatus.pending
        )
    )
    if pending is not None:
        return False
    move(session, run, RunStatus.approved, RunStatus.paid_out)
    run.paid_out_at = now
    session.flush()
    return True


def sepa_file(
    session: Session,
    run_id: int,
    *,
    debtor: Debtor,
    schema: str,
    execution_date: dt.date,
    actor: Actor,
    now: dt.datetime,
) -> PayoutFile | None:
    """The run's pain.001 file: made once, with its payments sent; the stored one after that.
    None when the run pays nobody by SEPA.

    :raises RunWrongState: the run is not approved (a draft, cancelled, ...).
    :raises InvalidPayoutAccount: an IBAN or BIC fails its check (nothing is written).
    """
    run = get_run(session, run_id, lock=True)
    stored = session.scalar(select(PayoutFile).where(PayoutFile.run_id == run.id))
    if stored is not None:
        return stored
    if run.status not in PAYABLE:
        raise RunWrongState(status=run.status.value)
    payments = _pending(session, run, PayoutMethod.sepa)
    if not payments:
        return None
    partners = _partners(session, payments)
    batch = PayoutBatch(
        run_id=run.id,
        batch_id=batch_id(run),
        execution_date=execution_date,
        lines=tuple(_line(p, partners.get(p.partner_id or 0), run) for p in payments),
    )
    content = build_credit_transfer(batch, debtor, created_at=now, schema=schema)
    payout_file = PayoutFile(
        run_id=run.id,
        msg_id=batch.batch_id,
        schema=schema,
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        execution_date=execution_date,
        created_at=now,
        created_by=actor.name,
    )
    session.add(payout_file)
    session.flush()
    _mark_sent(
        session,
        payments,
        natural_key=f"payout:sepa:{run.id}",
        actor=actor,
        now=now,
        values={"payout_file_id": payout_file.id},
    )
    finish_if_paid(session, run, now)
    audit.record(
        session,
        actor=actor,
        action="settlements.sepa_file",
        entity_type="settlement_run",
        entity_id=run.id,
        changes={"payments": len(payments), "sha256": payout_file.sha256, "schema": schema},
    )
    return payout_file


@dataclass(frozen=True)
class StripeDue:
    """A Stripe payment still to make, and the attempt its idempotency key carries."""

    line: PayoutLine
    attempt: int


def stripe_due(session: Session, run_id: int) -> tuple[str, list[StripeDue]]:
    """The run's transfer group and its Stripe payments still to make.

    :raises RunWrongState: the run is not approved.
    """
    run = get_run(session, run_id)
    if run.status not in PAYABLE:
        raise RunWrongState(status=run.status.value)
    payments = _pending(session, run, PayoutMethod.stripe)
    partners = _partners(session, payments)
    due = [
        StripeDue(_line(p, partners.get(p.partner_id or 0), run), p.stripe_attempt)
        for p in payments
    ]
    return batch_id(run), due


def record_failure(session: Session, payment_id: int, code: str, *, refused: bool) -> None:
    """Keep why a Stripe payment failed; after a refusal the next try uses a new key."""
    values: dict[str, object] = {"last_error": code[:200]}
    if refused:
        values["stripe_attempt"] = SettlementPayment.stripe_attempt + 1
    session.execute(
        update(SettlementPayment)
        .where(
            SettlementPayment.id == payment_id, SettlementPayment.status == PaymentStatus.pending
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def record_transfer(
    session: Session, payment_id: int, transfer_id: str, *, actor: Actor, now: dt.datetime
) -> bool:
    """Book a Stripe transfer made for a payment; False if it was booked before (a retry)."""
    payment = session.get(SettlementPayment, payment_id)
    if payment is None or payment.status != PaymentStatus.pending:
        return False
    _mark_sent(
        session,
        [payment],
        natural_key=f"payout:stripe:{payment.id}",
        actor=actor,
        now=now,
        values={"stripe_transfer_id": transfer_id, "last_error": None},
    )
    audit.record(
        session,
        actor=actor,
        action="settlements.stripe_transfer",
        entity_type="settlement_payment",
        entity_id=payment_id,
        changes={"transfer": transfer_id},
    )
    run = get_run(session, payment.run_id, lock=True)
    finish_if_paid(session, run, now)
    return True


def confirm(session: Session, run_id: int, *, actor: Actor, now: dt.datetime) -> SettlementRun:
    """The bank statement shows the run's payments: in transit -> the bank; the run is done.

    :raises RunWrongState: not every payment has gone out yet, or it was confirmed before.
    """
    run = get_run(session, run_id, lock=True)
    if run.status != RunStatus.paid_out:
        raise RunWrongState(status=run.status.value)
    move(session, run, RunStatus.paid_out, RunStatus.confirmed)
    payments = list(run.payments)
    entry = post_entry(
        session,
        kind=EntryKind.payout,
        natural_key=f"payout:confirm:{run.id}",
        legs=[
            Leg(
                accounts.in_transit(session),
                accounts.bank(session),
                sum(p.amount for p in payments),
            )
        ],
        actor=actor.name,
        effective_at=now,
        memo=f"Afrekening {run.id} ({run.period}) staat op het bankafschrift",
    )
    session.execute(
        update(SettlementPayment)
        .where(SettlementPayment.run_id == run.id)
        .values(status=PaymentStatus.confirmed)
        .execution_options(synchronize_session=False)
    )
    run.confirmed_by = actor.name
    run.confirmed_at = now
    run.confirm_entry_id = entry.id
    session.flush()
    session.expire(run, ["payments"])
    audit.record(
        session,
        actor=actor,
        action="settlements.confirm",
        entity_type="settlement_run",
        entity_id=run.id,
        changes={"total": run.total},
    )
    return run
