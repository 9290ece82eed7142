"""Declaring: a holder hands in a receipt paid elsewhere, for a budget of theirs or their child's.

Nothing is taken from the budget yet: a caseworker approves first (reimbursements/deciding.py).
What is asked here is checked so that an approval can normally go through: the amount fits in
what is left after the declarations still waiting, the day is in the budget's period and not
in the future, the IBAN passes its check, and the receipt is a PDF or photo by its content.
Flush, never commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from almerepas.applications.evidence import content_type
from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.contracts.errors import InvalidIban
from almerepas.contracts.partners import check_iban
from almerepas.core import clock
from almerepas.core.i18n import N_
from almerepas.core.money import format_cents
from almerepas.grants.models import Grant
from almerepas.households.models import Household, Person
from almerepas.ledger.posting import EUR
from almerepas.reimbursements.errors import DeclarationInvalid, ReceiptUsedBefore
from almerepas.reimbursements.models import Reimbursement, ReimbursementStatus
from almerepas.schemes import periods
from almerepas.schemes.models import Scheme, SchemeKind
from almerepas.uploads import store

PAID_TO_LENGTH = 200
ACCOUNT_NAME_LENGTH = 70


@dataclass(frozen=True)
class Receipt:
    """What the holder typed and uploaded, already read as cents and a date by the face."""

    amount: int
    paid_on: dt.date
    paid_to: str
    iban: str
    account_name: str
    data: bytes


def budgets(
    session: Session, people: Sequence[Person], household: Household | None, *, today: dt.date
) -> list[Grant]:
    """The money budgets of this period a declaration may be taken from, oldest grant first."""
    condition: ColumnElement[bool] = Grant.person_id.in_([p.id for p in people])
    if household is not None:
        condition = or_(condition, Grant.household_id == household.id)
    return list(
        session.scalars(
            select(Grant)
            .join(Scheme, Scheme.id == Grant.scheme_id)
            .where(
                condition,
                Grant.period.in_([f"{today:%Y}", f"{today:%Y-%m}"]),
                Grant.expired_at.is_(None),
                Grant.account_id.is_not(None),
                Scheme.kind == SchemeKind.budget,
                Scheme.unit == EUR,
            )
            .order_by(Grant.id)
        )
    )


def waiting(session: Session, grant: Grant) -> int:
    """Cents of this budget's declarations that wait for a caseworker."""
    total = session.scalar(
        select(func.coalesce(func.sum(Reimbursement.amount), 0)).where(
            Reimbursement.grant_id == grant.id,
            Reimbursement.status == ReimbursementStatus.submitted,
        )
    )
    return int(total or 0)


def room(session: Session, grant: Grant) -> int:
    """What a new declaration may ask for: what is left minus what waits already."""
    assert grant.account is not None  # noqa: S101 - budgets() gives only grants with an account
    return max(grant.account.balance - waiting(session, grant), 0)


def _check(
    session: Session, grant: Grant, receipt: Receipt, *, max_bytes: int, today: dt.date
) -> str:
    """Every field in form order; the first that is wrong is refused. The compact IBAN."""
    if not receipt.paid_to.strip() or len(receipt.paid_to) > PAID_TO_LENGTH:
        raise DeclarationInvalid(
            "paid_to", N_("Schrijf op waar u betaald hebt, bijvoorbeeld de naam van de club.")
        )
    if receipt.amount <= 0:
        raise DeclarationInvalid("amount", N_("Vul het bedrag in dat u betaald hebt."))
    left = room(session, grant)
    if receipt.amount > left:
        raise DeclarationInvalid(
            "amount",
            N_("Er is nog %(left)s over. U kunt hoogstens dat bedrag declareren."),
            left=format_cents(left),
        )
    span = periods.parse(grant.period)
    if receipt.paid_on > today:
        raise DeclarationInvalid("paid_on", N_("Deze datum ligt in de toekomst."))
    if not span.start <= receipt.paid_on <= span.end:
        raise DeclarationInvalid(
            "paid_on",
            N_("Dit tegoed is voor wat u betaalde tussen %(start)s en %(end)s."),
            start=f"{span.start:%d-%m-%Y}",
            end=f"{span.end:%d-%m-%Y}",
        )
    try:
        iban = check_iban(receipt.iban)
    except InvalidIban:
        raise DeclarationInvalid(
            "iban", N_("Dit IBAN klopt niet. Kijk het nummer na, zoals NL91 ABNA 0417 1643 00.")
        ) from None
    if not receipt.account_name.strip() or len(receipt.account_name) > ACCOUNT_NAME_LENGTH:
        raise DeclarationInvalid(
            "account_name", N_("Schrijf de naam op die bij dit rekeningnummer hoort.")
        )
    if not receipt.data:
        raise DeclarationInvalid("receipt", N_("Kies de foto of de PDF van uw bonnetje."))
    if len(receipt.data) > max_bytes:
        raise DeclarationInvalid(
            "receipt",
            N_("Dit bestand is te groot. Een bestand mag hoogstens %(mb)s MB zijn."),
            mb=max_bytes // (1024 * 1024),
        )
    return iban


