"""Grant runs: who gets what, once, per period; expiry; life events; budgets that run out."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almerepas.audit.log import Actor
from almerepas.grants import expiry
from almerepas.grants import runs as grants
from almerepas.grants.errors import PeriodNotEnded
from almerepas.households import members as households
from almerepas.income import assessments
from almerepas.income.rules import Reason
from almerepas.ledger import posting as ledger
from almerepas.models import Grant, JournalEntry, MemberRole
from almerepas.schemes import catalogue as schemes
from almerepas.schemes.errors import InvalidPeriod, PeriodTooFarAhead
from tests.factories import TEST_ACTOR, assess, born, make_household, seed_scheme

TODAY = dt.date(2026, 11, 23)
A, P, C = MemberRole.applicant, MemberRole.partner, MemberRole.child


def run(
    session: Session, period: str, *codes: str, today: dt.date = TODAY
) -> dict[str, grants.SchemeRun]:
    results = grants.issue(
        session, period=period, actor=Actor("test"), today=today, schemes=codes or None
    )
    return {r.scheme: r for r in results}


def grants_of(session: Session, code: str, period: str) -> list[Grant]:
    scheme = schemes.get_scheme(session, code)
    return list(
        session.scalars(
            select(Grant)
            .where(Grant.scheme_id == scheme.id, Grant.period == period)
            .order_by(Grant.id)
        )
    )


def test_a_family_at_110_percent_gets_every_scheme_once(reference: Session) -> None:
    family = make_household(reference, [(A, born(40)), (P, born(38)), (C, born(12)), (C, born(3))])
    assess(reference, family, (110, 100))

    first = run(reference, "2026-03")
    assert first["ov"].granted == 4  # everyone: a right, no money moves
    assert first["menstruatie"].granted == 3  # aged 10 and over
    assert first["supermarkt"].granted == 1  # per household
    assert first["stadsfonds"].granted == 1  # the 12-year-old; the 3-year-old is too young
    assert first["stadsfonds"].period == "2026"
    assert first["stadsfonds"].amount == 800_00
    wrong_age = [r for r in first["stadsfonds"].reasons if r.code == "age_between"]
    assert sorted(r.param("age") for r in wrong_age) == [3, 38, 40]  # too young, too old

    (budget,) = grants_of(reference, "stadsfonds", "2026")
    assert budget.account is not None and budget.account.balance == 800_00
    assert all(
        g.entry_id is None and g.account_id is None for g in grants_of(reference, "ov", "2026-03")
    )
    assert ledger.find_drift(reference) == [] and set(ledger.unit_totals(reference).values()) == {0}

    entries = reference.scalar(select(func.count()).select_from(JournalEntry))
    again = run(reference, "2026-03")
    assert sum(r.granted for r in again.values()) == 0
    assert again["ov"].already_granted == 4
    assert reference.scalar(select(func.count()).select_from(JournalEntry)) == entries


def test_one_cent_above_110_percent_gets_no_sport_budget(reference: Session) -> None:
    family = make_household(reference, [(A, born(40)), (C, born(12))])
    assessment = assess(reference, family, (110, 100))
    assessment.net_income += 1
    result = run(reference, "2026", "stadsfonds")["stadsfonds"]
    assert result.granted == 0
    (above,) = result.reasons
    assert above.code == "income_above" and above.param("max") == 110


def test_a_child_turning_18_keeps_the_running_year(reference: Session) -> None:
    family = make_household(
        reference,
        [(A, born(45)), (C, dt.date(2008, 6, 1))],  # 17 on 1 January, 18 in June
    )
    assess(reference, family, (100, 100))
    assert run(reference, "2026", "stadsfonds")["stadsfonds"].granted == 1
    (grant,) = grants_of(reference, "stadsfonds", "2026")
    assert grant.account is not None and grant.account.balance == 800_00


def test_an_assessment_from_last_year_is_judged_against_the_norm_of_the_reference_day(
    reference: Session,
) -> None:
    # A single parent at EUR 1.540 a month, assessed in December 2025: 112,49% of that month's
    # single-parent norm (EUR 1.369,06), but 109,89% of the published January 2026 norm
    # (EUR 1.401,50, reference/seed/norms_2026.csv). The 2026 run judges on 1 January 2026.
    family = make_household(reference, [(A, born(35)), (C, born(12))])
    assessment = assessments.record_assessment(
        reference, family, net_income=154000, assessed_on=dt.date(2025, 12, 1), assessed_by="t"
    )
    assert (assessment.norm_amount, assessment.percentage_bp) == (136906, 11249)

    result = run(reference, "2026", "stadsfonds")["stadsfonds"]
    assert result.granted == 1, result.reasons
    reference.refresh(assessment)  # what the caseworker saw stays as it was
    assert (assessment.norm_amount, assessment.percentage_bp) == (136906, 11249)


def test_the_norm_is_that_of_the_households_composition_on_the_reference_day(
    reference: Session,
) -> None:
    # Assessed on 1 January 2026 as a couple of 45 and 20 with a child of 17: the norm for a
    # mixed couple with children, EUR 1.747,49. EUR 1.700 is 97,28% of it. The child turns 18 on
    # 15 February; from then the norm is the one without children, EUR 1.347,06: 126,21%. The
    # child of 18 is no longer part of the family: it needs its own assessment (the default).
    family = make_household(
        reference, [(A, born(45)), (P, dt.date(2005, 6, 1)), (C, dt.date(2008, 2, 15))]
    )
    assessments.record_assessment(
        reference, family, net_income=170000, assessed_on=dt.date(2026, 1, 1), assessed_by="t"
    )
    assert run(reference, "2026-01", "ov")["ov"].granted == 3
    march = run(reference, "2026-03", "ov")["ov"]
    assert march.granted == 0
    assert march.reasons == {
        Reason.of("income_above", bp=12621, max=120): 2,
        Reason.of("own_assessment_needed", who="adult_child"): 1,
    }


def test_a_partner_who_leaves_changes_the_norm_from_the_next_reference_day(
    reference: Session,
) -> None:
    # A couple of 40 and 38 at EUR 1.800: 89,91% of the couple norm (EUR 2.002,13). The partner
    # leaves on 31 March; in April the applicant alone is judged against the single norm
    # (EUR 1.401,50): 128,44%, above the 120% of the bus pass.
    family = make_household(reference, [(A, born(40)), (P, born(38))])
    assessments.record_assessment(
        reference, family, net_income=180000, assessed_on=dt.date(2026, 1, 1), assessed_by="t"
    )
    partner = next(m for m in family.memberships if m.role == P)
    households.end_membership(reference, partner, last_day=dt.date(2026, 3, 31))
    assert run(reference, "2026-03", "ov")["ov"].granted == 2
    april = run(reference, "2026-04", "ov")["ov"]
    assert april.granted == 0
    assert april.reasons == {Reason.of("income_above", bp=12844, max=120): 1}


def test_moving_out_stops_grants_from_the_next_period(reference: Session) -> None:
    family = make_household(reference, [(A, born(30))])
    assess(reference, family, (100, 100))
    assert run(reference, "2026-04", "ov")["ov"].granted == 1
    households.move_out_of_almere(reference, family, day=dt.date(2026, 4, 20))
    assert run(reference, "2026-05", "ov")["ov"].granted == 0
    assert len(grants_of(reference, "ov", "2026-04")) == 1  # April stays


def test_a_new_assessment_above_the_limit_stops_the_next_month(reference: Session) -> None:
    family = make_household(reference, [(A, born(30))])
    assess(reference, family, (100, 100), on=dt.date(2026, 1, 1))
    assert run(reference, "2026-05", "ov")["ov"].granted == 1
    assess(reference, family, (121, 100), on=dt.date(2026, 5, 15))
    june = run(reference, "2026-06", "ov")["ov"]
    assert june.granted == 0 and june.not_eligible == 1


def test_a_household_arriving_mid_year_gets_the_full_or_pro_rata_year(reference: Session) -> None:
    schemes.create_scheme(reference, {
        **seed_scheme("stadsfonds"), "code": "prorata", "mid_period_entry": "pro_rata",
    }, actor=TEST_ACTOR)  # fmt: skip
    early = make_household(reference, [(A, born(40)), (C, born(10))], since=dt.date(2020, 1, 1))
    late = make_household(reference, [(A, born(40)), (C, born(10))], since=dt.date(2026, 9, 10))
    assess(reference, early, (100, 100), on=dt.date(2026, 1, 1))
    assess(reference, late, (100, 100), on=dt.date(2026, 9, 10))

    result = run(reference, "2026", "stadsfonds", "prorata")
    assert result["stadsfonds"].granted == 2
    assert sorted(g.amount for g in grants_of(reference, "stadsfonds", "2026")) == [800_00, 800_00]
    # September to December is 4 of 12 months: 800.00 x 4 / 12 = 266.666... -> 266.67
    assert sorted(g.amount for g in grants_of(reference, "prorata", "2026")) == [266_67, 800_00]


def test_first_come_first_served_budget_stops_with_a_reason(reference: Session) -> None:
    fund = schemes.get_scheme(reference, "volwassenenfonds")
    schemes.update_scheme(
        reference, fund, {"annual_budget": 2_000_00}, actor=TEST_ACTOR
    )  # room for two grants
    for _ in range(4):
        adult = make_household(reference, [(A, born(30))])
        assess(reference, adult, (125, 100), on=dt.date(2026, 3, 1))

    result = run(reference, "2026", "volwassenenfonds")["volwassenenfonds"]
    assert (result.granted, result.budget_exhausted) == (2, 2)
    assert result.reasons[Reason.of("budget_exhausted")] == 2
    funding = ledger.account_by_code(reference, "funding:volwassenenfonds:2026")
    assert funding.balance == 2_000_00 - 2 * 700_00
    assert ledger.find_drift(reference) == []


def _four_adults_assessed_out_of_order(session: Session) -> list[int]:
    """Four single adults, inserted in an order other than the days they were assessed; a
    budget for two. Returns the adults' person ids in the order they were assessed."""
    fund = schemes.get_scheme(session, "volwassenenfonds")
    schemes.update_scheme(session, fund, {"annual_budget": 2 * 700_00}, actor=TEST_ACTOR)
    days = [dt.date(2026, 2, 20), dt.date(2026, 1, 10), dt.date(2026, 2, 1), dt.date(2026, 1, 20)]
    assessed = []
    for day in days:
        adult = make_household(session, [(A, born(30))])
        assess(session, adult, (125, 100), on=day)
        assessed.append((day, adult.memberships[0].person_id))
    return [person_id for _day, person_id in sorted(assessed)]


