"""The worked examples of docs/eligibility.md, recomputed from the shipped norms and the rules."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from almerepas.core.money import parse_euros
from almerepas.http.reasons import format_percentage
from almerepas.income import norms, rules
from almerepas.reference.loaders import NORM_FILES, SEED_DIR

DOC = Path(__file__).resolve().parents[2] / "docs" / "eligibility.md"


def _rows() -> list[list[str]]:
    text = DOC.read_text(encoding="utf-8")
    table = text[text.index("## Worked examples (2026)") :].split("\n\n")[2]
    lines = [line for line in table.splitlines() if line.startswith("|")][2:]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]


def _seed_norm(key: str, day: dt.date) -> int:
    household_type, band, children = key.split("/")
    for name in NORM_FILES:
        for row in norms.parse_norms_csv((SEED_DIR / name).read_text(encoding="utf-8")):
            if (row.household_type.value, row.age_band.value, row.children.value) == (
                household_type,
                band,
                children,
            ) and row.valid_from <= day <= row.valid_to:
                return row.amount
    raise LookupError(key)


ROWS = _rows()


def test_the_doc_has_worked_examples_on_both_sides_of_a_limit() -> None:
    assert len(ROWS) >= 10
    assert {row[-1] for row in ROWS} == {"yes", "no"}


@pytest.mark.parametrize("row", ROWS, ids=[row[0] for row in ROWS])
def test_each_worked_example_is_what_the_rules_say(row: list[str]) -> None:
    _name, day, key, norm, supplement, income, shown, limit, inside = row
    on = dt.date.fromisoformat(day)
    assert parse_euros(norm) == _seed_norm(key, on), "norm"
    extra = parse_euros(supplement) if supplement else 0
    if supplement:
        assert extra == rules.youth_supplement_on(on), "supplement"
    cents = parse_euros(income)
    assert format_percentage(rules.percentage_bp(cents, parse_euros(norm) + extra)) == shown
    assert rules.within_limit(cents, parse_euros(norm) + extra, int(limit)) is (inside == "yes")
    assert re.fullmatch(r"\d+", limit)
