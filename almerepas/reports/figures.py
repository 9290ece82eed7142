"""The figures: take-up and amounts per scheme and per district, take-up per month, partners.

Each function is one grouped query over the grant facts (``scope.grant_facts``, or the year's
snapshot of them: ``snapshot.facts``); counts leave here as raw integers in dataclasses and are
protected (``privacy``) by ``tables`` before anyone sees them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Subquery,
    and_,
    case,
    distinct,
    func,
    or_,
    select,
    text,
    union,
)
from sqlalchemy.orm import Session

from almerepas.contracts.models import Partner
from almerepas.core import gemeente
from almerepas.households.models import District, Membership
from almerepas.reports import snapshot
from almerepas.reports.scope import ReportFilter, flag, month_end
from almerepas.schemes.models import Scheme


@dataclass(frozen=True)
class Funnel:
    """Distinct beneficiaries (a person, or a household for a household scheme) per step."""

    eligible: int
    granted: int
    activated: int
    first_use: int
    half_used: int


@dataclass(frozen=True)
class SchemeFigures:
    scheme: str
    name: str
    unit: str
    #: ``None`` when the figures are not split by district
    district: District | None
    persons: int
    households: int
    with_pass: int
    funnel: Funnel
    #: in the scheme's unit (cents or units)
    granted: int
    redeemed: int
    reversed: int
    expired: int
    #: cents paid or owed to partners for these grants (approved settlement runs)
    settled: int
    #: the scheme's yearly budget in its unit, None without one
    annual_budget: int | None

    @property
    def spent(self) -> int:
        """Redeemed minus what was given back: what the scheme's budget paid."""
        return self.redeemed - self.reversed


@dataclass(frozen=True)
class MonthTakeUp:
    scheme: str
    name: str
    month: int
    #: beneficiaries with a grant that runs in the month
    eligible: int
    #: of those, who used that grant by the end of the month
    used: int


@dataclass(frozen=True)
class PartnerFigures:
    partner: str
    scheme: str
    unit: str
    redemptions: int
    redeemed: int
    reversed: int