def test_a_budget_goes_to_those_assessed_first_not_to_the_lowest_ids(reference: Session) -> None:
    """Issue 9.8: first come, first served is the day of the assessment, not database order."""
    first, second, third, fourth = _four_adults_assessed_out_of_order(reference)

    result = run(reference, "2026", "volwassenenfonds")["volwassenenfonds"]

    assert (result.granted, result.budget_exhausted) == (2, 2)
    assert result.reasons[Reason.of("budget_exhausted")] == 2
    granted = {g.person_id for g in grants_of(reference, "volwassenenfonds", "2026")}
    assert granted == {first, second}
    assert [c.person_id for c in result.waiting] == [third, fourth]


def test_a_pooled_budget_is_one_account_for_the_households_children(reference: Session) -> None:
    schemes.create_scheme(reference, {
        **seed_scheme("stadsfonds"), "code": "pooled", "beneficiary": "household", "pooled": True,
    }, actor=TEST_ACTOR)  # fmt: skip
    family = make_household(reference, [(A, born(40)), (C, born(15)), (C, born(9)), (C, born(2))])
    assess(reference, family, (100, 100))
    assert run(reference, "2026", "pooled")["pooled"].granted == 1
    (grant,) = grants_of(reference, "pooled", "2026")
    assert grant.household_id == family.id and grant.person_id is None
    assert grant.amount == 2 * 800_00  # two children aged 4 to 17


