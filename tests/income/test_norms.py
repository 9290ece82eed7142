"""Norms are data: imported from CSV, refused on overlaps and gaps, provisional until published."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from fractions import Fraction

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almerepas.audit.models import AuditEvent
from almerepas.income import norms
from almerepas.income import rules as eligibility
from almerepas.income.errors import NoNorm, NormImportRefused
from almerepas.models import AgeBand, Children, HouseholdType, MemberRole, Norm
from almerepas.reference.loaders import SEED_DIR, load_norms, load_postcodes, seed_norm_rows
from tests.factories import assess, born, make_household

SINGLE = (HouseholdType.single, AgeBand.adult, Children.any)
HEADER = "valid_from,valid_to,household_type,age_band,children,norm_cents\n"


def test_seeded_norms_switch_on_1_july(reference: Session) -> None:
    assert norms.norm_for(reference, SINGLE, dt.date(2025, 6, 30)).amount == 134545
    assert norms.norm_for(reference, SINGLE, dt.date(2025, 7, 1)).amount == 136906


JANUARY_2026 = "https://wetten.overheid.nl/BWBR0015703/2026-01-01"
JULY_2026 = "https://wetten.overheid.nl/BWBR0015703/2026-07-01"
COUPLE_AT_PENSION = (HouseholdType.couple, AgeBand.pension, Children.any)
#: ~ the minimum wage per hour 14.71 / 14.40, the factor the provisional 2026 rows once used
WAGE_RISE = Fraction(1471, 1440)


def test_2026_norms_are_the_published_tables_with_their_source(reference: Session) -> None:
    january = norms.norm_for(reference, SINGLE, dt.date(2026, 3, 1))
    assert (january.amount, january.provisional) == (140150, False)
    assert january.source is not None and JANUARY_2026 in january.source
    july = norms.norm_for(reference, SINGLE, dt.date(2026, 7, 1))
    assert (july.amount, july.provisional, july.valid_from) == (141946, False, dt.date(2026, 7, 1))
    assert july.source is not None and JULY_2026 in july.source
    assert july.note is not None and "medium confidence" in july.note


def test_the_2024_norm_of_a_couple_at_pension_age_is_corrected(reference: Session) -> None:
    norm = norms.norm_for(reference, COUPLE_AT_PENSION, dt.date(2024, 3, 1))
    assert norm.amount == 193232  # not the 1,933.98 of the first source


def _every_norm_key() -> set[norms.NormKey]:
    """Every key ``norm_key`` can give, from households of every shape and age."""
    day = dt.date(2026, 1, 1)
    ages = (18, 20, 21, 40, 66, 67, 80)
    adults = [[born(a, day)] for a in ages] + [
        [born(a, day), born(b, day)] for a in ages for b in ages
    ]
    return {eligibility.norm_key(people, kids, day) for people in adults for kids in (0, 1, 3)}


def test_shipped_norm_tables_are_complete_contiguous_and_sourced() -> None:
    rows = seed_norm_rows()
    assert all(r.source for r in rows), "every figure names its source"
    assert not any(r.provisional for r in rows), "a published table ships no derived rows"
    keys = _every_norm_key()
    assert len(keys) == 12
    half_years = sorted({(r.valid_from, r.valid_to) for r in rows})
    assert half_years[0][0] == dt.date(2024, 1, 1) and half_years[-1] == (
        dt.date(2026, 7, 1),
        dt.date(2026, 12, 31),
    )
    for start, end in half_years:
        assert start.day == 1 and start.month in (1, 7), start
        assert end == (
            start.replace(month=6, day=30) if start.month == 1 else start.replace(month=12, day=31)
        )
        # "any" children holds for both; a row per number of children is needed otherwise
        covered = {r.key for r in rows if r.valid_from == start}
        assert keys <= covered, f"{start}: missing {keys - covered}"
        assert covered <= keys, f"{start}: no household gets {covered - keys}"
    for key in keys:
        series = sorted((r.valid_from, r.valid_to) for r in rows if r.key == key)
        for (_, before_end), (after_start, _) in itertools.pairwise(series):
            assert after_start == before_end + dt.timedelta(days=1), (key, before_end, after_start)


def _the_seed_as_it_shipped_before_2026_was_published() -> list[norms.NormRow]:
    """norms.csv with the uncorrected 2024 row, and 2026 derived by the minimum-wage rise."""
    rows = norms.parse_norms_csv((SEED_DIR / "norms.csv").read_text(encoding="utf-8"))
    rows = [
        dataclasses.replace(r, amount=193398)
        if (r.key, r.valid_from) == (COUPLE_AT_PENSION, dt.date(2024, 1, 1))
        else r
        for r in rows
    ]
    july_2025 = [r for r in rows if r.valid_from == dt.date(2025, 7, 1)]
    return rows + norms.derive_provisional(
        july_2025,
        valid_from=dt.date(2026, 1, 1),
        valid_to=dt.date(2026, 12, 31),
        factor=WAGE_RISE,
        note="PROVISIONAL",
    )


def test_an_installation_gets_2026_and_the_correction_by_loading_the_reference_again(
    db: Session, app: Flask
) -> None:
    with app.app_context():
        load_postcodes(db)
    norms.import_norms(db, _the_seed_as_it_shipped_before_2026_was_published())
    assert norms.norm_for(db, SINGLE, dt.date(2026, 3, 1)).amount == 139853
    march = make_household(db, [(MemberRole.applicant, born(30))])
    august = make_household(db, [(MemberRole.applicant, born(30))])
    early = assess(db, march, (100, 100), on=dt.date(2026, 3, 1))
    late = assess(db, august, (100, 100), on=dt.date(2026, 8, 1))

    assert load_norms(db) == "24 added, 1 corrected"

    for day, amount in ((dt.date(2026, 3, 1), 140150), (dt.date(2026, 8, 1), 141946)):
        norm = norms.norm_for(db, SINGLE, day)
        assert (norm.amount, norm.provisional) == (amount, False)
    assert norms.norm_for(db, COUPLE_AT_PENSION, dt.date(2024, 3, 1)).amount == 193232
    assert not db.scalar(select(func.count()).select_from(Norm).where(Norm.provisional))
    # A decision keeps the amount it was made with; its link follows its date.
    db.refresh(early)
    db.refresh(late)
    assert (early.norm_amount, early.norm.amount) == (139853, 140150)
    assert (late.norm_amount, late.norm.amount) == (139853, 141946)
    corrected = db.scalars(select(AuditEvent).where(AuditEvent.action == "norms.correct")).one()
    assert corrected.changes == {"amount": [193398, 193232]}
    assert corrected.entity_type == "norm"

    assert load_norms(db) == "unchanged"  # a second run changes nothing, corrects nothing
    assert (
        db.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "norms.correct")
        )
        == 1
    )


def test_a_correction_leaves_an_amount_it_does_not_expect_alone(reference: Session) -> None:
    wrong = norms.NormCorrection(COUPLE_AT_PENSION, dt.date(2024, 1, 1), 1, 2, None, None)
    assert norms.correct_norms(reference, [wrong]) == 0
    assert norms.norm_for(reference, COUPLE_AT_PENSION, dt.date(2024, 3, 1)).amount == 193232


def _provisional_2027(session: Session) -> None:
    """The fallback: the half-year after the last published one, derived until it is published."""
    july_2026 = [r for r in seed_norm_rows() if r.valid_from == dt.date(2026, 7, 1)]
    derived = norms.derive_provisional(
        july_2026,
        valid_from=dt.date(2027, 1, 1),
        valid_to=dt.date(2027, 12, 31),
        factor=WAGE_RISE,
        note="PROVISIONAL",
    )
    norms.import_norms(session, derived)


def test_a_half_year_not_yet_published_can_be_derived_as_a_fallback(reference: Session) -> None:
    _provisional_2027(reference)
    norm = norms.norm_for(reference, SINGLE, dt.date(2027, 3, 1))
    # 141946 x 14.71 / 14.40 = 145001.7..., half up to the cent
    assert (norm.amount, norm.provisional) == (145002, True)


def test_a_published_half_year_is_never_derived(reference: Session) -> None:
    january_2026 = [r for r in seed_norm_rows() if r.valid_from == dt.date(2025, 7, 1)]
    derived = norms.derive_provisional(
        january_2026,
        valid_from=dt.date(2026, 1, 1),
        valid_to=dt.date(2026, 6, 30),
        factor=WAGE_RISE,
        note="PROVISIONAL",
    )
    with pytest.raises(NormImportRefused):
        norms.import_norms(reference, derived)
    assert norms.norm_for(reference, SINGLE, dt.date(2026, 3, 1)).amount == 140150


def test_no_norm_outside_the_table(reference: Session) -> None:
    with pytest.raises(NoNorm):
        norms.norm_for(reference, SINGLE, dt.date(2027, 1, 1))
    with pytest.raises(NoNorm):
        norms.norm_for(reference, SINGLE, dt.date(2023, 12, 31))


def test_import_of_the_published_half_year_replaces_provisional_rows(reference: Session) -> None:
    _provisional_2027(reference)
    csv = HEADER + "2027-01-01,2027-06-30,single,21-pension,any,146001\n"
    result = norms.import_norms(reference, norms.parse_norms_csv(csv))
    assert (result.added, result.replaced_provisional) == (1, 1)
    january = norms.norm_for(reference, SINGLE, dt.date(2027, 1, 15))
    assert (january.amount, january.provisional) == (146001, False)
    # The second half of 2027 is not published yet: it stays provisional, with no gap.
    july = norms.norm_for(reference, SINGLE, dt.date(2027, 7, 1))
    assert (july.amount, july.provisional, july.valid_from) == (145002, True, dt.date(2027, 7, 1))


def test_assessments_on_a_provisional_norm_survive_its_replacement(reference: Session) -> None:
    _provisional_2027(reference)
    march = make_household(reference, [(MemberRole.applicant, born(30))])
    august = make_household(reference, [(MemberRole.applicant, born(30))])
    early = assess(reference, march, (100, 100), on=dt.date(2027, 3, 1))
    late = assess(reference, august, (100, 100), on=dt.date(2027, 8, 1))
    csv = HEADER + "2027-01-01,2027-06-30,single,21-pension,any,146001\n"
    norms.import_norms(reference, norms.parse_norms_csv(csv))
    reference.refresh(early)
    reference.refresh(late)
    # The decision keeps the amount it was made with; the link follows the date.
    assert (early.norm_amount, early.norm.amount, early.norm.provisional) == (145002, 146001, False)
    assert (late.norm_amount, late.norm.provisional) == (145002, True)


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
