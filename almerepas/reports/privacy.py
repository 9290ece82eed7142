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


def protect(values: dict[Position, int], equations: Sequence[Sequence[Position]]) -> set[Position]:
    """The positions to hide: every small count, and complements until no equation gives one away.

    Each equation lists positions whose values add up (cells and their total, the total last or
    not: order does not matter for the rule).
    """
    hidden = {position for position, value in values.items() if value < THRESHOLD}
    changed = True
    while changed:
        changed = False
        for equation in equations:
            inside = [p for p in equation if p in hidden]
            if len(inside) != 1:
                continue
            others = [p for p in equation if p not in hidden]
            if not others:
                continue
            # The smallest other member: it hides the least information; ties by position.
            hidden.add(min(others, key=lambda p: (values[p], p)))
            changed = True
    return hidden


@dataclass(frozen=True)
class ProtectedTable:
    """A table of counts with a total per column (the "all" row), as it may be shown."""

    rows: list[list[Shown]]
    totals: list[Shown]


def protect_columns(rows: Sequence[Sequence[int]], totals: Sequence[int]) -> ProtectedTable:
    """Rows of counts whose columns add up to ``totals`` (every person in exactly one row).

    The columns themselves need not add up across (a funnel: eligible, with a pass, ...).
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
    hidden = protect(values, equations)

    def cell(position: Position) -> Shown:
        return HIDDEN if position in hidden else values[position]

    return ProtectedTable(
        rows=[[cell((r, c)) for c in range(width)] for r in range(total_row)],
        totals=[cell((total_row, c)) for c in range(width)],
    )


def protect_row(counts: Sequence[int]) -> list[Shown]:
    """Counts that do not add up to anything shown: each on its own."""
    return [shown(count) for count in counts]
