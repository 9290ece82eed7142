"""Grant without an application: households from the gemeente's own income administration.

``import_households`` takes the rows ``import_file.read_file`` read and, per household, in one
savepoint: finds the people by BSN (the keyed hash, ``find_person_by_bsn``), registers a new
household or updates the one they live in, records the income assessment through the
caseworker's own operation (``casework.assess``: the same norm and rules), issues a pass to
everyone who has none (the card batch, ``almerepas cards print``, posts it with its letter) and
grants the running periods as the grant run would (``issue_scheme`` for this household). A
household whose income is above every scheme's limit is rolled back: nothing of it is kept.
Running the same file again finds everything done and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.applications.import_file import Parsed, Refusal, Row
from almerepas.applications.letters import write_grant_letter
from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.casework import operations as casework
from almerepas.core.crypto import Keyring
from almerepas.core.errors import DomainError
from almerepas.grants.runs import active_schemes, issue_scheme
from almerepas.households import members as households
from almerepas.households.models import Household, Membership, Person
from almerepas.income import assessments
from almerepas.income import lines as income_lines
from almerepas.income.lines import IncomeLineInput
from almerepas.income.norms import NormTable, norm_table
from almerepas.income.rules import within_limit
from almerepas.letters.content import GRANTED
from almerepas.passes.operations import active_pass, issue_pass
from almerepas.schemes import periods
from almerepas.schemes.models import Scheme


@dataclass
class Outcome:
    """What the import did (or, on a dry run, would do) to one household of the file."""

    key: str
    household_id: int
    status: str  #: new, changed or unchanged
    passes: int = 0
    granted: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    source: str
    sha256: str
    rows: int
    outcomes: list[Outcome] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def changes_anything(self) -> bool:
        return any(o.status != "unchanged" for o in self.outcomes)


class Refused(Exception):
    """One household is not imported; its savepoint is rolled back."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Context:
    source: str
    actor: Actor
    keys: Keyring
    now: dt.datetime
    today: dt.date
    schemes: list[tuple[Scheme, periods.PeriodSpan]]
    #: the highest income limit of a running scheme, percent of the norm (None: no income test)
    limit: int | None
    #: the file's sha256: a letter per household per file
    sha256: str
    norms: NormTable


@dataclass(frozen=True)
class ImportRun:
    context: Context
    report: ImportReport


def begin(
    session: Session,
    parsed: Parsed,
    *,
    source: str,
    sha256: str,
    actor: Actor,
    keys: Keyring,
    now: dt.datetime,
    today: dt.date,
) -> ImportRun:
    """What every household of the run is judged with: the running schemes, the norms."""
    month = periods.month(today.year, today.month)
    schemes = [(s, periods.span_for(s.period, month)) for s in active_schemes(session, month, None)]
    limits = [s.max_income_percent for s, _ in schemes if s.max_income_percent is not None]
    context = Context(
        source, actor, keys, now, today, schemes, max(limits) if limits else None, sha256,
        norm_table(session),  # once: every household is judged against the same norms
    )  # fmt: skip
    report = ImportReport(source, sha256, parsed.rows, refused=list(parsed.refused))
    return ImportRun(context, report)


def import_one(session: Session, run: ImportRun, key: str, rows: list[Row]) -> str:
    """One household in its own savepoint: its status, or ``refused`` (nothing of it kept)."""
    try:
        with session.begin_nested():
            outcome = _import_one(session, key, rows, run.context)
    except Refused as refusal:
        run.report.refused += [Refusal(r.line, key, refusal.reason) for r in rows]
        return "refused"
    except DomainError as exc:
        run.report.refused += [Refusal(r.line, key, exc.code) for r in rows]
        return "refused"
    run.report.outcomes.append(outcome)
    return outcome.status


def finish(session: Session, run: ImportRun) -> ImportReport:
    """The ``households.import`` audit row of the whole run, also when it changed nothing."""
    report = run.report
    report.refused.sort(key=lambda r: r.line)
    audit.record(
        session,
        actor=run.context.actor,
        action="households.import",
        changes={
            "source": report.source,
            "sha256": report.sha256,
            "rows": report.rows,
            "new": report.count("new"),
            "changed": report.count("changed"),
            "unchanged": report.count("unchanged"),
            "refused": {str(r.line): r.reason for r in report.refused},
        },
    )
    return report


def import_households(
    session: Session,
    parsed: Parsed,
    *,
    source: str,
    sha256: str,
    actor: Actor,
    keys: Keyring,
    now: dt.datetime,
    today: dt.date,
) -> ImportReport:
    """Every household of the file (``begin``, ``import_one`` each, ``finish``)."""
    run = begin(
        session, parsed, source=source, sha256=sha256, actor=actor, keys=keys, now=now,
        today=today,
    )  # fmt: skip
    for key, rows in parsed.households.items():
        import_one(session, run, key, rows)
    return finish(session, run)


