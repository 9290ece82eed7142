"""The demo: a believable gemeente, built deterministically from a seed; loading it twice
changes nothing.

Households of every type in the postcode areas the gemeente's data folder gives streets for
(Almere's cover every district that has postcodes, and a PO-box range that lands in the explicit
"unknown" district), incomes spread around the social minimum with some exactly at the limits,
their assessments, and a year of grants.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almerepas.audit.log import Actor
from almerepas.core import gemeente
from almerepas.core.crypto import Keyring
from almerepas.core.session import Step
from almerepas.grants import expiry
from almerepas.grants import runs as grants
from almerepas.grants.funding import ensure_funding
from almerepas.households import members as households
from almerepas.households.members import Address
from almerepas.households.models import Household, MemberRole
from almerepas.income import assessments, norms
from almerepas.income import rules as eligibility
from almerepas.income.errors import NoNorm
from almerepas.reference.demo_partners import partners_step
from almerepas.reference.loaders import reference_steps
from almerepas.schemes import periods
from almerepas.schemes.models import Scheme
from almerepas.staff.accounts import create_staff_user
from almerepas.staff.models import Role, StaffUser

ACTOR = Actor("cli:demo")
GIVEN = (
    "Anna", "Mohamed", "Sanne", "Daan", "Fatima", "Kevin", "Priya", "Joost", "Aylin", "Bram",
    "Naima", "Thijs", "Esra", "Ruben", "Lotte", "Youssef", "Mila", "Sem", "Zeynep", "Lucas",
    "Amira", "Jesse", "Noor", "Milan", "Eva", "Finn", "Sophie", "Levi", "Hira", "Tim",
)  # fmt: skip
FAMILY = (
    "de Vries", "Jansen", "Bakker", "El Amrani", "Visser", "Smit", "Yilmaz", "Meijer", "de Boer",
    "Mulder", "Ramdin", "de Groot", "Bos", "Kaya", "Vos", "Peters", "Hendriks", "Boateng",
    "van Dijk", "Kramer", "Nowak", "Dekker", "Tahiri", "Brouwer", "de Wit", "Koç",
)  # fmt: skip
#: (applicant age, partner age or None, children's ages): one of every household type
SHAPES = (
    (19, None, ()), (34, None, ()), (70, None, ()), (29, None, (6,)), (41, None, (15, 11, 4)),
    (38, 36, ()), (38, 36, (9, 13)), (20, 19, ()), (20, 19, (1,)), (20, 27, (3,)),
    (69, 71, ()), (44, 46, (17, 12, 8, 2)),
)  # fmt: skip
#: income as a percentage of the norm; the limits themselves appear on purpose
PERCENTAGES = (70, 85, 95, 100, 100, 105, 110, 110, 115, 120, 120, 125, 130, 135, 150)


@dataclass(frozen=True)
class DemoPlan:
    year: int
    seed: int
    households: int
    today: dt.date
    keys: Keyring


def _households_step(plan: DemoPlan) -> Callable[[Session], str]:
    def step(session: Session) -> str:
        if session.scalar(select(func.count()).select_from(Household)):
            return "unchanged"
        rng = random.Random(plan.seed)  # noqa: S311 - demo data, not security
        start = dt.date(plan.year, 1, 1)
        streets = gemeente.current().demo_streets
        if not streets:
            return "no streets in the gemeente's [demo.streets]"
        postcodes = sorted(streets)
        made = 0
        for n in range(plan.households):
            applicant, partner, children = SHAPES[n % len(SHAPES)]
            pc4 = postcodes[n % len(postcodes)]
            letters = rng.choice("ABCDEFGHJKLMNPRSTVWXZ") + rng.choice("ABCDEFGHJKLMNPRSTVWXZ")
            household = households.create_household(
                session,
                address=Address(f"{pc4}{letters}", 1 + rng.randrange(200), streets[pc4]),
                language=rng.choice(("nl", "nl", "nl", "en")),
                letters_by_post=rng.random() < 0.2,
            )
            family = rng.choice(FAMILY)
            ages = [(MemberRole.applicant, applicant)]
            ages += [(MemberRole.partner, partner)] if partner else []
            ages += [(MemberRole.child, age) for age in children]
            for role, age in ages:
                born = dt.date(plan.year - age - 1, 1 + rng.randrange(12), 1 + rng.randrange(28))
                person = households.create_person(
                    session,
                    given_name=rng.choice(GIVEN),
                    family_name=family,
                    date_of_birth=born,
                    today=plan.today,
                    keys=plan.keys,
                )
                households.add_member(
                    session,
                    household,
                    person,
                    role=role,
                    valid_from=max(born, start.replace(year=2020)),
                )
            session.refresh(household)
            _assess(session, household, PERCENTAGES[rng.randrange(len(PERCENTAGES))], start)
            made += 1
        return f"{made} created"

    return step


def _assess(session: Session, household: Household, percent: int, on: dt.date) -> None:
    adults, children = assessments.composition(household, on)
    try:
        norm = norms.norm_for(session, eligibility.norm_key(adults, children, on), on)
    except NoNorm:
        return
    assessments.record_assessment(
        session,
        household,
        net_income=norm.amount * percent // 100,
        assessed_on=on,
        assessed_by=ACTOR.name,
        evidence_ref="demo",
    )


def _grants_step(plan: DemoPlan) -> Callable[[Session], str]:
    """A year of activity: every month up to today granted, ended months expired."""

    def step(session: Session) -> str:
        for scheme in session.scalars(select(Scheme).where(Scheme.active.is_(True))):
            if scheme.valid_from.year <= plan.year and (
                scheme.valid_to is None or scheme.valid_to.year >= plan.year
            ):
                ensure_funding(session, scheme, plan.year)
        last_month = 12 if plan.year < plan.today.year else plan.today.month
        granted = 0
        for month in range(1, last_month + 1):
            label = f"{plan.year}-{month:02d}"
            runs = grants.issue(session, period=label, actor=ACTOR, today=plan.today)
            granted += sum(r.granted for r in runs)
            span = periods.parse(label)
            if span.end < plan.today:
                expiry.expire(session, period=label, actor=ACTOR, today=plan.today)
        return f"{granted} granted" if granted else "unchanged"

    return step


def demo_password() -> str:
    """The demo logins' password (the gemeente's data folder); public on purpose: demo only."""
    return gemeente.current().demo_password


#: One demo login per role.
DEMO_STAFF = (
    ("consulent", "Chantal Consulent", Role.caseworker),
    ("financien", "Frank Financiën", Role.finance),
    # A second pair of eyes: a settlement run is approved by another finance user.
    ("controller", "Carla Controller", Role.finance),
    ("beleid", "Bea Beleid", Role.policy),
    ("beheerder", "Bart Beheerder", Role.administrator),
    ("auditor", "Anouk Auditor", Role.auditor),
)


def _staff_step(plan: DemoPlan) -> Callable[[Session], str]:
    return lambda session: _make_staff(session, plan.keys)


def _make_staff(session: Session, keys: Keyring) -> str:
    existing = set(session.scalars(select(StaffUser.username)))
    made = 0
    for username, name, role in DEMO_STAFF:
        if username not in existing:
            create_staff_user(
                session,
                username=username,
                display_name=name,
                role=role,
                password=demo_password(),
                keys=keys,
                actor=ACTOR,
            )
            made += 1
    return f"{made} created" if made else "unchanged"


def demo_logins(session: Session, *, keys: Keyring) -> list[tuple[str, str, str, str]]:
    """(username, role, password, TOTP secret) of each demo account, for the serve command."""
    users = session.scalars(
        select(StaffUser).where(StaffUser.username.in_([u for u, _, _ in DEMO_STAFF]))
    )
    return [
        (u.username, u.role.value, demo_password(), keys.decrypt(u.totp_secret_encrypted))
        for u in users
    ]


def demo_steps(
    *, year: int, seed: int, households: int, today: dt.date, keys: Keyring
) -> list[Step]:
    plan = DemoPlan(year=year, seed=seed, households=households, today=today, keys=keys)
    steps = list(reference_steps(actor=ACTOR, keys=keys))
    steps.append(("medewerkers", _staff_step(plan)))
    steps.append(("huishoudens", _households_step(plan)))
    steps.append(("toekenningen", _grants_step(plan)))
    steps.append(("partners", _partners_step(plan)))
    return steps


def _partners_step(plan: DemoPlan) -> Callable[[Session], str]:
    def step(session: Session) -> str:
        return partners_step(
            session, today=plan.today, seed=plan.seed, keys=plan.keys, actor=ACTOR,
            password=demo_password(),
        )  # fmt: skip

    return step