def test_runs_beyond_the_next_period_are_refused(reference: Session) -> None:
    with pytest.raises(PeriodTooFarAhead):
        run(reference, "2027-01", "ov")  # next month from November is December
    run(reference, "2026-12", "ov")
    run(reference, "2027", "stadsfonds")  # the next year is fine for yearly schemes
    with pytest.raises(PeriodTooFarAhead):
        run(reference, "2028", "stadsfonds")
    with pytest.raises(InvalidPeriod):
        run(reference, "2026-13")


def test_expiry_returns_what_is_left_once_and_only_after_the_period(reference: Session) -> None:
    family = make_household(reference, [(A, born(40)), (C, born(8))])  # the child is under 10
    assess(reference, family, (100, 100))
    run(reference, "2026-10", "menstruatie")
    (packs,) = grants_of(reference, "menstruatie", "2026-10")
    assert packs.account is not None and packs.account.balance == 3

    with pytest.raises(PeriodNotEnded):
        expiry.expire(reference, period="2026-11", actor=Actor("test"), today=TODAY)
    (result,) = expiry.expire(reference, period="2026-10", actor=Actor("test"), today=TODAY)
    assert (result.expired, result.returned) == (1, 3)
    reference.refresh(packs.account)
    assert packs.account.balance == 0
    assert packs.expiry_entry_id is not None
    assert expiry.expire(reference, period="2026-10", actor=Actor("test"), today=TODAY) == []
    assert ledger.find_drift(reference) == []


