"""A whole-city run keeps its objects out of the collector's rescans without pausing it for the
other threads of a worker, also when two runs overlap (grants/collector.py)."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from almerepas.grants import collector
from almerepas.grants import runs as grants
from almerepas.models import MemberRole
from almerepas.schemes import catalogue as schemes
from almerepas.schemes import periods
from tests.factories import assess, born, make_household

WAIT = 30


class Run(threading.Thread):
    """A run in a thread of its own that enters, builds and settles, then leaves when told."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.built: list[object] = []
        self.inside = threading.Event()
        self.leave = threading.Event()
        self.left = threading.Event()

    def run(self) -> None:
        with collector.survivors_frozen():
            self.built.append([object() for _ in range(100)])  # what a run keeps alive
            collector.settle()
            self.inside.set()
            self.leave.wait(WAIT)
        self.left.set()


def frozen(thing: object) -> bool:
    """In the permanent generation: ``gc.get_objects`` lists only the three others."""
    return gc.is_tracked(thing) and not any(o is thing for o in gc.get_objects())


@pytest.fixture(autouse=True)
def nothing_frozen_outside_a_run() -> None:
    assert gc.get_freeze_count() == 0  # the checks below count on it


@pytest.mark.parametrize("first_out", [0, 1], ids=["first in leaves first", "last in first"])
def test_overlapping_runs_keep_the_collector_on_and_unfreeze_when_both_are_out(
    first_out: int,
) -> None:
    runs = [Run(), Run()]
    try:
        for run in runs:  # the first enters, then the second while the first is still inside
            run.start()
            assert run.inside.wait(WAIT)
            assert gc.isenabled()
        leaving, staying = runs[first_out], runs[1 - first_out]

        leaving.leave.set()
        assert leaving.left.wait(WAIT)
        assert gc.isenabled()
        assert frozen(staying.built[0])  # still inside: what it built stays out of the scans
        assert frozen(leaving.built[0])  # one freeze holds both; it ends with the last run

        staying.leave.set()
        assert staying.left.wait(WAIT)
        assert gc.isenabled()
        assert not frozen(staying.built[0]) and not frozen(leaving.built[0])
        assert gc.get_freeze_count() == 0
    finally:  # a failed check must not leave a run inside for the tests after it
        for run in runs:
            run.leave.set()


def test_another_requests_cyclic_garbage_is_collected_while_a_run_is_inside() -> None:
    run = Run()
    run.start()
    assert run.inside.wait(WAIT)

    class Node:
        other: Node

    try:
        node = Node()
        node.other = node  # a cycle: only the collector frees it
        gone = weakref.ref(node)
        del node
        churn: list[list[int]] = [[] for _ in range(100_000)]  # enough to set the collector off
        assert gone() is None, "the collector did not run while a grant run was inside"
        del churn
    finally:
        run.leave.set()
    assert run.left.wait(WAIT)


def test_one_households_run_freezes_nothing() -> None:
    with collector.survivors_frozen(whole_city=False):
        kept = [object()]
        collector.settle()
        assert not frozen(kept) and gc.get_freeze_count() == 0


def _watch(seen: list[tuple[bool, int]]) -> Callable[[int], None]:
    return lambda _done: seen.append((gc.isenabled(), gc.get_freeze_count()))


def test_a_city_run_settles_with_the_collector_on_and_a_households_run_leaves_it_be(
    reference: Session,
) -> None:
    for _ in range(3):
        family = make_household(reference, [(MemberRole.applicant, born(40))])
        assess(reference, family, (100, 100))
    scheme = schemes.get_scheme(reference, "menstruatie")
    span = periods.span_for(scheme.period, periods.parse("2026-03"))

    city: list[tuple[bool, int]] = []
    result = grants.issue_scheme(
        reference, scheme, span, actor="test", batch_size=1, progress=_watch(city)
    )
    assert result.granted == 3 and len(city) == 3
    assert all(enabled and count > 0 for enabled, count in city)
    assert gc.isenabled() and gc.get_freeze_count() == 0

    family = make_household(reference, [(MemberRole.applicant, born(30))])
    assess(reference, family, (100, 100))
    one: list[tuple[bool, int]] = []
    result = grants.issue_scheme(
        reference, scheme, span, actor="test", household_id=family.id, progress=_watch(one)
    )
    assert result.granted == 1 and one == [(True, 0)]