def _used_before(session: Session, grant: Grant, receipt: Receipt, sha256: str) -> bool:
    found = session.scalar(
        select(Reimbursement.id).where(
            Reimbursement.status != ReimbursementStatus.rejected,
            or_(
                Reimbursement.sha256 == sha256,
                (Reimbursement.grant_id == grant.id)
                & (Reimbursement.amount == receipt.amount)
                & (Reimbursement.paid_on == receipt.paid_on),
            ),
        )
    )
    return found is not None


def declare(
    session: Session,
    grant: Grant,
    receipt: Receipt,
    *,
    holder: Person,
    max_bytes: int,
    now: dt.datetime,
    actor: Actor,
) -> Reimbursement:
    """Store the receipt and the declaration, waiting for a caseworker.

    :raises DeclarationInvalid: a field is wrong (its ``field`` says which).
    :raises ReceiptUsedBefore: this file, or this amount on this day for this budget, was
        declared before and not rejected.
    """
    today = now.astimezone(clock.LOCAL).date()
    iban = _check(session, grant, receipt, max_bytes=max_bytes, today=today)
    kind = content_type(receipt.data)
    if kind is None:
        raise DeclarationInvalid(
            "receipt",
            N_("Dit bestand is geen PDF en geen foto (JPG of PNG). Kies een ander bestand."),
        )
    sha256 = hashlib.sha256(receipt.data).hexdigest()
    if _used_before(session, grant, receipt, sha256):
        raise ReceiptUsedBefore()
    file_id = store.new_id()
    declaration = Reimbursement(
        grant_id=grant.id,
        holder_id=holder.id,
        submitted_by=actor.name,
        status=ReimbursementStatus.submitted,
        amount=receipt.amount,
        paid_on=receipt.paid_on,
        paid_to=receipt.paid_to.strip(),
        iban=iban,
        account_name=receipt.account_name.strip(),
        file_id=file_id,
        content_type=kind,
        size=len(receipt.data),
        sha256=sha256,
        submitted_at=now,
    )
    try:
        with session.begin_nested():
            store.save(session, receipt.data, now=now, file_id=file_id)
            session.add(declaration)
            session.flush()
    except IntegrityError:
        # The same receipt sent twice at once: the unique indexes let one in; the savepoint's
        # rollback took the bytes back out too.
        raise ReceiptUsedBefore() from None
    audit.record(
        session,
        actor=actor,
        action="reimbursement.declare",
        entity_type="reimbursement",
        entity_id=declaration.id,
        changes={"grant": grant.id, "amount": receipt.amount, "sha256": sha256},
    )
    return declaration


def of_people(session: Session, people: Sequence[Person]) -> list[Reimbursement]:
    """The declarations for these people's budgets or asked by them, newest first."""
    ids = [p.id for p in people]
    return list(
        session.scalars(
            select(Reimbursement)
            .join(Grant, Grant.id == Reimbursement.grant_id)
            .where(or_(Reimbursement.holder_id.in_(ids), Grant.person_id.in_(ids)))
            .order_by(Reimbursement.submitted_at.desc(), Reimbursement.id.desc())
        )
    )


def read_receipt(session: Session, declaration: Reimbursement) -> bytes:
    """The stored receipt, checked against the SHA-256 recorded when it was handed in."""
    data = store.read(session, declaration.file_id)
    if hashlib.sha256(data).hexdigest() != declaration.sha256:
        raise ValueError(f"receipt of declaration {declaration.id} does not match its sha256")
    return data
