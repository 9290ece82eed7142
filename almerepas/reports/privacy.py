"""Small counts of persons are never shown, nor left recoverable by subtraction from a total.

A count below ``THRESHOLD`` becomes ``HIDDEN`` ("< 10"). A table is a set of equations (a row's
cells add up to its total, a column's to its total); when an equation has exactly one hidden
member, the subtraction would give it away, so a second member is hidden too (the smallest other
cell, or else the total), until no equation has exactly one (docs/reports.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: Counts of persons below this are hidden.
THRESHOLD = 10


@dataclass(frozen=True)
class Hidden:
    """A count too small to show, or one that would give a small count away."""

    def __str__(self) -> str:
        return f"< {THRESHOLD}"


HIDDEN = Hidden()

#: What a count looks like once it may be shown.
Shown = int | Hidden

Position = tuple[int, int]


def shown(count: int) -> Shown:
    """One count on its own: hidden below the threshold."""
    return HIDDEN if count < THRESHOLD else count


def protect(
    values: dict[Position, int],
    equations: Sequence[Sequence[Position]],
    unshown: dict[Position, int] | None = None,
) -> set[Position]:
    """The positions to hide: every small count, and complements until no equation gives one away.

    Each equation lists positions whose values add up (cells and their total; order does not
    matter). ``unshown`` are counts that are never shown but follow from two shown ones: the
    difference of two nested funnel steps (eligible minus used: those who used nothing). Such a
    difference of 1 to 9 is a small count of persons too; of 0 it names nobody.
    """
    unshown = unshown or {}
    hidden = {p for p, value in values.items() if value < THRESHOLD}
    hidden |= {p for p, value in unshown.items() if 0 < value < THRESHOLD}
    changed = True
    while changed:
        changed = False
        for equation in equations:
            unknown = [p for p in equation if p in hidden or p in unshown]
            if len(unknown) != 1 or unknown[0] not in hidden:
                continue
            others = [p for p in equation if p not in hidden and p not in unshown]
            if not others:
                continue
            # The smallest other member: it hides the least information; ties by position.
            hidden.add(min(others, key=lambda p: (values[p], p)))
            changed = True
    return {p for p in hidden if p in values}


def _differences(
    rows: Sequence[Sequence[int]], nested: Sequence[tuple[int, int]], width: int
) -> tuple[dict[Position, int], list[list[Position]]]:
    """Per row and (parent, child) pair of columns: the difference, and its equation."""
    unshown: dict[Position, int] = {}
    equations: list[list[Position]] = []
    for r, row in enumerate(rows):
        for k, (parent, child) in enumerate(nested):
            unshown[(r, width + k)] = row[parent] - row[child]
            equations.append([(r, parent), (r, child), (r, width + k)])
    return unshown, equations


@dataclass(frozen=True)
class ProtectedTable:
    """A table of counts with a total per column (the "all" row), as it may be shown."""

    rows: list[list[Shown]]
    totals: list[Shown]


def protect_columns(
    rows: Sequence[Sequence[int]],
    totals: Sequence[int],
    nested: Sequence[tuple[int, int]] = (),
) -> ProtectedTable:
    """Rows of counts whose columns add up to ``totals`` (every person in exactly one row).

    The columns need not add up across; ``nested`` names the (parent, child) columns of which
    the child counts some of the parent's persons (a funnel: eligible, then used).
    """
    width = len(totals)
    total_row = len(rows)
    values: dict[Position, int] = {}
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            values[(r, c)] = value
    for c, value in enumerate(totals):
        values[(total_row, c)] = value
    equations = [[(r, c) for r in range(total_row + 1)] for c in range(width)]
    unshown, within = _differences([*rows, totals], nested, width)
    hidden = protect(values, equations + within, unshown)

    def cell(position: Position) -> Shown:
        return HIDDEN if position in hidden else values[position]

    return ProtectedTable(
        rows=[[cell((r, c)) for c in range(width)] for r in range(total_row)],
        totals=[cell((total_row, c)) for c in range(width)],
    )


def protect_row(counts: Sequence[int], nested: Sequence[tuple[int, int]] = ()) -> list[Shown]:
    """Counts of one row that add up to nothing shown, with their nested pairs as above."""
    values = {(0, c): count for c, count in enumerate(counts)}
    unshown, within = _differences([counts], nested, len(counts))
    hidden = protect(values, within, unshown)
    return [HIDDEN if (0, c) in hidden else count for c, count in enumerate(counts)]
