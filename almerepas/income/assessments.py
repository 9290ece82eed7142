"""Income assessments: a household's net income against the norm on the assessment date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.core import clock
from almerepas.core.errors import ValidationFailed
from almerepas.core.i18n import N_
from almerepas.households.errors import HouseholdMovedOut
from almerepas.households.members import AFTER_MOVE_OUT, members_on
from almerepas.households.models import Household, MemberRole
from almerepas.income import lines as income_lines
from almerepas.income import norms
from almerepas.income import rules as eligibility
from almerepas.income.errors import (
    AssessmentOutOfOrder,
    AssetLimitNotSet,
    InvalidIncomeLines,
    MemberNotYetBorn,
)
from almerepas.income.lines import CountedLine, IncomeLineInput, Member
from almerepas.income.models import IncomeAssessment, IncomeLine
from almerepas.income.policy import Policy, YouthNorm, load_policy
from almerepas.ledger.errors import InvalidAmount
from almerepas.ledger.posting import require_quantity
from almerepas.schemes.periods import add_months


def composition(household: Household, day: dt.date) -> tuple[list[dt.date], int]:
    """Birth dates of the applicant and partner, and the number of children under 18."""
    members = members_on(household, day)
    adults = [
        m.person.date_of_birth
        for m in sorted(members, key=lambda m: m.role != MemberRole.applicant)
        if m.role in (MemberRole.applicant, MemberRole.partner)
    ]
    children = sum(
        1
        for m in members
        if m.role == MemberRole.child and eligibility.age_on(m.person.date_of_birth, day) < 18
    )
    return adults, children


def record_assessment(
    session: Session,
    household: Household,
    *,
    net_income: int | None = None,
    lines: Sequence[IncomeLineInput] | None = None,
    assessed_on: dt.date,
    assessed_by: str,
    valid_from: dt.date | None = None,
    months: int | None = None,
    evidence_ref: str | None = None,
    assets: int | None = None,
    youth_supplement: bool = False,
    policy: Policy | None = None,
) -> IncomeAssessment:
    """Record an assessment; it supersedes the current one from its own start date.

    ``months`` defaults to the ``assessment_months`` setting; ``assets`` is asked exactly when
    the gemeente has an asset limit; ``youth_supplement`` adds art. 20(3) to the norm of an 18-20
    year old applicant or partner whose parents cannot support them.

    The income is either ``lines`` (per member and kind: ``income.lines`` counts them, their
    total becomes ``net_income`` and they are kept on the assessment) or ``net_income`` alone
    (a total, as a decision letter gives it; no lines). Nothing is written on a refusal.

    :raises InvalidIncomeLines: both or neither given, no lines, or a line that cannot count.
    :raises MemberNotYetBorn: a member on the assessment date was born after it.
    :raises NoNorm: no norm applies on the assessment date.
    :raises HouseholdMovedOut: it is dated, or starts, after the household left the gemeente.
    :raises AssetLimitNotSet: assets given while there is no limit.
    :raises ValidationFailed: assets missing under a limit; a supplement nobody can have.
    """
    _one_of(net_income, lines)
    if net_income is not None and (
        isinstance(net_income, bool) or not isinstance(net_income, int) or net_income < 0
    ):
        raise InvalidAmount(detail="Het inkomen moet een heel aantal centen zijn, 0 of meer.")
    policy = policy if policy is not None else load_policy(session)
    months = policy.assessment_months if months is None else months
    require_quantity(months)
    _check_assets(assets, policy)
    present = members_on(household, assessed_on)
    if any(m.person.date_of_birth > assessed_on for m in present):
        raise MemberNotYetBorn(
            detail=N_(
                "Op de peildatum woont er volgens de gegevens een lid dat dan nog niet geboren "
                "is. Kies een latere peildatum, of laat de datum van inwonen verbeteren."
            ),
            errors=[{"field": "assessed_on", "in": "json", "detail": "Voor de geboortedatum."}],
        )
    breakdown = None
    if lines is not None:
        breakdown = income_lines.count(lines, [Member.of(m) for m in present], assessed_on)
        net_income = breakdown.total
    assert net_income is not None  # noqa: S101 - _one_of saw to it
    start = valid_from or assessed_on
    left = household.moved_out_on
    if left is not None and max(start, assessed_on) > left:
        raise HouseholdMovedOut(detail=AFTER_MOVE_OUT)
    # Serialise assessments of one household: the supersede below reads, then writes.
    session.execute(select(Household.id).where(Household.id == household.id).with_for_update())
    adults, children = composition(household, assessed_on)
    if not adults:
        raise ValidationFailed(detail="Het huishouden heeft op die datum geen aanvrager.")
    key = eligibility.norm_key(adults, children, assessed_on, policy.youth_norm)
    norm = norms.norm_for(session, key, assessed_on)
    if youth_supplement:
        _check_supplement(adults, assessed_on, policy)
    norm_amount = norm.amount + eligibility.supplement(
        adults, assessed_on, policy.youth_norm, youth_supplement
    )

    previous = session.scalars(
        select(IncomeAssessment)
        .where(IncomeAssessment.household_id == household.id)
        .where(IncomeAssessment.valid_to >= start)
        .order_by(IncomeAssessment.valid_from)
    ).all()
    for old in previous:
        if old.valid_from >= start:
            raise AssessmentOutOfOrder()
        old.valid_to = start - dt.timedelta(days=1)
        old.superseded_on = start

    assessment = IncomeAssessment(
        household_id=household.id,
        assessed_on=assessed_on,
        valid_from=start,
        valid_to=add_months(start, months) - dt.timedelta(days=1),
        net_income=net_income,
        norm_id=norm.id,
        norm_amount=norm_amount,
        household_type=norm.household_type,
        percentage_bp=eligibility.percentage_bp(net_income, norm_amount),
        assessed_by=assessed_by,
        evidence_ref=evidence_ref,
        assets=assets,
        youth_supplement=youth_supplement,
        income_period=policy.income_period.value,
        created_at=clock.now(),
        lines=[_stored(line) for line in (breakdown.lines if breakdown else ())],
    )
    session.add(assessment)
    session.flush()
    return assessment


def _field_error(field: str, detail: str) -> ValidationFailed:
    return ValidationFailed(
        detail=detail, errors=[{"field": field, "in": "json", "detail": detail}]
    )


def _check_assets(assets: int | None, policy: Policy) -> None:
    if assets is None:
        if policy.asset_limit is not None:
            raise _field_error(
                "assets", "Er is een vermogensgrens: vul het vermogen van het huishouden in."
            )
        return
    if isinstance(assets, bool) or not isinstance(assets, int) or assets < 0:
        raise _field_error("assets", "Het vermogen is een heel aantal centen, 0 of meer.")
    if policy.asset_limit is None:
        raise AssetLimitNotSet(
            detail="De gemeente heeft geen vermogensgrens. Laat het vermogen leeg.",
            errors=[{"field": "assets", "in": "json", "detail": "Laat het vermogen leeg."}],
        )


def _check_supplement(adults: list[dt.date], day: dt.date, policy: Policy) -> None:
    if policy.youth_norm != YouthNorm.statutory:
        raise _field_error(
            "youth_supplement",
            "De gemeente gebruikt de jongerennorm niet, dus er is geen aanvulling voor jongeren.",
        )
    if not eligibility.young_adults(adults, day):
        raise _field_error(
            "youth_supplement",
            "De aanvulling voor jongeren is alleen voor een aanvrager of partner van 18, 19 of "
            "20 jaar.",
        )


def _stored(line: CountedLine) -> IncomeLine:
    return IncomeLine(
        person_id=line.person_id,
        kind=line.kind,
        amount=line.amount,
        per=line.per,
        counted=line.counted,
        reason=line.reason,
    )


def _one_of(net_income: int | None, lines: Sequence[IncomeLineInput] | None) -> None:
    """The income is given once: as lines, or as a total."""
    if net_income is not None and lines is not None:
        raise InvalidIncomeLines(
            N_("Geef het inkomen als regels per lid en soort, of als één totaal: niet allebei."),
            errors=[{"field": "net_income", "in": "json", "detail": "Niet samen met lines."}],
        )
    if net_income is None and lines is None:
        raise InvalidIncomeLines(
            N_("Geef het inkomen: als regels per lid en soort, of als één totaal."),
            errors=[{"field": "net_income", "in": "json", "detail": "Geef net_income of lines."}],
        )
    if lines is not None and not lines:
        raise InvalidIncomeLines(
            N_("Geef minstens één inkomen. Geen inkomen? Geef dan een totaal van 0."),
            errors=[{"field": "lines", "in": "json", "detail": "Minstens één regel."}],
        )


def assessment_on(session: Session, household_id: int, day: dt.date) -> IncomeAssessment | None:
    return session.scalar(
        select(IncomeAssessment)
        .where(IncomeAssessment.household_id == household_id)
        .where(IncomeAssessment.valid_from <= day, IncomeAssessment.valid_to >= day)
        .order_by(IncomeAssessment.valid_from.desc())
        .limit(1)
    )