def test_changing_a_scheme_never_rewrites_grants_made(reference: Session) -> None:
    family = make_household(reference, [(A, born(40)), (C, born(12))])
    assess(reference, family, (100, 100))
    run(reference, "2026", "stadsfonds")
    scheme = schemes.get_scheme(reference, "stadsfonds")
    schemes.update_scheme(reference, scheme, {"amount": 500_00}, actor=TEST_ACTOR)
    (grant,) = grants_of(reference, "stadsfonds", "2026")
    assert grant.amount == 800_00 and grant.account is not None and grant.account.balance == 800_00


def test_a_first_assessment_in_march_still_gets_the_years_budget(reference: Session) -> None:
    family = make_household(reference, [(A, born(40)), (C, born(9))])
    assess(reference, family, (100, 100), on=dt.date(2026, 3, 1))  # no assessment before March
    result = run(reference, "2026-03", "stadsfonds")["stadsfonds"]
    assert result.granted == 1
    (grant,) = grants_of(reference, "stadsfonds", "2026")
    assert grant.amount == 800_00  # mid_period_entry "full"


def test_the_refusal_names_the_deciding_reason_not_the_missing_assessment_before_it(
    reference: Session,
) -> None:
    # No assessment on 1 January; from 1 March one at 130%, above the limit of 110%.
    family = make_household(reference, [(A, born(40)), (C, born(9))])
    assess(reference, family, (130, 100), on=dt.date(2026, 3, 1))
    result = run(reference, "2026-03", "stadsfonds")["stadsfonds"]
    assert result.granted == 0
    assert {r.code for r in result.reasons} == {"income_above"}
    assert sum(result.reasons.values()) == 2  # the child and the parent
    assert all(r.param("max") == 110 and r.param("bp") >= 13000 for r in result.reasons)


def test_without_any_assessment_in_the_period_the_reason_is_the_missing_assessment(
    reference: Session,
) -> None:
    make_household(reference, [(A, born(40)), (C, born(9))])
    result = run(reference, "2026-03", "stadsfonds")["stadsfonds"]
    # The parent is too old assessed or not: the age decides, not the missing assessment.
    assert result.reasons == {
        Reason.of("no_assessment"): 1,
        Reason.of("age_between", low=4, high=17, age=40): 1,
    }


def test_a_refused_run_grants_nothing_at_all(reference: Session) -> None:
    family = make_household(reference, [(A, born(40)), (C, born(9))])
    assess(reference, family, (100, 100))
    # January 2027 is too far ahead for monthly schemes, though 2027 is fine for yearly ones.
    with pytest.raises(PeriodTooFarAhead):
        run(reference, "2027-01")
    assert reference.scalar(select(func.count()).select_from(Grant)) == 0


