"""Which grants a report is about, and what is known of each: one row per grant, in SQL.

The filter picks a year and, optionally, one month of it: a yearly scheme's grant for that year
and a monthly scheme's grants for the months chosen. Every figure is grouped from these rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import (
    ColumnElement,
    Subquery,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from almerepas.grants.models import Grant
from almerepas.households.models import UNKNOWN_DISTRICT, District, Household, Membership
from almerepas.ledger.models import Transfer
from almerepas.passes.models import Pass
from almerepas.redemptions.models import Redemption, Ride, Scan
from almerepas.schemes.models import Scheme
from almerepas.settlements import settled as settlement
from almerepas.settlements.models import RunStatus

#: A settlement run counts as settled from its approval on (the gemeente owes the partner).
SETTLED = (RunStatus.approved, RunStatus.paid_out, RunStatus.confirmed)
#: A ride that was let through is a use of the bus right.
RIDE_OK = "ok"


@dataclass(frozen=True)
class ReportFilter:
    year: int
    #: one month of the year (1..12); None: the whole year
    month: int | None = None
    district: District | None = None

    @property
    def labels(self) -> list[str]:
        """The grant periods in scope: the year, and its month(s)."""
        months = [self.month] if self.month else range(1, 13)
        return [str(self.year), *(f"{self.year}-{m:02d}" for m in months)]

    @property
    def start(self) -> dt.datetime:
        return dt.datetime(self.year, 1, 1, tzinfo=dt.UTC)

    @property
    def end(self) -> dt.datetime:
        """The first moment after the year."""
        return dt.datetime(self.year + 1, 1, 1, tzinfo=dt.UTC)


def month_end(year: int, month: int) -> dt.datetime:
    """The first moment after the month."""
    return dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=dt.UTC)


def _persons_of(f: ReportFilter) -> Subquery:
    """(beneficiary, person) for the beneficiaries in scope: the person, or the household's
    members that year. Per beneficiary, not per grant: twelve monthly grants share one."""
    in_scope = (
        select(Grant.beneficiary_key, Grant.person_id, Grant.household_id)
        .where(Grant.period.in_(f.labels))
        .distinct()
        .subquery("beneficiary")
    )
    own = select(in_scope.c.beneficiary_key, in_scope.c.person_id.label("person_id")).where(
        in_scope.c.person_id.is_not(None)
    )
    members = (
        select(in_scope.c.beneficiary_key, Membership.person_id)
        .join(Membership, Membership.household_id == in_scope.c.household_id)
        .where(Membership.valid_from < f.end.date())
        .where(or_(Membership.valid_to.is_(None), Membership.valid_to >= f.start.date()))
    )
    return union_all(own, members).subquery("persons")


def _latest_home() -> Subquery:
    """Each person's household of the latest membership (by ``valid_from``, then id)."""
    order = func.row_number().over(
        partition_by=Membership.person_id,
        order_by=(Membership.valid_from.desc(), Membership.id.desc()),
    )
    ranked = select(Membership.person_id, Membership.household_id, order.label("n")).subquery()
    return (
        select(ranked.c.person_id, ranked.c.household_id)
        .where(ranked.c.n == 1)
        .subquery("latest_home")
    )


