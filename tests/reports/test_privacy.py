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


def test_a_small_difference_of_two_funnel_steps_is_hidden() -> None:
    # 50 eligible, 45 used: showing both says that 5 persons used nothing.
    assert privacy.protect_row([50, 45], [(0, 1)]) == [50, HIDDEN]
    assert privacy.protect_row([50, 50], [(0, 1)]) == [50, 50]  # nobody left out: no one named
    assert privacy.protect_row([50, 30], [(0, 1)]) == [50, 30]


def test_a_hidden_step_is_not_given_away_by_its_column_either() -> None:
    # Stad: 40 eligible, 35 used (5 did not); Haven 30 and 30; all 70 and 65 (5 did not).
    table = protect_columns([[40, 35], [30, 30]], [70, 65], nested=[(0, 1)])
    assert table.rows == [[40, HIDDEN], [30, 30]]
    # 65 - 30 would give Stad's 35 back: the total of the column is hidden as well.
    assert table.totals == [70, HIDDEN]


funnels = st.lists(
    st.tuples(st.integers(0, 40), st.integers(0, 40), st.integers(0, 40)).map(
        lambda t: [t[0] + t[1] + t[2], t[1] + t[2], t[2]]  # eligible >= granted >= used
    ),
    min_size=1,
    max_size=5,
)


@given(funnels)
def test_no_small_count_follows_from_a_funnel_table(rows: list[list[int]]) -> None:
    nested = [(0, 1), (0, 2), (1, 2)]
    totals = [sum(row[c] for row in rows) for c in range(3)]
    table = protect_columns(rows, totals, nested)
    every = [*table.rows, table.totals]
    values = [*rows, totals]
    for shown_row, row in zip(every, values, strict=True):
        for cell, value in zip(shown_row, row, strict=True):
            assert value >= THRESHOLD or cell is HIDDEN
        for parent, child in nested:
            difference = row[parent] - row[child]
            both_shown = shown_row[parent] is not HIDDEN and shown_row[child] is not HIDDEN
            assert not (0 < difference < THRESHOLD and both_shown), (rows, parent, child)
    for c in range(3):
        column = [shown_row[c] for shown_row in every]
        assert sum(1 for cell in column if cell is HIDDEN) != 1, (rows, c)