def test_a_budget_set_or_changed_after_the_first_run_is_what_the_ledger_enforces(
    reference: Session,
) -> None:
    for _ in range(5):
        adult = make_household(reference, [(A, born(30))])
        assess(reference, adult, (100, 100), on=dt.date(2026, 3, 1))
    fund = schemes.get_scheme(reference, "volwassenenfonds")
    schemes.update_scheme(reference, fund, {"annual_budget": 700_00}, actor=TEST_ACTOR)
    assert run(reference, "2026", "volwassenenfonds")["volwassenenfonds"].granted == 1

    schemes.update_scheme(
        reference, fund, {"annual_budget": 2_100_00}, actor=TEST_ACTOR
    )  # room for two more
    raised = run(reference, "2026", "volwassenenfonds")["volwassenenfonds"]
    assert (raised.granted, raised.budget_exhausted) == (2, 2)

    schemes.update_scheme(
        reference, fund, {"annual_budget": 700_00}, actor=TEST_ACTOR
    )  # cut below what was given
    assert run(reference, "2026", "volwassenenfonds")["volwassenenfonds"].granted == 0
    funding = ledger.account_by_code(reference, "funding:volwassenenfonds:2026")
    assert funding.balance == 0 and funding.min_balance == 0
    assert ledger.find_drift(reference) == []


def test_a_budget_added_to_an_open_ended_scheme_stops_further_grants(reference: Session) -> None:
    for _ in range(3):
        family = make_household(reference, [(A, born(40)), (C, born(9))])
        assess(reference, family, (100, 100))
    run(reference, "2026", "stadsfonds")  # no budget: all three, funding goes negative
    scheme = schemes.get_scheme(reference, "stadsfonds")
    schemes.update_scheme(
        reference, scheme, {"annual_budget": 1_000_00}, actor=TEST_ACTOR
    )  # less than given
    newcomer = make_household(reference, [(A, born(40)), (C, born(9))])
    assess(reference, newcomer, (100, 100))
    result = run(reference, "2026", "stadsfonds")["stadsfonds"]
    assert (result.granted, result.budget_exhausted) == (0, 1)
    assert ledger.find_drift(reference) == []


def test_someone_who_left_before_the_first_assessment_gets_nothing(reference: Session) -> None:
    family = make_household(reference, [(A, born(40)), (C, born(9))])
    child = next(m for m in family.memberships if m.role == C)
    households.end_membership(reference, child, last_day=dt.date(2026, 2, 28))
    assess(reference, family, (100, 100), on=dt.date(2026, 3, 1))
    assert run(reference, "2026-03", "stadsfonds")["stadsfonds"].granted == 0


def test_a_child_who_moved_is_granted_where_it_was_eligible_first(reference: Session) -> None:
    rich = make_household(reference, [(A, born(40))])  # made first: the lower id
    assess(reference, rich, (200, 100))
    poor = make_household(reference, [(A, born(38)), (C, born(9))])
    assess(reference, poor, (100, 100))
    child = next(m for m in poor.memberships if m.role == C)
    households.end_membership(reference, child, last_day=dt.date(2026, 3, 31))
    households.add_member(reference, rich, child.person, role=C, valid_from=dt.date(2026, 4, 1))
    assert run(reference, "2026-06", "stadsfonds")["stadsfonds"].granted == 1
    (grant,) = grants_of(reference, "stadsfonds", "2026")
    assert grant.person_id == child.person_id


def test_a_year_grants_only_yearly_schemes_and_none_before_a_scheme_starts(
    reference: Session,
) -> None:
    schemes.create_scheme(reference, {
        **seed_scheme("menstruatie"), "code": "juni", "valid_from": "2026-06-01",
    }, actor=TEST_ACTOR)  # fmt: skip
    family = make_household(reference, [(A, born(40))])
    assess(reference, family, (100, 100))
    yearly = run(reference, "2026")
    assert set(yearly) == {"stadsfonds", "volwassenenfonds"}
    assert run(reference, "2026-01", "juni") == {}
    assert run(reference, "2026-06", "juni")["juni"].granted == 1
