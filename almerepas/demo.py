"""The demo: a believable Almere, built deterministically; loading it twice changes nothing.

Budget figures here are example values for the demo, not policy: real schemes and budgets are
data that staff maintain (a later issue). Later issues add households, partners and activity.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from almerepas import ledger
from almerepas.batch import Step
from almerepas.ledger import EUR, Leg
from almerepas.models import AccountKind, EntryKind

ACTOR = "cli:demo"
SOURCE_CODE = "source:gemeente-almere"


@dataclass(frozen=True)
class DemoScheme:
    code: str
    name: str
    unit: str
    #: yearly budget in cents (EUR) or units; 0 for offers that partners pay themselves
    budget: int


SCHEMES = (
    DemoScheme("ov", "Gratis openbaar vervoer in Almere", EUR, 1_200_000_00),
    DemoScheme("stadsfonds", "Stadsfonds sport en cultuur voor kinderen", EUR, 1_600_000_00),
    DemoScheme("menstruatie", "Gratis menstruatieproducten", "PACK", 60_000),
    DemoScheme("supermarkt", "Korting in de sociale supermarkt", EUR, 250_000_00),
    DemoScheme("basis", "Stadspas-aanbod (betaald door partners)", EUR, 0),
)


def funding_code(scheme: str, year: int) -> str:
    return f"funding:{scheme}:{year}"


def _funding_step(scheme: DemoScheme, year: int) -> Callable[[Session], str]:
    def step(session: Session) -> str:
        created = ledger.get_account(session, funding_code(scheme.code, year)) is None
        funding = ledger.ensure_account(
            session,
            code=funding_code(scheme.code, year),
            name=f"{scheme.name} {year}",
            kind=AccountKind.funding,
            unit=scheme.unit,
        )
        if scheme.budget == 0:
            return "created" if created else "unchanged"
        source = ledger.ensure_account(
            session,
            code=f"{SOURCE_CODE}:{scheme.unit.lower()}",
            name=f"Begroting gemeente Almere ({scheme.unit})",
            kind=AccountKind.source,
            unit=scheme.unit,
        )
        key = f"demo:budget:{scheme.code}:{year}"
        if ledger.get_entry(session, key) is not None:
            return "unchanged"
        ledger.post_entry(
            session,
            kind=EntryKind.adjustment,
            natural_key=key,
            legs=[Leg(source, funding, scheme.budget)],
            actor=ACTOR,
            effective_at=dt.datetime(year, 1, 1, tzinfo=dt.UTC),
            memo=f"Budget {year} voor {scheme.name}",
        )
        return "created"

    return step


def _example_child_step(year: int, seed: int) -> Callable[[Session], str]:
    """One child's sport budget: a grant and two redemptions at a sport club."""

    def step(session: Session) -> str:
        if ledger.get_entry(session, f"demo:grant:stadsfonds:kind-1:{year}") is not None:
            return "unchanged"
        rng = random.Random(f"{seed}:{year}:kind-1")  # noqa: S311 - demo data, not security
        funding = ledger.account_by_code(session, funding_code("stadsfonds", year))
        budget = ledger.open_account(
            session,
            code=f"entitlement:demo-kind-1:stadsfonds:{year}",
            name=f"Stadsfonds {year}, voorbeeldkind 1",
            kind=AccountKind.entitlement,
        )
        club = ledger.ensure_account(
            session,
            code="payable:demo-sportclub",
            name="Te betalen aan voorbeeld-sportclub",
            kind=AccountKind.payable,
        )
        ledger.post_entry(
            session,
            kind=EntryKind.grant,
            natural_key=f"demo:grant:stadsfonds:kind-1:{year}",
            legs=[Leg(funding, budget, 300_00)],
            actor=ACTOR,
            effective_at=dt.datetime(year, 1, 1, tzinfo=dt.UTC),
        )
        for n in (1, 2):
            ledger.post_entry(
                session,
                kind=EntryKind.redemption,
                natural_key=f"demo:redemption:stadsfonds:kind-1:{year}:{n}",
                legs=[Leg(budget, club, rng.randrange(25_00, 90_00, 50))],
                actor=ACTOR,
                effective_at=dt.datetime(year, 2 * n, 10, tzinfo=dt.UTC),
                memo="Contributie sportclub",
            )
        return "created"

    return step


def demo_steps(*, year: int, seed: int) -> list[Step]:
    steps: list[Step] = [
        (f"budget {scheme.code}", _funding_step(scheme, year)) for scheme in SCHEMES
    ]
    steps.append(("voorbeeldkind", _example_child_step(year, seed)))
    return steps
