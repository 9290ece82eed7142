"""Norms are data: imported from CSV, refused on overlaps and gaps, provisional until published."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almerepas.income import norms
from almerepas.income.errors import NoNorm, NormImportRefused
from almerepas.models import AgeBand, Children, HouseholdType, MemberRole, Norm
from almerepas.reference.loaders import SEED_DIR, seed_norm_rows
from tests.factories import assess, born, make_household

SINGLE = (HouseholdType.single, AgeBand.adult, Children.any)
HEADER = "valid_from,valid_to,household_type,age_band,children,norm_cents\n"


def test_seeded_norms_switch_on_1_july(reference: Session) -> None:
    assert norms.norm_for(reference, SINGLE, dt.date(2025, 6, 30)).amount == 134545
    assert norms.norm_for(reference, SINGLE, dt.date(2025, 7, 1)).amount == 136906


def test_2026_is_provisional_and_derived_from_the_minimum_wage_rise(reference: Session) -> None:
    norm = norms.norm_for(reference, SINGLE, dt.date(2026, 3, 1))
    assert norm.provisional
    # 136906 x 14.71 / 14.40 = 139853.3..., half up to the cent
    assert norm.amount == 139853
    published = [r for r in norms.parse_norms_csv((SEED_DIR / "norms.csv").read_text())
                 if r.valid_from == dt.date(2025, 7, 1)]  # fmt: skip
    derived = norms.derive_provisional(
        published, valid_from=dt.date(2026, 1, 1), valid_to=dt.date(2026, 12, 31),
        factor=Fraction(1471, 1440), note="",
    )  # fmt: skip
    shipped = [r for r in seed_norm_rows() if r.provisional]
    assert sorted((r.key, r.amount) for r in derived) == sorted((r.key, r.amount) for r in shipped)


def test_no_norm_outside_the_table(reference: Session) -> None:
    with pytest.raises(NoNorm):
        norms.norm_for(reference, SINGLE, dt.date(2027, 1, 1))
    with pytest.raises(NoNorm):
        norms.norm_for(reference, SINGLE, dt.date(2023, 12, 31))


def test_import_of_the_published_half_year_replaces_provisional_rows(reference: Session) -> None:
    csv = HEADER + "2026-01-01,2026-06-30,single,21-pension,any,140001\n"
    result = norms.import_norms(reference, norms.parse_norms_csv(csv))
    assert (result.added, result.replaced_provisional) == (1, 1)
    january = norms.norm_for(reference, SINGLE, dt.date(2026, 1, 15))
    assert (january.amount, january.provisional) == (140001, False)
    # The second half of 2026 is not published yet: it stays provisional, with no gap.
    july = norms.norm_for(reference, SINGLE, dt.date(2026, 7, 1))
    assert (july.amount, july.provisional, july.valid_from) == (139853, True, dt.date(2026, 7, 1))


def test_assessments_on_a_provisional_norm_survive_its_replacement(reference: Session) -> None:
    march = make_household(reference, [(MemberRole.applicant, born(30))])
    august = make_household(reference, [(MemberRole.applicant, born(30))])
    early = assess(reference, march, (100, 100), on=dt.date(2026, 3, 1))
    late = assess(reference, august, (100, 100), on=dt.date(2026, 8, 1))
    csv = HEADER + "2026-01-01,2026-06-30,single,21-pension,any,140001\n"
    norms.import_norms(reference, norms.parse_norms_csv(csv))
    reference.refresh(early)
    reference.refresh(late)
    # The decision keeps the amount it was made with; the link follows the date.
    assert (early.norm_amount, early.norm.amount, early.norm.provisional) == (139853, 140001, False)
    assert (late.norm_amount, late.norm.provisional) == (139853, True)


def test_a_period_named_twice_in_one_file_is_refused(reference: Session) -> None:
    csv = (
        HEADER
        + "2027-01-01,2027-06-30,single,21-pension,any,150000\n"
        + "2027-01-01,2027-06-30,single,21-pension,any,1\n"
    )
    with pytest.raises(NormImportRefused, match="twee keer"):
        norms.import_norms(reference, norms.parse_norms_csv(csv))


def test_import_refuses_overlaps_and_gaps_and_writes_nothing(reference: Session) -> None:
    count = reference.scalar(select(func.count()).select_from(Norm))
    overlap = HEADER + "2025-06-01,2025-12-31,single,21-pension,any,140000\n"
    with pytest.raises(NormImportRefused, match="overlapt"):
        norms.import_norms(reference, norms.parse_norms_csv(overlap))
    gap = HEADER + "2027-02-01,2027-06-30,couple,pension,any,210000\n"
    with pytest.raises(NormImportRefused, match="gat"):
        norms.import_norms(reference, norms.parse_norms_csv(gap))
    changed = HEADER + "2025-07-01,2025-12-31,single,21-pension,any,100\n"
    with pytest.raises(NormImportRefused, match="al gepubliceerd"):
        norms.import_norms(reference, norms.parse_norms_csv(changed))
    assert reference.scalar(select(func.count()).select_from(Norm)) == count


def test_import_of_the_same_file_twice_changes_nothing(reference: Session) -> None:
    again = norms.import_norms(reference, seed_norm_rows())
    assert again.added == 0 and again.unchanged == len(seed_norm_rows())


@pytest.mark.parametrize(
    "bad",
    [
        "2026-07-01,2026-12-31,single,21-pension,any,1400.50\n",
        "2026-07-01,2026-12-31,single,21-pension,any,-5\n",
        "2026-07-01,2026-12-31,solo,21-pension,any,140000\n",
        "2026-07-01,2026-06-30,single,21-pension,any,140000\n",
        "2026-13-01,2026-12-31,single,21-pension,any,140000\n",
    ],
)
def test_bad_rows_are_refused_with_their_line(bad: str) -> None:
    with pytest.raises(NormImportRefused, match="regel 2"):
        norms.parse_norms_csv(HEADER + bad)
