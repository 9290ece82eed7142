"""Settlement runs: prepare (draft), approve by a second person, cancel. Flush, never commit.

States (docs/settlement.md): draft -> approved -> paid_out -> confirmed, or cancelled before
any payment went out. Each step is a guarded UPDATE on the run's status, so two finance users
doing the same step at once get one success and one ``settlement_run_state``.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.contracts.models import PayoutMethod
from almerepas.core import clock
from almerepas.core.money import format_cents
from almerepas.ledger.models import EntryKind
from almerepas.ledger.posting import Leg, post_entry
from almerepas.schemes import periods
from almerepas.schemes.errors import InvalidPeriod
from almerepas.schemes.models import Period, Scheme
from almerepas.settlements import accounts, collect, reimbursed, summing, windows, writing
from almerepas.settlements.errors import (
    LinesChanged,
    NothingToSettle,
    OwnRunApproval,
    PeriodNotClosed,
    RunNotFound,
    RunWrongState,
    SettlementBusy,
)
from almerepas.settlements.models import (
    HoldReason,
    PaymentStatus,
    RunStatus,
    SettlementHold,
    SettlementLine,
    SettlementPayment,
    SettlementRun,
    SettlementWindow,
)


@dataclass(frozen=True)
class Held:
    partner_id: int
    reason: HoldReason
    amount: int
    line_count: int


def cutoff_of(period: str) -> tuple[dt.date, dt.datetime]:
    """The period's last day and the moment after it (local midnight), for a month."""
    span = periods.parse(period)
    if span.kind != Period.month:
        raise InvalidPeriod(
            detail=f"Een afrekening gaat over een maand, zoals 2027-01, niet {period!r}."
        )
    return span.end, clock.local_moment(span.end + dt.timedelta(days=1))


def hold_reason(partner: writing.Payee, total: int, *, unfit: bool) -> HoldReason | None:
    """Why this partner cannot be paid in this run, or None (``unfit``: a source has no price)."""
    if unfit:
        return HoldReason.tariff_unfit
    if total <= 0:
        return HoldReason.total_not_positive
    if partner.payout_method == PayoutMethod.stripe:
        return None if partner.stripe_account else HoldReason.stripe_account_missing
    return None if _valid_iban(partner.iban) else HoldReason.iban_invalid


@functools.lru_cache(maxsize=4096)
def _valid_iban(iban: str) -> bool:
    """Checked once per account number: a run over 500 partners checked 500 every time."""
    try:
        IBAN(iban)
    except SchwiftyException:
        return False
    return True


def lines_hash(pairs: Sequence[tuple[str, int]]) -> str:
    """SHA-256 over the lines' sources and amounts, in source order."""
    text = "\n".join(f"{key}={amount}" for key, amount in sorted(pairs))
    return hashlib.sha256(text.encode()).hexdigest()


