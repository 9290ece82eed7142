"""The gemeente's choices as settings: defaults, changes with an audit row, refusals, and what an
assessment must then ask (assets, the youth supplement)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almerepas.core.errors import NotFound, ValidationFailed
from almerepas.grants.planning import plan
from almerepas.income import assessments, policy, rules
from almerepas.income.errors import AssetLimitNotSet, NoNorm
from almerepas.income.lines import IncomeLineInput, income_kinds
from almerepas.models import AuditEvent, IncomeAssessment, MemberRole, Scheme
from almerepas.schemes import periods
from tests.factories import TEST_ACTOR, born, make_household

A, C = MemberRole.applicant, MemberRole.child
LIMITS = {"single": 800_000, "single_parent": 1_600_000, "couple": 1_600_000}


def test_every_field_of_the_policy_is_a_setting_with_an_explanation_and_a_source() -> None:
    assert set(policy.SETTINGS) == {f.name for f in dataclasses.fields(policy.Policy)}
    for setting in policy.SETTINGS.values():
        assert setting.label and setting.explanation and setting.source
        # the default survives its own check: what the API shows can be sent back
        assert setting.dump(setting.parse(setting.default)) == setting.default


def test_without_changes_the_defaults_hold(reference: Session) -> None:
    assert policy.load_policy(reference) == policy.DEFAULT
    assert policy.DEFAULT.asset_limit is None
    assert policy.DEFAULT.lodgers == policy.OutsideFamily.own_assessment
    assert policy.DEFAULT.assessment_months == 12


def test_a_change_holds_from_then_on_and_is_audited(reference: Session) -> None:
    changed = policy.change_setting(reference, "lodgers", "household", actor=TEST_ACTOR)
    assert changed.lodgers == policy.OutsideFamily.household
    policy.change_setting(reference, "asset_limit", LIMITS, actor=TEST_ACTOR)
    policy.change_setting(reference, "asset_limit", None, actor=TEST_ACTOR)
    assert policy.load_policy(reference).asset_limit is None
    rows = reference.scalars(
        select(AuditEvent).where(AuditEvent.action == "policy.change").order_by(AuditEvent.id)
    ).all()
    assert [(r.entity_id, r.changes) for r in rows] == [
        ("lodgers", {"value": ["own_assessment", "household"]}),
        ("asset_limit", {"value": [None, LIMITS]}),
        ("asset_limit", {"value": [LIMITS, None]}),
    ]
    assert {r.actor for r in rows} == {TEST_ACTOR.name}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("lodgers", "sometimes"),
        ("lodgers", None),
        ("youth_norm", 21),
        ("asset_limit", {"single": 800_000}),  # a household type missing
        ("asset_limit", {**LIMITS, "single": -1}),
        ("asset_limit", {**LIMITS, "single": 8000.5}),
        ("asset_limit", {**LIMITS, "couple": True}),
        ("asset_limit", 800_000),
        ("assessment_months", 0),
        ("assessment_months", 37),
        ("assessment_months", "12"),
        ("income_period", "week"),
        ("students", ""),
    ],
)
def test_a_value_that_does_not_fit_is_refused_and_nothing_changes(
    reference: Session, key: str, value: Any
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        policy.change_setting(reference, key, value, actor=TEST_ACTOR)
    assert refused.value.extensions["errors"][0]["field"] == "value"
    assert policy.load_policy(reference) == policy.DEFAULT
    changes = select(func.count()).where(AuditEvent.action == "policy.change")
    assert reference.scalar(changes) == 0


def test_an_unknown_setting_is_not_found(reference: Session) -> None:
    with pytest.raises(NotFound):
        policy.change_setting(reference, "bsn_check", True, actor=TEST_ACTOR)


def _assessments(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(IncomeAssessment)) or 0


def test_assets_without_a_limit_are_refused(reference: Session) -> None:
    family = make_household(reference, [(A, born(40))])
    with pytest.raises(AssetLimitNotSet) as refused:
        assessments.record_assessment(
            reference, family, net_income=100_000, assessed_on=dt.date(2026, 3, 1),
            assessed_by="t", assets=500_000,
        )  # fmt: skip
    assert refused.value.extensions["errors"][0]["field"] == "assets"
    assert _assessments(reference) == 0


@pytest.mark.parametrize("assets", [None, -1, 10.5, True])
def test_under_a_limit_the_assets_are_asked_as_whole_cents(reference: Session, assets: Any) -> None:
    policy.change_setting(reference, "asset_limit", LIMITS, actor=TEST_ACTOR)
    family = make_household(reference, [(A, born(40))])
    with pytest.raises(ValidationFailed) as refused:
        assessments.record_assessment(
            reference, family, net_income=100_000, assessed_on=dt.date(2026, 3, 1),
            assessed_by="t", assets=assets,
        )  # fmt: skip
    assert refused.value.extensions["errors"][0]["field"] == "assets"
    assert _assessments(reference) == 0


def test_an_assessment_lasts_as_long_as_the_setting_says(reference: Session) -> None:
    policy.change_setting(reference, "assessment_months", 6, actor=TEST_ACTOR)
    policy.change_setting(reference, "income_period", "three_months", actor=TEST_ACTOR)
    family = make_household(reference, [(A, born(40))])
    made = assessments.record_assessment(
        reference, family, net_income=100_000, assessed_on=dt.date(2026, 3, 1), assessed_by="t"
    )
    assert made.valid_to == dt.date(2026, 8, 31)
    assert made.income_period == "three_months"


def test_the_youth_supplement_raises_the_norm_of_a_young_single_parent(reference: Session) -> None:
    day = dt.date(2026, 3, 1)
    family = make_household(reference, [(A, dt.date(2007, 2, 1)), (C, dt.date(2025, 1, 1))])
    bare = assessments.record_assessment(
        reference, family, net_income=100_000, assessed_on=day, assessed_by="t"
    )
    helped = assessments.record_assessment(
        reference, family, net_income=100_000, assessed_on=day + dt.timedelta(days=1),
        assessed_by="t", youth_supplement=True,
    )  # fmt: skip
    assert helped.norm_amount == bare.norm_amount + 74_645
    assert helped.percentage_bp < bare.percentage_bp


@pytest.mark.parametrize(
    ("members", "setting"),
    [
        ([(A, born(22))], None),  # nobody of 18-20
        ([(A, dt.date(2007, 2, 1))], "adult"),  # the gemeente does not use the youth norm
    ],
)
def test_a_supplement_nobody_can_have_is_refused(
    reference: Session, members: list[tuple[MemberRole, dt.date]], setting: str | None
) -> None:
    if setting:
        policy.change_setting(reference, "youth_norm", setting, actor=TEST_ACTOR)
    family = make_household(reference, members)
    with pytest.raises(ValidationFailed) as refused:
        assessments.record_assessment(
            reference, family, net_income=100_000, assessed_on=dt.date(2026, 3, 1),
            assessed_by="t", youth_supplement=True,
        )  # fmt: skip
    assert refused.value.extensions["errors"][0]["field"] == "youth_supplement"
    assert _assessments(reference) == 0


def test_the_supplement_table_has_a_source_per_row_and_refuses_days_before_it() -> None:
    rows = rules.youth_supplements()
    assert [(r[0], r[1]) for r in rows] == [
        (dt.date(2026, 1, 1), 74_645),
        (dt.date(2026, 7, 1), 76_224),
    ]
    assert rules.youth_supplement_on(dt.date(2026, 6, 30)) == 74_645
    assert rules.youth_supplement_on(dt.date(2027, 1, 1)) == 76_224  # until a newer one
    with pytest.raises(NoNorm):
        rules.youth_supplement_on(dt.date(2025, 12, 31))


def test_the_youth_norm_setting_moves_young_people_to_the_adult_norm() -> None:
    young = [dt.date(2007, 2, 1)]
    day = dt.date(2026, 3, 1)
    assert rules.norm_key(young, 0, day)[1].value == "18-20"
    assert rules.norm_key(young, 0, day, policy.YouthNorm.adult)[1].value == "21-pension"


def test_the_student_kind_is_in_the_table() -> None:
    assert policy.STUDENT_FINANCE in income_kinds()


@pytest.mark.parametrize(("setting", "eligible"), [("counted", True), ("not_eligible", False)])
def test_a_student_gets_the_bus_pass_unless_the_gemeente_excludes_students(
    reference: Session, setting: str, eligible: bool
) -> None:
    policy.change_setting(reference, "students", setting, actor=TEST_ACTOR)
    family = make_household(reference, [(A, born(22))])
    (student,) = family.memberships
    assessments.record_assessment(
        reference, family, assessed_on=dt.date(2026, 1, 1), assessed_by="t",
        lines=[IncomeLineInput(student.person_id, policy.STUDENT_FINANCE, 60_000)],
    )  # fmt: skip
    ov = reference.scalars(select(Scheme).where(Scheme.code == "ov")).one()
    (verdict,) = plan(reference, ov, periods.parse("2026-03"), household_id=family.id)
    assert verdict.eligible is eligible
    if not eligible:
        assert verdict.deciding_reason == rules.Reason.of("student")
