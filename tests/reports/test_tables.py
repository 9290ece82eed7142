"""The tables people see: small counts hidden, and the one that would give them away too."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from almerepas.grants import runs as grants
from almerepas.models import MemberRole
from almerepas.passes.operations import issue_pass
from almerepas.reports import tables
from almerepas.reports.privacy import HIDDEN
from almerepas.reports.scope import ReportFilter
from almerepas.schemes.catalogue import get_scheme
from tests.factories import TEST_ACTOR, assess, born, make_household
from tests.reports.support import HAVEN, RUN, STAD, make_year


def _children(session: Session, postcode: str, n: int, passes: int = 0) -> None:
    for i in range(n):
        family = make_household(
            session, [(MemberRole.applicant, born(40)), (MemberRole.child, born(12))],
            postcode=postcode,
        )  # fmt: skip
        assess(session, family, (100, 100), on=dt.date(2026, 1, 1))
        if i < passes:
            child = next(m.person for m in family.memberships if m.role == MemberRole.child)
            issue_pass(session, child, actor=TEST_ACTOR, now=dt.datetime(2026, 1, 5, tzinfo=dt.UTC))


def test_a_district_total_does_not_give_a_small_district_away(reference: Session) -> None:
    _children(reference, STAD, 12)
    _children(reference, HAVEN, 3)
    grants.issue(
        reference, period="2026", actor=RUN, today=dt.date(2026, 1, 2), schemes=["stadsfonds"]
    )
    table = tables.districts_table(reference, ReportFilter(2026), "stadsfonds")
    eligible = [c.key for c in table.columns].index("eligible")
    assert [row[0] for row in table.rows] == ["Almere Stad", "Almere Haven"]
    # 15 in all, 3 in Haven: showing Stad's 12 would let anyone work out Haven's 3.
    assert [row[eligible] for row in table.rows] == [HIDDEN, HIDDEN]
    assert table.totals is not None and table.totals[eligible] == 15
    # Nobody has a pass: zeros are hidden too, in every district and in the total.
    with_pass = [c.key for c in table.columns].index("with_pass")
    assert table.totals[with_pass] is HIDDEN


def test_a_large_district_is_shown(reference: Session) -> None:
    _children(reference, STAD, 12)
    grants.issue(
        reference, period="2026", actor=RUN, today=dt.date(2026, 1, 2), schemes=["stadsfonds"]
    )
    table = tables.districts_table(reference, ReportFilter(2026), "stadsfonds")
    eligible = [c.key for c in table.columns].index("eligible")
    assert [row[eligible] for row in table.rows] == [12]
    assert table.totals is not None and table.totals[eligible] == 12


def test_the_schemes_table_hides_counts_not_amounts(reference: Session) -> None:
    make_year(reference)
    table = tables.schemes_table(reference, ReportFilter(2026))
    row = dict(zip([c.key for c in table.columns], table.rows[0], strict=True))
    assert row["scheme"] == "stadsfonds"
    assert row["persons"] is HIDDEN and row["eligible"] is HIDDEN
    assert row["take_up"] is None  # a share of hidden counts would give them away
    assert (row["granted_amount"], row["spent"], row["annual_budget"]) == (1500_00, 330_00, 2000_00)
    assert row["budget_used"] == 17  # 330 of 2000 is 16.5 %, half up


def test_with_a_district_filter_the_amounts_of_a_few_persons_are_hidden(
    reference: Session,
) -> None:
    """Almere as a whole shows what the scheme spent; Haven's two children do not."""
    make_year(reference)
    table = tables.schemes_table(reference, ReportFilter(2026, district="almere_haven"))
    row = dict(zip([c.key for c in table.columns], table.rows[0], strict=True))
    assert row["scheme"] == "stadsfonds" and row["persons"] is HIDDEN
    amounts = ("granted_amount", "redeemed", "reversed", "expired", "spent", "settled")
    assert [row[key] for key in amounts] == [None] * 6 and row["budget_used"] is None
    assert row["annual_budget"] == 2000_00  # the scheme's budget is nobody's


def test_with_a_district_filter_the_amounts_of_ten_persons_are_shown(reference: Session) -> None:
    _children(reference, STAD, 10)
    grants.issue(
        reference, period="2026", actor=RUN, today=dt.date(2026, 1, 2), schemes=["stadsfonds"]
    )
    table = tables.schemes_table(reference, ReportFilter(2026, district="almere_stad"))
    row = dict(zip([c.key for c in table.columns], table.rows[0], strict=True))
    each = get_scheme(reference, "stadsfonds").amount
    assert row["persons"] == 10 and row["granted_amount"] == 10 * each > 0
    assert row["spent"] == 0


def test_a_name_in_csv_is_never_a_formula() -> None:
    column = tables.Column("partner", "Partner", "text")
    table = tables.Table("t", "t", [column], [["=1+1"], [None]])
    assert tables.csv_rows(table, ["Partner"]) == [["Partner"], ["'=1+1"], [""]]
    assert tables.csv_cell(HIDDEN) == "< 10" and tables.csv_cell(-20_00) == "-2000"


def test_those_without_a_pass_are_not_given_away_either(reference: Session) -> None:
    _children(reference, STAD, 15, passes=12)
    grants.issue(
        reference, period="2026", actor=RUN, today=dt.date(2026, 1, 2), schemes=["stadsfonds"]
    )
    table = tables.schemes_table(reference, ReportFilter(2026))
    row = dict(zip([c.key for c in table.columns], table.rows[0], strict=True))
    # 15 eligible and 12 with a pass would say that 3 children have none.
    assert row["eligible"] == 15 and row["with_pass"] is HIDDEN