def _without_jit(session: Session) -> None:
    """PostgreSQL's JIT spends seconds compiling a figure's large plan to save milliseconds, and
    4 MB of sort memory sends a year's grouping to disk (docs/reports.md, Speed): both set for
    this read-only transaction only."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))
        session.execute(text("SET LOCAL work_mem = '32MB'"))


def by_scheme(
    session: Session, f: ReportFilter, *, per_district: bool = False
) -> list[SchemeFigures]:
    """Every scheme with a grant in scope, or every (scheme, district) pair.

    Grouped twice: first one row per beneficiary (a flag per funnel step, their sums), then
    the beneficiaries per scheme are counted; the same as counting distinct beneficiaries per
    step, without a sort per distinct count (docs/reports.md, Speed)."""
    _without_jit(session)
    beneficiaries = snapshot.beneficiaries(session, f)
    b = beneficiaries.c
    groups: list[ColumnElement[Any]] = [b.scheme_id]
    if per_district:
        groups.append(b.district)
    query = select(
        *groups,
        func.count().label("eligible"),
        *(func.sum(b[k]).label(k) for k in ("granted", "with_pass", "activated")),
        *(func.sum(b[k]).label(k) for k in ("first_use", "half_used")),
        func.count(distinct(b.home_id)).label("households"),
        *(func.sum(b[k]).label(k) for k in ("granted_amount", "redeemed", "reversed")),
        *(func.sum(b[k]).label(k) for k in ("expired", "settled")),
    ).group_by(*groups)
    persons = _persons(session, beneficiaries, f, per_district)
    schemes = {s.id: s for s in session.scalars(select(Scheme))}
    found = []
    for row in session.execute(query):
        scheme = schemes[row.scheme_id]
        district = row.district if per_district else None
        found.append(
            SchemeFigures(
                scheme=scheme.code,
                name=scheme.name_nl,
                unit=scheme.unit,
                district=district,
                persons=persons.get((row.scheme_id, district), 0),
                households=row.households,
                with_pass=int(row.with_pass),
                funnel=Funnel(
                    row.eligible,
                    int(row.granted),
                    int(row.activated),
                    int(row.first_use),
                    int(row.half_used),
                ),
                granted=int(row.granted_amount or 0),
                redeemed=int(row.redeemed or 0),
                reversed=int(row.reversed or 0),
                expired=int(row.expired or 0),
                settled=int(row.settled or 0),
                annual_budget=scheme.annual_budget,
            )
        )
    # The folder's order; a code it no longer lists (data of before a change) comes last.
    order = {code: n for n, code in enumerate(gemeente.current().district_codes())}
    return sorted(
        found, key=lambda s: (s.scheme, order.get(s.district, len(order)) if s.district else 0)
    )


def _persons(
    session: Session, beneficiaries: Subquery, f: ReportFilter, per_district: bool
) -> dict[tuple[int, District | None], int]:
    """Distinct persons a scheme's grants are for: the person, or the household's members."""
    # Per beneficiary: a household's twelve monthly grants list its members once.
    facts = beneficiaries
    members = (
        select(facts.c.scheme_id, facts.c.district, Membership.person_id.label("person_id"))
        .join(Membership, Membership.household_id == facts.c.household_id)
        .where(facts.c.household_id.is_not(None))
        .where(Membership.valid_from < f.end.date())
        .where(or_(Membership.valid_to.is_(None), Membership.valid_to >= f.start.date()))
    )
    own = select(facts.c.scheme_id, facts.c.district, facts.c.person_id).where(
        facts.c.person_id.is_not(None)
    )
    people = union(own, members).subquery("people")
    groups: list[ColumnElement[Any]] = [people.c.scheme_id]
    if per_district:
        groups.append(people.c.district)
    query = select(*groups, func.count(distinct(people.c.person_id)).label("n")).group_by(*groups)
    return {
        (row.scheme_id, row.district if per_district else None): row.n
        for row in session.execute(query)
    }


def take_up_by_month(session: Session, f: ReportFilter) -> list[MonthTakeUp]:
    """Per scheme and month of the year: beneficiaries with a running grant, and who used it.

    A beneficiary has one grant per scheme and period at most, so where a scheme's grants of
    the year are all yearly or all monthly, its grants are its beneficiaries: one grouping by
    period and month of first use (a few hundred rows) instead of one row per beneficiary with
    24 flags (docs/reports.md, Speed). A scheme with both is counted per beneficiary."""
    _without_jit(session)
    facts = snapshot.facts(session, ReportFilter(f.year, None, f.district))
    ends = [month_end(f.year, m) for m in range(1, 13)]
    used_in = case(*((facts.c.first_use_at < end, m) for m, end in enumerate(ends, 1)), else_=13)
    grants = select(facts.c.scheme_id, facts.c.period, used_in.label("used_in")).subquery("g")
    query = select(grants.c.scheme_id, grants.c.period, grants.c.used_in, func.count()).group_by(
        grants.c.scheme_id, grants.c.period, grants.c.used_in
    )
    counted: dict[int, list[tuple[str, int, int]]] = defaultdict(list)
    for scheme_id, period, used, n in session.execute(query):
        counted[scheme_id].append((period, used, n))
    mixed = [i for i, rows in counted.items() if len({len(p) for p, _, _ in rows}) > 1]
    months = _per_beneficiary(session, facts, f.year, mixed) if mixed else {}
    for scheme_id, rows in counted.items():
        if scheme_id not in months:
            months[scheme_id] = [
                _running(rows, str(f.year), f"{f.year}-{m:02d}", m) for m in range(1, 13)
            ]
    schemes = session.scalars(select(Scheme).where(Scheme.id.in_(list(counted))))
    return [
        MonthTakeUp(scheme.code, scheme.name_nl, m, eligible, used)
        for scheme in sorted(schemes, key=lambda s: s.code)
        for m, (eligible, used) in enumerate(months[scheme.id], 1)
    ]


def _running(rows: list[tuple[str, int, int]], year: str, month: str, m: int) -> tuple[int, int]:
    """(grants running in month ``m``, those first used before its end) of one scheme."""
    running = [(used, n) for period, used, n in rows if period in (year, month)]
    return sum(n for _, n in running), sum(n for used, n in running if used <= m)


def _per_beneficiary(
    session: Session, facts: Subquery, year: int, scheme_ids: list[int]
) -> dict[int, list[tuple[int, int]]]:
    """Per scheme, (running, used) for each month, grouped per beneficiary first."""
    flags: list[ColumnElement[Any]] = []
    for m in range(1, 13):
        running = or_(facts.c.period == str(year), facts.c.period == f"{year}-{m:02d}")
        used = and_(running, facts.c.first_use_at < month_end(year, m))
        flags += [flag(running).label(f"e{m}"), flag(used).label(f"u{m}")]
    beneficiaries = (
        select(facts.c.scheme_id, *flags)
        .where(facts.c.scheme_id.in_(scheme_ids))
        .group_by(facts.c.scheme_id, facts.c.beneficiary_key)
        .subquery("beneficiaries")
    )
    b = beneficiaries.c
    sums = [func.sum(b[f"{k}{m}"]).label(f"{k}{m}") for m in range(1, 13) for k in ("e", "u")]
    query = select(b.scheme_id, *sums).group_by(b.scheme_id)
    return {
        row.scheme_id: [
            (int(row._mapping[f"e{m}"]), int(row._mapping[f"u{m}"])) for m in range(1, 13)
        ]
        for row in session.execute(query)
    }


def by_partner(session: Session, f: ReportFilter) -> list[PartnerFigures]:
    """Redemptions of the grants in scope per partner and scheme: how many, how much."""
    _without_jit(session)
    use = snapshot.partner_use(session, f)
    query = (
        select(
            Partner.name,
            Scheme.code,
            Scheme.unit,
            func.sum(use.c.redemptions).label("n"),
            func.sum(use.c.redeemed).label("redeemed"),
            func.sum(use.c.reversed).label("reversed"),
        )
        .join(Partner, Partner.id == use.c.partner_id)
        .join(Scheme, Scheme.id == use.c.scheme_id)
        .group_by(Partner.name, Scheme.code, Scheme.unit)
        .order_by(Partner.name, Scheme.code)
    )
    return [
        PartnerFigures(
            row.name, row.code, row.unit, int(row.n), int(row.redeemed), int(row.reversed)
        )
        for row in session.execute(query)
    ]
