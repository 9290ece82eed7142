"""Grant runs: give every eligible person or household a scheme's amount for a period, once.

A run is idempotent: the unique key (scheme, beneficiary, period) and the ledger's natural keys
make a re-run grant nothing twice. It works in batches, so a city's worth of grants is a few
statements per thousand people rather than several per person. What is left at the period's
end expires in expiry.py.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import cast

from sqlalchemy import Table, or_, select
from sqlalchemy.orm import Session

from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.core import clock
from almerepas.core.errors import NotFound
from almerepas.core.paging import Page
from almerepas.grants import collector
from almerepas.grants.funding import ensure_funding
from almerepas.grants.models import Grant
from almerepas.grants.planning import Candidate, plan
from almerepas.income.norms import NormTable, norm_table
from almerepas.income.rules import Reason
from almerepas.ledger import bulk
from almerepas.ledger.errors import InsufficientBalance
from almerepas.ledger.models import Account, AccountKind, EntryKind
from almerepas.schemes import periods
from almerepas.schemes.models import Period, Scheme, SchemeKind
from almerepas.schemes.periods import PeriodSpan

BATCH_SIZE = 1000


@dataclass
class SchemeRun:
    """What a run did (or, on a dry run, would do) for one scheme."""

    scheme: str
    period: str
    unit: str
    granted: int = 0
    amount: int = 0
    already_granted: int = 0
    not_eligible: int = 0
    budget_exhausted: int = 0
    reasons: Counter[Reason] = field(default_factory=Counter)
    #: the eligible ones refused because the budget was spent, in queue order
    waiting: list[Candidate] = field(default_factory=list, repr=False)


def active_schemes(session: Session, span: PeriodSpan, codes: Sequence[str] | None) -> list[Scheme]:
    query = select(Scheme).where(
        Scheme.active.is_(True),
        Scheme.kind != SchemeKind.offer,
        Scheme.valid_from <= span.end,
        or_(Scheme.valid_to.is_(None), Scheme.valid_to >= span.start),
    )
    if codes:
        query = query.where(Scheme.code.in_(codes))
    return list(session.scalars(query.order_by(Scheme.code)))


GRANT_COLUMNS = (
    "scheme_id", "period", "beneficiary_key", "person_id", "household_id", "amount", "account_id",
    "entry_id", "created_at",
)  # fmt: skip


def _insert_grants(
    session: Session, scheme: Scheme, span: PeriodSpan, batch: Sequence[Candidate],
    posted: Sequence[tuple[int | None, int | None]],
) -> None:  # fmt: skip
    """The batch's grant rows, (account, entry) each, in one COPY or executemany."""
    now = clock.now()
    label = span.label
    bulk.insert_rows(
        session,
        cast(Table, Grant.__table__),
        GRANT_COLUMNS,
        [
            (
                scheme.id,
                label,
                c.beneficiary_key,
                c.person_id,
                None if c.person_id else c.household_id,
                c.amount,
                account_id,
                entry_id,
                now,
            )
            for c, (account_id, entry_id) in zip(batch, posted, strict=True)
        ],
    )


def _post_batch(
    session: Session,
    scheme: Scheme,
    span: PeriodSpan,
    batch: list[Candidate],
    actor: str,
    funding: Account,
) -> None:
    """Open the batch's entitlement accounts, fund each from the scheme's funding account and
    record the grants: one statement per table (ledger.bulk)."""
    label = span.label
    account_name = f"{scheme.name_nl} {label}"
    posted = bulk.fund_new_accounts(
        session,
        funding_id=funding.id,
        accounts=[
            bulk.Funded(
                code=f"entitlement:{scheme.code}:{label}:{c.beneficiary_key.replace(':', '-')}",
                name=account_name,
                natural_key=f"grant:{scheme.code}:{label}:{c.beneficiary_key}",
                amount=c.amount,
            )
            for c in batch
        ],
        kind=AccountKind.entitlement,
        unit=scheme.unit,
        entry_kind=EntryKind.grant,
        actor=actor,
        effective_at=clock.local_moment(span.start),
    )
    _insert_grants(session, scheme, span, batch, posted)