def _import_one(session: Session, key: str, rows: list[Row], context: Context) -> Outcome:
    today = context.today
    found = {r.bsn: households.find_person_by_bsn(session, r.bsn, keys=context.keys) for r in rows}
    for row in rows:
        person = found[row.bsn]
        if person is not None and person.date_of_birth != row.born:
            raise Refused("birth_date_differs")
    homes = {_home_of(session, p, today) for p in found.values() if p is not None} - {None}
    if len(homes) > 1:
        raise Refused("split_household")
    household = session.get(Household, homes.pop()) if homes else None
    changed = False
    if household is None:
        household = casework.register_household(
            session, address=rows[0].address, letters_by_post=True, actor=context.actor
        )
        status = "new"
    else:
        status = "unchanged"
        if _place(household) != _place_of(rows[0]):
            casework.move_within_almere(
                session, household, address=rows[0].address, actor=context.actor
            )
            changed = True
    people = {}
    moved_in = False
    for row in rows:
        person = found[row.bsn]
        if person is None:
            person = _add_new(session, household, row, context)
            moved_in = True
        elif _home_of(session, person, today) is None:
            _move_in(session, household, person, row, context)
            moved_in = True
        people[row.bsn] = person
    session.refresh(household)
    changed |= moved_in
    changed |= _assess(session, household, rows, people, context, again=moved_in)
    issued = 0
    for person in people.values():
        if active_pass(session, person.id) is None:
            issue_pass(session, person, actor=context.actor, now=context.now)
            issued += 1
    granted = []
    for scheme, span in context.schemes:
        run = issue_scheme(
            session, scheme, span, actor=context.actor.name, norms=context.norms,
            household_id=household.id,
        )  # fmt: skip
        granted += [f"{scheme.code} {span.label}"] * run.granted
    if status != "new" and (changed or issued or granted):
        status = "changed"
    outcome = Outcome(key, household.id, status, issued, granted)
    if issued or granted:
        write_grant_letter(
            session, household, kind=GRANTED, keys=context.keys, now=context.now, today=today,
            source_key=f"import:{context.source}:{context.sha256[:16]}:household:{household.id}",
            actor=context.actor, source=context.source,
        )  # fmt: skip
    audit.record(
        session,
        actor=context.actor,
        action="household.import",
        entity_type="household",
        entity_id=household.id,
        changes={
            "source": context.source,
            "lines": [r.line for r in rows],
            "status": status,
            "passes": issued,
            "granted": granted,
        },
    )
    return outcome


def _home_of(session: Session, person: Person, day: dt.date) -> int | None:
    """The household the person lives in on ``day``, if any."""
    return session.scalar(
        select(Membership.household_id).where(
            Membership.person_id == person.id,
            Membership.valid_from <= day,
            (Membership.valid_to.is_(None)) | (Membership.valid_to >= day),
        )
    )


def _place(household: Household) -> tuple[str, int, str]:
    return household.postcode, household.house_number, (household.house_number_suffix or "")


def _place_of(row: Row) -> tuple[str, int, str]:
    address = row.address
    return address.postcode, address.house_number, (address.house_number_suffix or "")


def _add_new(session: Session, household: Household, row: Row, context: Context) -> Person:
    return casework.add_person(
        session,
        household,
        given_name=row.given_name,
        family_name=row.family_name,
        date_of_birth=row.born,
        role=row.role,
        valid_from=max(context.today, row.born),
        today=context.today,
        bsn=row.bsn,
        keys=context.keys,
        actor=context.actor,
    )


def _move_in(
    session: Session, household: Household, person: Person, row: Row, context: Context
) -> None:
    """Someone we know who lives in no household today moves in, as the extract says."""
    membership = households.add_member(
        session, household, person, role=row.role, valid_from=context.today
    )
    audit.record(
        session,
        actor=context.actor,
        action="household.add_member",
        entity_type="household",
        entity_id=household.id,
        changes=audit.changes_between(
            {}, {"person": person.id, "role": row.role.value, "valid_from": membership.valid_from}
        ),
    )


def _assess(
    session: Session, household: Household, rows: list[Row], people: dict[str, Person],
    context: Context, *, again: bool,
) -> bool:  # fmt: skip
    """A new assessment when someone moved in (``again``: the norm changes with the household),
    or the income counted differs from the one that holds today, or none holds; refused above
    every limit. True when one was recorded."""
    today = context.today
    lines = [
        IncomeLineInput(people[r.bsn].id, r.kind, r.income)
        for r in rows
        if r.kind is not None and r.income > 0
    ]
    present = [income_lines.Member.of(m) for m in households.members_on(household, today)]
    total = income_lines.count(lines, present, today).total if lines else 0
    current = assessments.assessment_on(session, household.id, today)
    recorded = again or current is None or current.net_income != total
    if recorded:
        since = min(r.since for r in rows)
        current = casework.assess(
            session,
            household,
            lines=lines or None,
            net_income=None if lines else 0,
            assessed_on=today,
            actor=context.actor,
            evidence_ref=f"{context.source} sinds {since:%d-%m-%Y}"[:200],
        )
    assert current is not None  # noqa: S101 - recorded when there was none
    if context.limit is not None and not within_limit(
        current.net_income, current.norm_amount, context.limit
    ):
        raise Refused("income_above_limit")
    return recorded
