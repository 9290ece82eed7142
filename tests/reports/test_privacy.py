"""Small counts are hidden, and no hidden count comes back by subtraction from a total."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from almerepas.reports import privacy
from almerepas.reports.privacy import HIDDEN, THRESHOLD, Position, protect, protect_columns


def test_a_small_count_reads_less_than_ten() -> None:
    assert str(privacy.shown(9)) == "< 10"
    assert privacy.shown(10) == 10
    assert privacy.shown(0) is HIDDEN


def test_differencing_a_total_is_closed() -> None:
    # Stad 40, Haven 3, Buiten 25, all 68: Haven would be 68 - 40 - 25.
    table = protect_columns([[40], [3], [25]], [68])
    assert table.rows == [[40], [HIDDEN], [HIDDEN]]
    assert table.totals == [68]


def test_a_lone_row_is_hidden_with_its_total() -> None:
    table = protect_columns([[4]], [4])
    assert table.rows == [[HIDDEN]] and table.totals == [HIDDEN]


def test_every_column_is_protected_on_its_own() -> None:
    table = protect_columns([[50, 12], [30, 5]], [80, 17])
    assert table.rows == [[50, HIDDEN], [30, HIDDEN]]
    assert table.totals == [80, 17]  # 17 = two unknowns: neither follows


def _grid(rows: list[list[int]]) -> tuple[dict[Position, int], list[list[Position]]]:
    """Cells with a total per row (last column), per column (last row) and a grand total."""
    height, width = len(rows), len(rows[0])
    values = {(r, c): v for r, row in enumerate(rows) for c, v in enumerate(row)}
    for r, row in enumerate(rows):
        values[(r, width)] = sum(row)
    for c in range(width + 1):
        values[(height, c)] = sum(values[(r, c)] for r in range(height))
    equations = [[(r, c) for c in range(width + 1)] for r in range(height + 1)]
    equations += [[(r, c) for r in range(height + 1)] for c in range(width + 1)]
    return values, equations


counts = st.integers(min_value=0, max_value=40)
grids = st.integers(1, 5).flatmap(
    lambda width: st.lists(st.lists(counts, min_size=width, max_size=width), min_size=1, max_size=5)
)


@given(grids)
def test_no_hidden_cell_follows_from_its_row_or_column(rows: list[list[int]]) -> None:
    values, equations = _grid(rows)
    hidden = protect(values, equations)
    # Every small count is hidden ...
    assert all(p in hidden for p, v in values.items() if v < THRESHOLD)
    # ... and no row or column (with its total) has exactly one unknown to subtract for.
    for equation in equations:
        assert len([p for p in equation if p in hidden]) != 1, (rows, equation)


@given(st.lists(counts, min_size=1, max_size=8))
def test_no_hidden_district_follows_from_the_total(column: list[int]) -> None:
    table = protect_columns([[v] for v in column], [sum(column)])
    shown = [row[0] for row in table.rows] + table.totals
    assert all(
        cell is HIDDEN
        for cell, v in zip(shown, [*column, sum(column)], strict=True)
        if v < THRESHOLD
    )
    assert sum(1 for cell in shown if cell is HIDDEN) != 1