def issue_scheme(
    session: Session,
    scheme: Scheme,
    span: PeriodSpan,
    *,
    actor: str,
    progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH_SIZE,
    norms: NormTable | None = None,
    household_id: int | None = None,
) -> SchemeRun:
    """Grant the scheme for the period to everyone eligible, or to one household's members
    (``household_id``: the one desk's import and an approved application grant a household at
    once, as the run would; a later run of everyone then skips them)."""
    # the verdicts the plan froze stay frozen while their grants are written (grants/collector.py)
    with collector.survivors_frozen(whole_city=household_id is None):
        return _issue_scheme(
            session, scheme, span, actor, progress, batch_size, norms, household_id
        )


def _issue_scheme(
    session: Session, scheme: Scheme, span: PeriodSpan, actor: str,
    progress: Callable[[int], None] | None, batch_size: int, norms: NormTable | None,
    household_id: int | None,
) -> SchemeRun:  # fmt: skip
    run = SchemeRun(scheme=scheme.code, period=span.label, unit=scheme.unit)
    # Two runs of one scheme at once: the second waits here until the first commits, and then
    # finds everything granted (PostgreSQL; SQLite writers are serialised by BEGIN IMMEDIATE).
    # What the run decides on (budget, amount, rules) is read again once the lock is held: an
    # administrator may have cut the budget while this run waited.
    session.scalars(
        select(Scheme)
        .where(Scheme.id == scheme.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()  # the rows must be loaded for the object to be refreshed
    candidates = plan(session, scheme, span, table=norms, household_id=household_id)
    granted_query = select(Grant.beneficiary_key).where(
        Grant.scheme_id == scheme.id, Grant.period == span.label
    )
    if household_id is not None:  # one household: only its own keys, not the whole period's
        granted_query = granted_query.where(
            Grant.beneficiary_key.in_([c.beneficiary_key for c in candidates])
        )
    done = set(session.scalars(granted_query))
    todo: list[Candidate] = []
    for candidate in candidates:
        if candidate.beneficiary_key in done:
            run.already_granted += 1
        elif not candidate.eligible or (candidate.amount == 0 and scheme.kind != SchemeKind.right):
            run.not_eligible += 1
            run.reasons[candidate.deciding_reason or Reason.of("nothing_to_grant")] += 1
        else:
            todo.append(candidate)
    # First come, first served: by the day of the assessment the verdict rests on (queue_key).
    todo.sort(key=lambda c: c.queue_key)

    funding: Account | None = None
    exhausted = False
    for start in range(0, len(todo), batch_size):
        batch = todo[start : start + batch_size]
        if exhausted:
            run.waiting.extend(batch)
            continue
        if scheme.kind == SchemeKind.right:
            _insert_grants(session, scheme, span, batch, [(None, None)] * len(batch))
            granted = len(batch)
        else:
            funding = funding or ensure_funding(session, scheme, span.start.year)
            try:
                with session.begin_nested():
                    _post_batch(session, scheme, span, batch, actor, funding)
                granted = len(batch)
            except InsufficientBalance:
                # Not enough budget for the whole batch: first come, first served, one by one.
                granted = 0
                for candidate in batch:
                    try:
                        with session.begin_nested():
                            _post_batch(session, scheme, span, [candidate], actor, funding)
                        granted += 1
                    except InsufficientBalance:
                        exhausted = True
                        break
                run.waiting.extend(batch[granted:])
        run.granted += granted
        run.amount += sum(c.amount for c in batch[:granted])
        if progress:
            progress(len(batch))
    run.budget_exhausted = len(run.waiting)
    if run.budget_exhausted:
        run.reasons[Reason.of("budget_exhausted")] += run.budget_exhausted
    return run


def issue(
    session: Session,
    *,
    period: str,
    actor: Actor,
    today: dt.date,
    schemes: Sequence[str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[SchemeRun]:
    """Grant every scheme for the period that contains ``period`` (a month or a year).

    Writes one ``grants.issue`` audit row, the same whether a page, the API or the CLI asked.
    """
    requested = periods.parse(period)
    if schemes:
        known = set(session.scalars(select(Scheme.code).where(Scheme.code.in_(schemes))))
        if unknown := sorted(set(schemes) - known):
            raise NotFound(detail=f"Deze regeling bestaat niet: {', '.join(unknown)}.")
    # A month asks for its month and its year; a year asks for the yearly schemes only.
    work = [
        (scheme, periods.span_for(scheme.period, requested))
        for scheme in active_schemes(session, requested, schemes)
        if not (requested.kind == Period.year and scheme.period == Period.month)
    ]
    for _scheme, span in work:  # refuse before granting anything
        periods.check_not_too_far(span, today)
    # All schemes or none: a refusal halfway leaves nothing booked, also when the caller
    # catches it to show a page and commits what else it did.
    norms = norm_table(session)  # once per run: every scheme judges against the same norms
    with session.begin_nested():
        runs = [
            issue_scheme(session, scheme, span, actor=actor.name, progress=progress, norms=norms)
            for scheme, span in work
        ]
    audit.record(
        session,
        actor=actor,
        action="grants.issue",
        changes={"run": {"period": period, "granted": {r.scheme: r.granted for r in runs}}},
    )
    return runs


def preview(
    session: Session,
    *,
    period: str,
    actor: Actor,
    today: dt.date,
    schemes: Sequence[str] | None = None,
) -> list[SchemeRun]:
    """What ``issue`` would grant, worked out in full and then rolled back: nothing is kept.

    Only the ``grants.preview`` audit row stays: looking at who would get what is a read of
    personal data that the log keeps.
    """
    with session.begin_nested() as savepoint:
        runs = issue(session, period=period, actor=actor, today=today, schemes=schemes)
        savepoint.rollback()
    audit.record(session, actor=actor, action="grants.preview", changes={"period": period})
    return runs


def waiting_list(
    session: Session,
    *,
    scheme_code: str,
    period: str,
    actor: Actor,
    today: dt.date,
    page: int = 1,
    page_size: int = 20,
) -> Page[Candidate]:
    """Who is eligible for a budget-capped scheme in the period but refused because the budget
    is spent, in queue order (``Candidate.queue_key``: the day they were assessed first).

    Kept in no table: the scheme's run for the period is worked out in full and rolled back, as
    ``preview`` does, and its refused ones are the list. After a run that is exactly who it
    refused for the budget (less anyone who has since become ineligible; more if the budget was
    cut); before a run it is who a run now would refuse. A scheme without a budget has an empty
    list. Writes one ``grants.waiting_list`` audit row naming the people and households shown,
    by id: ids of residents are personal data.
    """
    scheme = session.scalar(select(Scheme).where(Scheme.code == scheme_code))
    if scheme is None:
        raise NotFound(detail=f"Er is geen regeling met code {scheme_code}.")
    span = periods.span_for(scheme.period, periods.parse(period))
    periods.check_not_too_far(span, today)
    with session.begin_nested() as savepoint:
        run = issue_scheme(session, scheme, span, actor=actor.name)
        savepoint.rollback()
    items = run.waiting[(page - 1) * page_size : page * page_size]
    audit.record(
        session,
        actor=actor,
        action="grants.waiting_list",
        entity_type="scheme",
        entity_id=scheme.code,
        changes={
            "period": span.label,
            "total": len(run.waiting),
            "households": [c.household_id for c in items],
            "persons": [c.person_id for c in items if c.person_id is not None],
        },
    )
    return Page(items=items, page=page, page_size=page_size, total=len(run.waiting))