def prepare(
    session: Session,
    *,
    period: str,
    actor: Actor,
    now: dt.datetime,
    partner_id: int | None = None,
) -> tuple[SettlementRun, list[Held]]:
    """A draft run of everything unsettled before the period's end, per partner at its tariffs.

    Redemptions and reversals are settled by windows of time per partner (windows.py), priced
    and summed by the database (pricing.py): a line per contract, location and kind. A line
    per redemption made a run of 100,000 forty to fifty times slower than reading them.

    :raises PeriodNotClosed: the period has not ended yet (today is in it or before it).
    :raises NothingToSettle: nothing new, or every partner with something is held back.
    :raises SettlementBusy: another prepare took the same sources at the same moment.
    """
    last_day, cutoff = cutoff_of(period)
    if now.astimezone(clock.LOCAL).date() <= last_day:
        raise PeriodNotClosed()
    windows.one_at_a_time(session)
    spans = windows.gaps(session, cutoff=cutoff, partner_id=partner_id)
    sums = summing.summed(session, spans)
    tallies = writing.tallies(sums)
    rides = collect.rides(session, cutoff=cutoff, partner_id=partner_id)
    for source in rides:
        tally = tallies.setdefault(source.partner_id, writing.Tally())
        tally.count += 1
        tally.total += source.amount or 0
        tally.unfit = tally.unfit or source.amount is None
    partners = writing.payees(session, tallies)
    paid: dict[int, writing.Tally] = {}
    held: list[Held] = []
    for pid in sorted(tallies):
        tally = tallies[pid]
        reason = hold_reason(partners[pid], tally.total, unfit=tally.unfit)
        if reason is None:
            paid[pid] = tally
        else:
            held.append(Held(pid, reason, tally.total, tally.count))
    declarations = reimbursed.unpaid(session, cutoff=cutoff) if partner_id is None else []
    if not paid and not declarations:
        raise NothingToSettle(
            held=[{"partner": h.partner_id, "reason": h.reason.value} for h in held]
        )
    run = SettlementRun(
        period=period,
        partner_id=partner_id,
        status=RunStatus.draft,
        cutoff_at=cutoff,
        lines_hash="",
        total=0,
        prepared_by=actor.name,
        prepared_at=now,
    )
    session.add(run)
    session.flush()
    for h in held:
        session.add(
            SettlementHold(
                run_id=run.id,
                partner_id=h.partner_id,
                reason=h.reason,
                amount=h.amount,
                line_count=h.line_count,
            )
        )
    writing.payments(session, run, {pid: partners[pid] for pid in paid}, paid)
    try:
        with session.begin_nested():
            written = writing.lines(session, run, spans, sums, paid, rides)
            reimbursed.insert_payments(session, run, declarations)
    except IntegrityError as error:
        if not _taken_first(error):
            raise  # a broken reference, not a race: its own message, not "try again"
        raise SettlementBusy() from None
    run.total = sum(t.total for t in paid.values()) + sum(d.amount for d in declarations)
    run.lines_hash = lines_hash(
        written + [(reimbursed.source_key(d.id), d.amount) for d in declarations]
    )
    session.flush()
    session.expire(run, ["payments"])
    audit.record(
        session,
        actor=actor,
        action="settlements.prepare",
        entity_type="settlement_run",
        entity_id=run.id,
        changes={
            "period": period,
            "partner": partner_id,
            "total": run.total,
            "lines": len(written),
            "payments": len(paid),
            "reimbursements": [d.id for d in declarations],
            "held": [{"partner": h.partner_id, "reason": h.reason.value} for h in held],
        },
    )
    return run, held


def _taken_first(error: IntegrityError) -> bool:
    """A unique key another prepare wrote first (a window, a ride's line, a declaration's
    payment): unique_violation on PostgreSQL, "UNIQUE constraint failed" on SQLite."""
    sqlstate = getattr(error.orig, "sqlstate", None)
    if sqlstate is not None:
        return bool(sqlstate == "23505")
    return "UNIQUE constraint failed" in str(error.orig)


def get_run(session: Session, run_id: int, *, lock: bool = False) -> SettlementRun:
    query = select(SettlementRun).where(SettlementRun.id == run_id)
    if lock:
        query = query.with_for_update()
    run = session.scalar(query)
    if run is None:
        raise RunNotFound(detail=f"Er is geen afrekening met nummer {run_id}.")
    return run


