"""Chart geometry: hidden figures are gaps, not zeros; every bar and line says its own value."""

from __future__ import annotations

from almerepas.reports.privacy import HIDDEN
from almerepas.reports.tables import Column, Table
from almerepas.web.reports import charts


def _months(rows: list[tuple[str, int, int | None]]) -> Table:
    columns = [Column(k, k) for k in ("scheme", "name", "month", "eligible", "used", "take_up")]
    return Table(
        "maanden", "m", columns,
        [[code, code.title(), f"2026-{m:02d}", 40, HIDDEN if r is None else 20, r]
         for code, m, r in rows],
    )  # fmt: skip


def test_a_hidden_month_breaks_the_line() -> None:
    table = _months([("ov", 1, 50), ("ov", 2, None), ("ov", 3, 75), ("ov", 4, 100)])
    (series,) = charts.take_up_lines(table, 2026).series
    assert [len(run) for run in series.runs] == [1, 2]
    assert series.end.label == "100%"
    # 100 % is at the top of the plot, 50 % halfway.
    assert series.end.y == charts.PLOT_TOP
    assert series.runs[0][0].y == charts.PLOT_TOP + charts.PLOT_HEIGHT // 2


def test_each_line_looks_different_and_an_all_hidden_one_is_left_out() -> None:
    table = _months([("ov", 1, 10), ("stadsfonds", 1, 20), ("menstruatie", 1, None)])
    found = charts.take_up_lines(table, 2026).series
    assert [s.name for s in found] == ["Ov", "Stadsfonds"]
    assert len({(s.dash, s.marker) for s in found}) == 2


def test_a_hidden_district_has_no_bar_but_says_so() -> None:
    columns = [Column("district", "Wijk", "text"), Column("take_up", "%", "percent")]
    table = Table("wijken", "w", columns, [["Almere Stad", 40], ["Almere Haven", None]])
    stad, haven = charts.share_bars(table, "minder dan 10 personen").bars
    assert stad.length > 0 and stad.text == "40%" and stad.pattern != haven.pattern
    assert haven.length == 0 and haven.text == "minder dan 10 personen"
