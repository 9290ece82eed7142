"""Chart geometry for the SVG templates: positions in whole pixels, patterns instead of colours.

Every series and bar differs by its dash or hatch pattern and carries its own label, so a chart
reads in grey scale and on paper; the table next to it says the same in text.
"""

from __future__ import annotations

from dataclasses import dataclass

from almerepas.reports.privacy import Hidden
from almerepas.reports.tables import Cell, Table

WIDTH, PLOT_LEFT, PLOT_TOP, PLOT_WIDTH, PLOT_HEIGHT = 720, 48, 16, 480, 220
#: Line styles for series in turn: solid, dashed, dotted, dash-dot.
DASHES = ["", "8 4", "2 4", "10 4 2 4"]
MARKERS = ["circle", "square", "triangle", "diamond"]
#: Fill patterns for bars (defined in the template): hatched, dotted, crossed, solid.
PATTERNS = ["hatch", "dots", "cross", "solid"]
#: A bar row: its label above, then the bar; the label may be as long as the chart is wide.
BAR_HEIGHT, LABEL_HEIGHT, BAR_GAP = 22, 18, 12
ROW_HEIGHT = LABEL_HEIGHT + BAR_HEIGHT + BAR_GAP


@dataclass(frozen=True)
class Point:
    x: int
    y: int
    label: str


@dataclass(frozen=True)
class Series:
    name: str
    dash: str
    marker: str
    #: runs of consecutive points; a hidden month breaks the line
    runs: list[list[Point]]
    #: where the series' own name is written (after its last point)
    end: Point


@dataclass(frozen=True)
class LineChart:
    height: int
    series: list[Series]
    #: (x, label) of each month along the bottom
    months: list[tuple[int, str]]
    #: (y, label) of 0, 25, 50, 75 and 100 %
    grid: list[tuple[int, str]]


@dataclass(frozen=True)
class Bar:
    label: str
    #: the top of the bar; its label is written just above it
    y: int
    #: the bar's length in pixels; 0 when hidden
    length: int
    #: the length of the outline it is measured against (a budget), or 0
    outline: int
    pattern: str
    text: str


@dataclass(frozen=True)
class BarChart:
    height: int
    bars: list[Bar]


def _y(percent: int) -> int:
    return PLOT_TOP + PLOT_HEIGHT - PLOT_HEIGHT * percent // 100


def take_up_lines(table: Table, year: int) -> LineChart:
    """Per scheme, take-up by the end of each month (the months table)."""
    step = PLOT_WIDTH // 11
    by_scheme: dict[str, list[tuple[int, int | None]]] = {}
    names: dict[str, str] = {}
    for scheme, name, month, _eligible, _used, rate in table.rows:
        code = str(scheme)
        names[code] = str(name)
        by_scheme.setdefault(code, []).append(
            (int(str(month)[5:]), rate if isinstance(rate, int) else None)
        )
    series = []
    for n, (code, points) in enumerate(by_scheme.items()):
        runs: list[list[Point]] = [[]]
        for month, rate in points:
            if rate is None:
                runs.append([])
                continue
            runs[-1].append(Point(PLOT_LEFT + (month - 1) * step, _y(rate), f"{rate}%"))
        runs = [run for run in runs if run]
        if not runs:
            continue  # every month hidden: nothing to draw, the table says why
        series.append(
            Series(
                names[code], DASHES[n % len(DASHES)], MARKERS[n % len(MARKERS)], runs, runs[-1][-1]
            )
        )
    months = [(PLOT_LEFT + (m - 1) * step, f"{year}-{m:02d}"[5:]) for m in range(1, 13)]
    grid = [(_y(p), f"{p}%") for p in (0, 25, 50, 75, 100)]
    return LineChart(PLOT_TOP + PLOT_HEIGHT + 40, series, months, grid)


def _bars(rows: list[tuple[str, int | None, int, str]]) -> BarChart:
    """Bars of (label, length in per mille or None when hidden, outline per mille, text)."""
    scale = WIDTH - 240
    bars = [
        Bar(
            label,
            n * ROW_HEIGHT + LABEL_HEIGHT,
            0 if length is None else scale * min(length, 1000) // 1000,
            scale * outline // 1000,
            PATTERNS[n % len(PATTERNS)],
            text,
        )
        for n, (label, length, outline, text) in enumerate(rows)
    ]
    return BarChart(len(bars) * ROW_HEIGHT + 4, bars)


def budget_bars(table: Table, amount: dict[str, str]) -> BarChart:
    """Per scheme with a yearly budget: net spent as a share of it, the budget as an outline.

    ``amount`` maps a scheme code to "€ spent van € budget", formatted by the page."""
    keys = [c.key for c in table.columns]
    rows: list[tuple[str, int | None, int, str]] = []
    for row in table.rows:
        cells = dict(zip(keys, row, strict=True))
        budget, spent = cells["annual_budget"], cells["spent"]
        if not isinstance(budget, int) or not isinstance(spent, int) or budget <= 0:
            continue
        share = cells["budget_used"]
        text = f"{amount[str(cells['scheme'])]} ({share}%)"
        rows.append((str(cells["name"]), spent * 1000 // budget, 1000, text))
    return _bars(rows)


def share_bars(table: Table, hidden_text: str) -> BarChart:
    """Per row (a district): the take-up percentage; a hidden one is named, not drawn."""
    rows: list[tuple[str, int | None, int, str]] = []
    for row in table.rows:
        rate: Cell = row[-1]
        if isinstance(rate, int) and not isinstance(rate, Hidden):
            rows.append((str(row[0]), rate * 10, 1000, f"{rate}%"))
        else:
            rows.append((str(row[0]), None, 1000, hidden_text))
    return _bars(rows)
