"""The assessment page follows the gemeente's choices: it asks the assets under an asset limit,
offers the youth supplement where the youth norm is used, and says how long the toets holds."""

from __future__ import annotations

import datetime as dt

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almerepas.income import policy
from almerepas.models import IncomeAssessment, MemberRole
from tests.factories import TEST_ACTOR, born, make_household
from tests.web.conftest import field_error, location, page, submit

PATH = "/medewerkers/huishoudens/{}/inkomenstoets"
LIMITS = {"single": 800_000, "single_parent": 1_600_000, "couple": 1_600_000}


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(IncomeAssessment)) or 0


def test_without_a_limit_no_assets_are_asked_and_the_duration_is_the_setting(
    caseworker: FlaskClient, reference: Session
) -> None:
    policy.change_setting(reference, "assessment_months", 6, actor=TEST_ACTOR)
    family = make_household(reference, [(MemberRole.applicant, born(40))])
    html = page(caseworker.get(PATH.format(family.id)))
    assert 'name="assets"' not in html
    assert "De toets geldt 6 maanden" in html
    assert "het netto inkomen van de maand voor de peildatum" in html


def test_under_a_limit_the_assets_are_asked_and_kept(
    caseworker: FlaskClient, reference: Session
) -> None:
    policy.change_setting(reference, "asset_limit", LIMITS, actor=TEST_ACTOR)
    family = make_household(reference, [(MemberRole.applicant, born(40))])
    url = PATH.format(family.id)
    assert 'name="assets"' in page(caseworker.get(url))
    missing = submit(caseworker, url, {"assessed_on": "01-03-2026", "net_income": "1.000"})
    assert missing.status_code == 400
    assert "Vul het vermogen" in field_error(page(missing), "assets")
    assert _count(reference) == 0
    data = {"assessed_on": "01-03-2026", "net_income": "1.000", "assets": "8.000,01"}
    location(submit(caseworker, url, data))
    (made,) = reference.scalars(select(IncomeAssessment))
    assert made.assets == 800_001


def test_the_youth_supplement_is_recorded_and_refused_where_nobody_is_young(
    caseworker: FlaskClient, reference: Session
) -> None:
    young = make_household(
        reference,
        [(MemberRole.applicant, dt.date(2007, 2, 1)), (MemberRole.child, dt.date(2025, 1, 1))],
    )
    data = {"assessed_on": "01-03-2026", "net_income": "1.000", "youth_supplement": "1"}
    location(submit(caseworker, PATH.format(young.id), data))
    (made,) = reference.scalars(select(IncomeAssessment))
    assert made.youth_supplement is True
    assert made.norm_amount == 34_599 + 74_645

    older = make_household(reference, [(MemberRole.applicant, born(30))])
    refused = submit(caseworker, PATH.format(older.id), data)
    assert refused.status_code == 400
    assert "18, 19 of 20" in field_error(page(refused), "youth_supplement")
    assert _count(reference) == 1


def test_with_the_adult_norm_for_everyone_no_supplement_is_offered(
    caseworker: FlaskClient, reference: Session
) -> None:
    policy.change_setting(reference, "youth_norm", "adult", actor=TEST_ACTOR)
    family = make_household(reference, [(MemberRole.applicant, dt.date(2007, 2, 1))])
    assert 'name="youth_supplement"' not in page(caseworker.get(PATH.format(family.id)))
