"""Which households' verdicts a change of the norm table changes: for `norms import`, dry run too.

The verdicts are worked out as a grant run would (``plan``), for the periods the new rows start
in, once before and once after the change inside the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy.orm import Session

from almerepas.grants import collector
from almerepas.grants.planning import plan
from almerepas.grants.population import Population, read_population
from almerepas.grants.runs import active_schemes
from almerepas.income.norms import norm_table
from almerepas.income.policy import load_policy
from almerepas.schemes import periods

#: (scheme, period, beneficiary) -> (household, eligible)
Verdicts = dict[tuple[str, str, str], tuple[int, bool]]


def verdicts(session: Session, days: Iterable[dt.date]) -> Verdicts:
    """Every running scheme's verdicts for the month (and year) of each day.

    The residents of a period are read once (``read_population``) and judged by every scheme
    of that period: their norms are worked out once, not once per scheme.
    """
    table = norm_table(session)
    policy = load_policy(session)
    found: Verdicts = {}
    with collector.survivors_frozen():  # a whole city, judged per running scheme
        populations: dict[str, Population] = {}
        for day in sorted(set(days)):
            month = periods.parse(f"{day.year}-{day.month:02d}")
            for scheme in active_schemes(session, month, None):
                span = periods.span_for(scheme.period, month)
                label = span.label
                if label not in populations:
                    populations[label] = read_population(session, span, table=table, policy=policy)
                for candidate in plan(session, scheme, span, population=populations[label]):
                    found[scheme.code, label, candidate.beneficiary_key] = (
                        candidate.household_id,
                        candidate.eligible,
                    )
    return found


def changed_households(before: Verdicts, after: Verdicts) -> set[int]:
    """Households with at least one verdict that is not what it was."""
    return {
        verdict[0]
        for key in before.keys() | after.keys()
        for verdict in (before.get(key), after.get(key))
        if verdict is not None and before.get(key) != after.get(key)
    }