def move(session: Session, run: SettlementRun, source: RunStatus, target: RunStatus) -> None:
    """The run's one guarded status change: only from ``source``, and only once."""
    changed = session.execute(
        update(SettlementRun)
        .where(SettlementRun.id == run.id, SettlementRun.status == source)
        .values(status=target)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        raise RunWrongState(status=run.status.value)
    session.expire(run, ["status"])


def _expense_legs(session: Session, run: SettlementRun, *, sign: int) -> list[Leg]:
    """Per partner and scheme: the scheme's expense becomes what is owed to the partner (and
    to the holders of the run's declarations)."""
    sums: dict[tuple[int, int], int] = defaultdict(int)
    query = select(SettlementLine.partner_id, SettlementLine.scheme_id, SettlementLine.amount)
    for pid, scheme_id, amount in session.execute(query.where(SettlementLine.run_id == run.id)):
        sums[(pid, scheme_id)] += amount * sign
    schemes = {s.id: s for s in session.scalars(select(Scheme))}
    legs = []
    for (pid, scheme_id), amount in sorted(sums.items()):
        expense = accounts.expense(session, schemes[scheme_id])
        owed = accounts.owed(session, pid)
        if amount > 0:
            legs.append(Leg(expense, owed, amount))
        elif amount < 0:
            legs.append(Leg(owed, expense, -amount))
    return legs + reimbursed.expense_legs(session, run, sign=sign)


def approve(
    session: Session,
    run_id: int,
    *,
    actor: Actor,
    now: dt.datetime,
    expected_hash: str | None = None,
) -> SettlementRun:
    """Approve a draft: the partners' totals become payable (a journal entry).

    :raises OwnRunApproval: the approver prepared it.
    :raises LinesChanged: ``expected_hash`` is not the run's (the approver saw other lines).
    :raises RunWrongState: the run is not a draft (approved before, cancelled, ...).
    """
    run = get_run(session, run_id, lock=True)
    if run.status != RunStatus.draft:
        raise RunWrongState(status=run.status.value)
    if actor.name == run.prepared_by:
        raise OwnRunApproval()
    if expected_hash is not None and expected_hash != run.lines_hash:
        raise LinesChanged()
    move(session, run, RunStatus.draft, RunStatus.approved)
    entry = post_entry(
        session,
        kind=EntryKind.settlement,
        natural_key=f"settlement:approve:{run.id}",
        legs=_expense_legs(session, run, sign=1),
        actor=actor.name,
        effective_at=now,
        memo=f"Afrekening {run.id} ({run.period}) goedgekeurd",
    )
    run.approved_by = actor.name
    run.approved_at = now
    run.approval_entry_id = entry.id
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="settlements.approve",
        entity_type="settlement_run",
        entity_id=run.id,
        changes={"total": run.total, "lines_hash": run.lines_hash},
    )
    return run


def cancel(session: Session, run_id: int, *, actor: Actor, now: dt.datetime) -> SettlementRun:
    """Stop a run before anything was paid: its lines are released for a later run.

    :raises RunWrongState: a payment went out already, or the run is closed.
    """
    windows.one_at_a_time(session)
    run = get_run(session, run_id, lock=True)
    if run.status not in (RunStatus.draft, RunStatus.approved):
        raise RunWrongState(status=run.status.value)
    if any(p.status != PaymentStatus.pending for p in run.payments):
        raise RunWrongState(status=run.status.value)
    was = run.status
    move(session, run, was, RunStatus.cancelled)
    if was == RunStatus.approved:
        post_entry(
            session,
            kind=EntryKind.settlement,
            natural_key=f"settlement:cancel:{run.id}",
            legs=_expense_legs(session, run, sign=-1),
            actor=actor.name,
            effective_at=now,
            memo=f"Afrekening {run.id} ({run.period}) geannuleerd",
        )
    session.execute(delete(SettlementLine).where(SettlementLine.run_id == run.id))
    session.execute(delete(SettlementWindow).where(SettlementWindow.run_id == run.id))
    session.execute(delete(SettlementPayment).where(SettlementPayment.run_id == run.id))
    run.cancelled_by = actor.name
    run.cancelled_at = now
    session.flush()
    session.expire(run, ["payments"])
    audit.record(
        session,
        actor=actor,
        action="settlements.cancel",
        entity_type="settlement_run",
        entity_id=run.id,
        changes={"was": was.value, "total": format_cents(run.total)},
    )
    return run
