"""What counts as income: per member and kind, as income_kinds.csv says (Participatiewet art. 4,
31 and 32), counted by a plain function and recorded with the assessment."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almerepas.casework import operations as casework
from almerepas.core.money import half_up
from almerepas.households import members as households
from almerepas.income import assessments
from almerepas.income.errors import InvalidIncomeLines
from almerepas.income.lines import (
    MAX_AMOUNT,
    MAX_LINES,
    IncomeLineInput,
    Member,
    Treatment,
    count,
    income_kinds,
    read_income_kinds,
)
from almerepas.income.models import LineReason, Per
from almerepas.models import AuditEvent, Household, IncomeAssessment, IncomeLine, MemberRole
from tests.factories import KEYS, TEST_ACTOR, born, make_household

A, P, C, OTHER = MemberRole.applicant, MemberRole.partner, MemberRole.child, MemberRole.other
DAY = dt.date(2026, 3, 1)
R = LineReason

#: Each kind, and what € 1.200 of it counts for per month: for the applicant, and for a child of
#: 17. Written out here, not read from the CSV, so a changed table shows up as a failing row.
KINDS: dict[str, tuple[int, LineReason, int, LineReason]] = {
    "wages": (120000, R.counts, 0, R.minor_earnings),
    "benefit": (120000, R.counts, 120000, R.counts),
    "state_pension": (120000, R.counts, 120000, R.counts),
    "pension": (120000, R.counts, 120000, R.counts),
    "self_employed": (10000, R.spread_over_year, 0, R.minor_earnings),
    "partner_alimony": (120000, R.counts, 120000, R.counts),
    "child_alimony": (0, R.excluded_kind, 0, R.excluded_kind),
    "student_finance": (120000, R.counts, 120000, R.counts),
    "holiday_pay": (10000, R.spread_over_year, 0, R.minor_earnings),
    "child_benefit": (0, R.excluded_kind, 0, R.excluded_kind),
    "child_budget": (0, R.excluded_kind, 0, R.excluded_kind),
    "healthcare_allowance": (0, R.excluded_kind, 0, R.excluded_kind),
    "rent_allowance": (0, R.excluded_kind, 0, R.excluded_kind),
    "other": (120000, R.counts, 120000, R.counts),
}

APPLICANT = Member(1, A, born(40, DAY))
PARTNER = Member(2, P, born(38, DAY))
CHILD_10 = Member(3, C, born(10, DAY))
CHILD_17 = Member(4, C, DAY.replace(year=DAY.year - 18) + dt.timedelta(days=1))  # 18 tomorrow
CHILD_18 = Member(5, C, born(18, DAY))  # 18 today: no longer a child of the family
LODGER = Member(6, OTHER, born(50, DAY))
MEMBERS = [APPLICANT, PARTNER, CHILD_10, CHILD_17, CHILD_18, LODGER]


def as_rows(lines: Sequence[Any]) -> list[tuple[Any, ...]]:
    return [(x.person_id, x.kind, x.amount, x.per, x.counted, x.reason) for x in lines]


def one(member: Member, kind: str, amount: int = 120000) -> tuple[int, LineReason]:
    line = count([IncomeLineInput(member.person_id, kind, amount)], MEMBERS, DAY).lines[0]
    return line.counted, line.reason


def test_the_table_has_the_kinds_the_issue_asks_for() -> None:
    assert list(income_kinds()) == list(KINDS)
    assert income_kinds()["holiday_pay"].per == Per.year
    assert income_kinds()["wages"].per == Per.month
    for kind in income_kinds().values():
        assert kind.label and kind.rule.endswith(".") and kind.source


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_kind_counts_as_the_table_says(kind: str) -> None:
    adult, adult_reason, minor, minor_reason = KINDS[kind]
    assert one(APPLICANT, kind) == (adult, adult_reason)
    assert one(PARTNER, kind) == (adult, adult_reason)
    assert one(CHILD_17, kind) == (minor, minor_reason)
    assert one(CHILD_10, kind) == (minor, minor_reason)
    # A lodger and a child of 18 or older are not the family (art. 4): recorded, counted as 0.
    assert one(LODGER, kind) == (0, R.not_in_family)
    assert one(CHILD_18, kind) == (0, R.not_in_family)


@pytest.mark.parametrize(
    ("yearly", "monthly"),
    [(0, 0), (5, 0), (6, 1), (17, 1), (18, 2), (100, 8), (150000, 12500), (150006, 12501)],
)
def test_a_yearly_amount_counts_one_twelfth_per_month_rounded_half_up(
    yearly: int, monthly: int
) -> None:
    assert one(APPLICANT, "holiday_pay", yearly) == (monthly, R.spread_over_year)


def test_the_breakdown_keeps_what_was_entered_and_the_order() -> None:
    lines = [
        IncomeLineInput(1, "wages", 180000),
        IncomeLineInput(1, "holiday_pay", 150000),
        IncomeLineInput(1, "child_benefit", 30000),
        IncomeLineInput(4, "wages", 40000),
        IncomeLineInput(6, "benefit", 90000),
    ]
    breakdown = count(lines, MEMBERS, DAY)
    assert as_rows(breakdown.lines) == [
        (1, "wages", 180000, Per.month, 180000, R.counts),
        (1, "holiday_pay", 150000, Per.year, 12500, R.spread_over_year),
        (1, "child_benefit", 30000, Per.month, 0, R.excluded_kind),
        (4, "wages", 40000, Per.month, 0, R.minor_earnings),
        (6, "benefit", 90000, Per.month, 0, R.not_in_family),
    ]  # fmt: skip
    assert breakdown.total == 192500


line_inputs = st.lists(
    st.builds(
        IncomeLineInput,
        person_id=st.sampled_from([m.person_id for m in MEMBERS]),
        kind=st.sampled_from(list(KINDS)),
        amount=st.integers(min_value=0, max_value=MAX_AMOUNT),
    ),
    max_size=MAX_LINES,
)


@settings(max_examples=300, deadline=None)
@given(lines=line_inputs, data=st.data())
def test_the_total_is_the_sum_of_what_counts_whatever_the_order(
    lines: list[IncomeLineInput], data: st.DataObject
) -> None:
    breakdown = count(lines, MEMBERS, DAY)
    assert breakdown.total == sum(line.counted for line in breakdown.lines)
    shuffled = count(data.draw(st.permutations(lines)), MEMBERS, DAY)
    assert shuffled.total == breakdown.total
    assert Counter(shuffled.lines) == Counter(breakdown.lines)

    by_id = {m.person_id: m for m in MEMBERS}
    expected = 0
    for line in breakdown.lines:
        kind = income_kinds()[line.kind]
        member = by_id[line.person_id]
        assert 0 <= line.counted <= line.amount
        if kind.treatment == Treatment.excluded:
            assert line.counted == 0  # never an excluded kind
        if line.kind == "wages" and member in (CHILD_10, CHILD_17):
            assert line.counted == 0  # never a minor's wages
        if member in (LODGER, CHILD_18):
            assert line.counted == 0
            continue
        if kind.treatment == Treatment.yearly and not (
            member in (CHILD_10, CHILD_17) and kind.minors == "excluded"
        ):
            expected += half_up(Fraction(line.amount, 12))
        elif kind.treatment == Treatment.counts and not (
            member in (CHILD_10, CHILD_17) and kind.minors == "excluded"
        ):
            expected += line.amount
    assert breakdown.total == expected


BAD_LINES: list[tuple[list[IncomeLineInput], str]] = [
    ([IncomeLineInput(1, "wages", -1)], "lines.0.amount"),
    ([IncomeLineInput(1, "wages", 1500.5)], "lines.0.amount"),  # type: ignore[arg-type]
    ([IncomeLineInput(1, "wages", True)], "lines.0.amount"),
    ([IncomeLineInput(1, "wages", MAX_AMOUNT + 1)], "lines.0.amount"),
    ([IncomeLineInput(1, "lottery", 100)], "lines.0.kind"),
    ([IncomeLineInput(99, "wages", 100)], "lines.0.person_id"),
    ([IncomeLineInput(True, "wages", 100)], "lines.0.person_id"),
    ([IncomeLineInput(1, "wages", 100), IncomeLineInput(2, "wages", -5)], "lines.1.amount"),
    ([IncomeLineInput(1, "wages", 1)] * (MAX_LINES + 1), "lines"),
]


@pytest.mark.parametrize(("lines", "field"), BAD_LINES)
def test_a_line_that_cannot_count_is_named_by_its_field(
    lines: list[IncomeLineInput], field: str
) -> None:
    with pytest.raises(InvalidIncomeLines) as refused:
        count(lines, MEMBERS, DAY)
    assert refused.value.code == "validation_failed" and refused.value.status == 400
    assert [e["field"] for e in refused.value.extensions["errors"]] == [field]


def test_every_wrong_field_is_named_at_once() -> None:
    with pytest.raises(InvalidIncomeLines) as refused:
        count([IncomeLineInput(99, "lottery", -1)], MEMBERS, DAY)
    fields = [e["field"] for e in refused.value.extensions["errors"]]
    assert fields == ["lines.0.amount", "lines.0.kind", "lines.0.person_id"]


GOOD = "kind,label,treatment,minors,rule,source\nwages,Netto loon,counts,excluded,Telt.,art. 32\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("kind,label,treatment,minors,rule\nwages,Loon,counts,counts,Telt.\n", "columns"),
        (GOOD + "wages,Loon,counts,counts,Telt.,art. 32\n", "line 3: bad or repeated kind"),
        (GOOD + "Lottery,Loterij,counts,counts,Telt.,art. 31\n", "line 3: bad or repeated kind"),
        (GOOD + "gift,Gift,sometimes,counts,Telt.,art. 31\n", "line 3: 'sometimes'"),
        (GOOD + "gift,Gift,counts,counts,Telt.,\n", "line 3: label, rule and source"),
        (GOOD + "gift,Gift,excluded,counts,Telt niet.,art. 31\n", "line 3: an excluded kind"),
        (GOOD + "gift,Gift,counts,counts,Telt.\n", "line 3: needs exactly 6 fields"),
        ("kind,label,treatment,minors,rule,source\n", "no kinds"),
    ],
)
def test_a_wrong_table_is_refused_on_loading(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "kinds.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        read_income_kinds(path)


# -- recorded with the assessment, on both databases ---------------------------------------------


def family(session: Session) -> tuple[Household, dict[str, int]]:
    """A couple with a child of 16, a son of 19 and a lodger, all living there since 2020."""
    household = make_household(
        session, [(A, born(40)), (P, born(38)), (C, born(16)), (C, born(19)), (OTHER, born(50))]
    )
    ids = [m.person_id for m in household.memberships]
    return household, dict(
        zip(["applicant", "partner", "child", "son", "lodger"], ids, strict=True)
    )


def rows(session: Session) -> tuple[int, int, int]:
    def n(model: Any) -> int:
        return session.scalar(select(func.count()).select_from(model)) or 0

    return n(IncomeAssessment), n(IncomeLine), n(AuditEvent)


def test_lines_make_the_assessments_income_and_are_kept(reference: Session) -> None:
    household, who = family(reference)
    lines = [
        IncomeLineInput(who["applicant"], "wages", 180000),
        IncomeLineInput(who["applicant"], "holiday_pay", 150000),
        IncomeLineInput(who["partner"], "child_budget", 25000),
        IncomeLineInput(who["child"], "wages", 40000),
        IncomeLineInput(who["son"], "student_finance", 50000),
        IncomeLineInput(who["lodger"], "benefit", 90000),
    ]
    assessment = casework.assess(
        reference, household, lines=lines, assessed_on=dt.date(2026, 1, 1), actor=TEST_ACTOR
    )
    assert assessment.net_income == 192500  # 1.800 + 1.500 / 12; the rest does not count
    assert assessment.percentage_bp == -(-192500 * 10000 // assessment.norm_amount)
    reference.expire_all()
    stored = reference.get(IncomeAssessment, assessment.id)
    assert stored is not None
    assert as_rows(stored.lines) == [
        (who["applicant"], "wages", 180000, Per.month, 180000, R.counts),
        (who["applicant"], "holiday_pay", 150000, Per.year, 12500, R.spread_over_year),
        (who["partner"], "child_budget", 25000, Per.month, 0, R.excluded_kind),
        (who["child"], "wages", 40000, Per.month, 0, R.minor_earnings),
        (who["son"], "student_finance", 50000, Per.month, 0, R.not_in_family),
        (who["lodger"], "benefit", 90000, Per.month, 0, R.not_in_family),
    ]  # fmt: skip

    event = reference.scalars(
        select(AuditEvent).where(AuditEvent.action == "assessment.create")
    ).one()
    assert event.changes is not None
    assert event.changes["net_income"] == [None, 192500]
    assert event.changes["lines"][1][1] == {
        "person": who["applicant"], "kind": "holiday_pay", "amount": 150000, "per": "year",
        "counted": 12500, "reason": "spread_over_year",
    }  # fmt: skip
    assert len(event.changes["lines"][1]) == 6


def test_a_total_alone_still_works_and_keeps_no_lines(reference: Session) -> None:
    household, _who = family(reference)
    assessment = casework.assess(
        reference, household, net_income=150000, assessed_on=dt.date(2026, 1, 1), actor=TEST_ACTOR
    )
    assert assessment.net_income == 150000 and assessment.lines == []
    event = reference.scalars(select(AuditEvent).where(AuditEvent.action == "assessment.create"))
    assert "lines" not in (event.one().changes or {})


@pytest.mark.parametrize(
    ("income", "field"),
    [
        ({"lines": [("applicant", "wages", -100)]}, "lines.0.amount"),
        ({"lines": [("applicant", "wages", 1000.0)]}, "lines.0.amount"),
        ({"lines": [("applicant", "winnings", 1000)]}, "lines.0.kind"),
        ({"lines": [("applicant", "wages", 100), ("newcomer", "wages", 100)]}, "lines.1.person_id"),
        ({"lines": [("stranger", "wages", 100)]}, "lines.0.person_id"),
        ({"lines": [("applicant", "wages", 100)], "net_income": 100}, "net_income"),
        ({}, "net_income"),
        ({"lines": []}, "lines"),
    ],
)  # fmt: skip
def test_bad_lines_are_refused_by_field_and_nothing_is_written(
    reference: Session, income: dict[str, Any], field: str
) -> None:
    household, who = family(reference)
    # Someone who moves in after the assessment date, and someone of another household.
    newcomer = households.create_person(
        reference, given_name="Eva", family_name="Test", date_of_birth=born(30), keys=KEYS
    )
    households.add_member(
        reference, household, newcomer, role=OTHER, valid_from=dt.date(2026, 2, 1)
    )
    stranger = make_household(reference, [(A, born(30))]).memberships[0].person_id
    who |= {"newcomer": newcomer.id, "stranger": stranger}
    arguments = dict(income)
    if "lines" in income:
        arguments["lines"] = [IncomeLineInput(who[p], k, a) for p, k, a in income["lines"]]
    before = rows(reference)
    with pytest.raises(InvalidIncomeLines) as refused:
        casework.assess(
            reference, household, assessed_on=dt.date(2026, 1, 1), actor=TEST_ACTOR, **arguments
        )
    assert [e["field"] for e in refused.value.extensions["errors"]] == [field]
    assert rows(reference) == before


def test_a_person_who_left_before_the_date_cannot_have_a_line(reference: Session) -> None:
    household, who = family(reference)
    lodger = next(m for m in household.memberships if m.person_id == who["lodger"])
    households.end_membership(reference, lodger, last_day=dt.date(2025, 12, 31))
    line = IncomeLineInput(who["lodger"], "benefit", 90000)
    with pytest.raises(InvalidIncomeLines) as refused:
        assessments.record_assessment(
            reference, household, lines=[line], assessed_on=dt.date(2026, 1, 1), assessed_by="t"
        )
    assert refused.value.extensions["errors"][0]["field"] == "lines.0.person_id"
    on_last_day = assessments.record_assessment(
        reference, household, lines=[line], assessed_on=dt.date(2025, 12, 31), assessed_by="t"
    )
    assert [(x.counted, x.reason) for x in on_last_day.lines] == [(0, R.not_in_family)]