def grant_facts(session: Session, f: ReportFilter) -> Subquery:
    """One row per grant in scope: its scheme, beneficiary, district, and what happened to it.

    Set-based throughout (joins and grouped subqueries, no subquery per grant): a year of
    Almere is some 300,000 grants (docs/reports.md, Speed)."""
    latest = _latest_home()
    person = Grant.person_id
    home = func.coalesce(Grant.household_id, latest.c.household_id)
    persons = _persons_of(f)
    key = persons.c.beneficiary_key
    with_pass = (
        select(key)
        .join(Pass, Pass.person_id == persons.c.person_id)
        .where(Pass.valid_from < f.end.date(), Pass.valid_until >= f.start.date())
        .group_by(key)
        .subquery("with_pass")
    )
    # A person's pass was scanned at a partner or let through on a bus before the year's end.
    scanned = exists(select(Scan.id).where(Scan.pass_id == Pass.id, Scan.scanned_at < f.end))
    ridden = exists(
        select(Ride.id).where(
            Ride.pass_id == Pass.id, Ride.result == RIDE_OK, Ride.ridden_at < f.end
        )
    )
    used_pass = select(Pass.person_id).where(or_(scanned, ridden))
    activated = (
        select(key).where(persons.c.person_id.in_(used_pass)).group_by(key).subquery("activated")
    )
    # Only the redemptions and rides of grants in scope are grouped, not a whole table's.
    scoped = Grant.__table__.alias("scoped")
    in_scope = select(scoped.c.id).where(scoped.c.period.in_(f.labels))
    used = (
        select(
            Redemption.grant_id.label("grant_id"),
            func.sum(Redemption.amount).label("redeemed"),
            func.sum(Redemption.reversed).label("reversed"),
            func.min(Redemption.created_at).label("first_at"),
        )
        .where(Redemption.grant_id.in_(in_scope))
        .group_by(Redemption.grant_id)
        .subquery("used")
    )
    rides = (
        select(Ride.grant_id.label("grant_id"), func.min(Ride.ridden_at).label("first_at"))
        .where(Ride.result == RIDE_OK, Ride.grant_id.in_(in_scope))
        .group_by(Ride.grant_id)
        .subquery("rides")
    )
    settled = settlement.settled_by_grant(session, in_scope, SETTLED)
    expired = (
        select(scoped.c.id.label("grant_id"), func.sum(Transfer.amount).label("expired"))
        .join(
            Transfer,
            and_(
                Transfer.entry_id == scoped.c.expiry_entry_id,
                Transfer.debit_account_id == scoped.c.account_id,
            ),
        )
        .where(scoped.c.period.in_(f.labels), scoped.c.expiry_entry_id.is_not(None))
        .group_by(scoped.c.id)
        .subquery("expired")
    )
    redeemed = func.coalesce(used.c.redeemed, 0)
    reversed_ = func.coalesce(used.c.reversed, 0)
    query = (
        select(
            Grant.id.label("grant_id"),
            Grant.scheme_id,
            Grant.period,
            Grant.beneficiary_key,
            Grant.person_id,
            Grant.household_id,
            Grant.amount,
            home.label("home_id"),
            with_pass.c.beneficiary_key.is_not(None).label("has_pass"),
            activated.c.beneficiary_key.is_not(None).label("activated"),
            func.coalesce(used.c.first_at, rides.c.first_at).label("first_use_at"),
            redeemed.label("redeemed"),
            reversed_.label("reversed"),
            func.coalesce(expired.c.expired, 0).label("expired"),
            func.coalesce(settled.c.settled, 0).label("settled"),
            case(
                (and_(Grant.amount > 0, (redeemed - reversed_) * 2 > Grant.amount), 1), else_=0
            ).label("half_used"),
        )
        .outerjoin(latest, and_(Grant.household_id.is_(None), latest.c.person_id == person))
        .outerjoin(with_pass, with_pass.c.beneficiary_key == Grant.beneficiary_key)
        .outerjoin(activated, activated.c.beneficiary_key == Grant.beneficiary_key)
        .outerjoin(used, used.c.grant_id == Grant.id)
        .outerjoin(rides, rides.c.grant_id == Grant.id)
        .outerjoin(settled, settled.c.grant_id == Grant.id)
        .outerjoin(expired, expired.c.grant_id == Grant.id)
        .where(Grant.period.in_(f.labels))
        .subquery("grant_home")
    )
    district = func.coalesce(Household.district, literal(UNKNOWN_DISTRICT))
    facts = select(*query.c, district.label("district")).outerjoin(
        Household, Household.id == query.c.home_id
    )
    if f.district is not None:
        facts = facts.where(district == f.district)
    return facts.subquery("facts")


def flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """1 for a beneficiary for whom ``condition`` held on at least one grant, else 0."""
    return func.max(case((condition, 1), else_=0))


def beneficiaries(facts: Subquery) -> Subquery:
    """One row per beneficiary of a scheme: a flag per funnel step and the sums of its grants.

    The figures count these rows instead of distinct beneficiaries per step, which would sort
    once per distinct count (docs/reports.md, Speed). Person, household, district and home are
    the beneficiary's, so grouping by them splits nothing."""
    granted = or_(facts.c.amount > 0, Scheme.kind == "right")
    keys = ("scheme_id", "beneficiary_key", "district", "home_id", "person_id", "household_id")
    return (
        select(
            *(facts.c[k] for k in keys),
            flag(granted).label("granted"),
            flag(facts.c.has_pass).label("with_pass"),
            flag(facts.c.activated).label("activated"),
            flag(facts.c.first_use_at.is_not(None)).label("first_use"),
            func.max(facts.c.half_used).label("half_used"),
            func.sum(facts.c.amount).label("granted_amount"),
            func.sum(facts.c.redeemed).label("redeemed"),
            func.sum(facts.c.reversed).label("reversed"),
            func.sum(facts.c.expired).label("expired"),
            func.sum(facts.c.settled).label("settled"),
        )
        .join(Scheme, Scheme.id == facts.c.scheme_id)
        .group_by(*(facts.c[k] for k in keys))
        .subquery("beneficiaries")
    )
