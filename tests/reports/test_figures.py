"""Every figure against the hand-made year of tests/reports/support.py."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.grants.models import Grant
from almerepas.reports import figures
from almerepas.reports.scope import ReportFilter
from almerepas.schemes import catalogue as schemes
from tests.reports.support import make_year

YEAR = ReportFilter(2026)


@pytest.fixture
def year(reference: Session) -> Session:
    make_year(reference)
    return reference


def _by_code(rows: list[figures.SchemeFigures]) -> dict[str, figures.SchemeFigures]:
    return {row.scheme: row for row in rows}


def test_per_scheme_counts_and_amounts(year: Session) -> None:
    found = _by_code(figures.by_scheme(year, YEAR))
    assert set(found) == {"stadsfonds", "supermarkt"}
    fund = found["stadsfonds"]
    assert (fund.persons, fund.households, fund.with_pass) == (5, 5, 4)
    assert fund.funnel == figures.Funnel(
        eligible=5, granted=5, activated=3, first_use=3, half_used=1
    )
    assert fund.granted == 1500_00
    assert (fund.redeemed, fund.reversed, fund.spent) == (350_00, 20_00, 330_00)
    # What was left on 31 December: 100 + 270 + 300 + 200 + 300.
    assert fund.expired == 1170_00
    # The June run settled everything up to June: a1's € 200, and a2's € 50 less the € 20 back;
    # b1's August redemption is in no run yet.
    assert fund.settled == 230_00
    assert fund.annual_budget == 2000_00
    shop = found["supermarkt"]
    # A household scheme: five households of two persons each.
    assert (shop.persons, shop.households, shop.with_pass) == (10, 5, 4)
    assert shop.funnel == figures.Funnel(
        eligible=5, granted=5, activated=3, first_use=1, half_used=0
    )
    assert (shop.granted, shop.redeemed, shop.settled) == (5 * 50_00, 10_00, 10_00)


def test_per_district(year: Session) -> None:
    rows = figures.by_scheme(year, YEAR, per_district=True)
    fund = {row.district: row for row in rows if row.scheme == "stadsfonds"}
    assert set(fund) == {"almere_stad", "almere_haven"}
    assert fund["almere_stad"].funnel == figures.Funnel(3, 3, 2, 2, 1)
    assert fund["almere_haven"].funnel == figures.Funnel(2, 2, 1, 1, 0)
    assert (fund["almere_stad"].redeemed, fund["almere_haven"].redeemed) == (250_00, 100_00)


def test_district_filter(year: Session) -> None:
    haven = _by_code(figures.by_scheme(year, ReportFilter(2026, district="almere_haven")))
    assert haven["stadsfonds"].funnel.eligible == 2
    assert haven["stadsfonds"].redeemed == 100_00
    assert figures.by_scheme(year, ReportFilter(2026, district="almere_poort")) == []


def test_month_filter_keeps_the_year_grant_and_that_month_only(year: Session) -> None:
    may = _by_code(figures.by_scheme(year, ReportFilter(2026, month=5)))
    assert set(may) == {"stadsfonds"}
    june = _by_code(figures.by_scheme(year, ReportFilter(2026, month=6)))
    assert june["supermarkt"].funnel.eligible == 5


def test_take_up_by_month(year: Session) -> None:
    months = [row for row in figures.take_up_by_month(year, YEAR) if row.scheme == "stadsfonds"]
    assert [row.eligible for row in months] == [5] * 12
    assert [row.used for row in months] == [0, 0, 1, 1, 1, 2, 2, 3, 3, 3, 3, 3]
    shop = [row for row in figures.take_up_by_month(year, YEAR) if row.scheme == "supermarkt"]
    assert [(row.eligible, row.used) for row in shop if row.eligible] == [(5, 1)]
    assert [row.month for row in shop if row.eligible] == [6]


def test_take_up_by_month_counts_a_beneficiary_once_with_a_yearly_and_a_monthly_grant(
    year: Session,
) -> None:
    """A scheme whose period changed during the year: a child with the year's grant and one for
    July is one beneficiary in July, not two (counting grants would say six)."""
    scheme_id = schemes.get_scheme(year, "stadsfonds").id
    first = year.scalars(
        select(Grant).where(Grant.scheme_id == scheme_id, Grant.period == "2026").order_by(Grant.id)
    ).first()
    assert first is not None
    year.add(
        Grant(
            scheme_id=scheme_id, period="2026-07", beneficiary_key=first.beneficiary_key,
            person_id=first.person_id, amount=0, created_at=first.created_at,
        )
    )  # fmt: skip
    year.flush()
    months = [row for row in figures.take_up_by_month(year, YEAR) if row.scheme == "stadsfonds"]
    assert [row.eligible for row in months] == [5] * 12
    assert [row.used for row in months] == [0, 0, 1, 1, 1, 2, 2, 3, 3, 3, 3, 3]


def test_per_partner(year: Session) -> None:
    rows = [
        (r.partner, r.scheme, r.redemptions, r.redeemed, r.reversed)
        for r in figures.by_partner(year, YEAR)
    ]
    assert rows == [
        ("Buurtsuper", "stadsfonds", 1, 100_00, 0),
        ("Buurtsuper", "supermarkt", 1, 10_00, 0),
        ("Sportclub Almere", "stadsfonds", 2, 250_00, 20_00),
    ]
