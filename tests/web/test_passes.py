"""Passes on the caseworker's household page: each button asks for a confirmation in plain
Dutch, then issues, blocks, replaces or reissues through the domain (with its audit row)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.models import AuditEvent, Household, MemberRole, Pass, PassStatus, Role
from almerepas.passes import numbers
from almerepas.passes import operations as passes
from tests.factories import TEST_ACTOR, make_household
from tests.fixtures import START, FrozenClock
from tests.web.conftest import SignIn, field_error, location, page, submit

A, C = MemberRole.applicant, MemberRole.child


@pytest.fixture
def family(reference: Session, frozen_clock: FrozenClock) -> Household:
    household = make_household(
        reference, [(A, dt.date(1988, 1, 1)), (C, dt.date(2015, 6, 1))], since=dt.date(2024, 1, 1)
    )
    household.memberships[0].person.given_name = "Sara"
    household.memberships[1].person.given_name = "Ilias"
    reference.flush()
    return household


def household_page(client: FlaskClient, household: Household) -> str:
    return page(client.get(f"/medewerkers/huishoudens/{household.id}"))


def pass_actions(reference: Session) -> list[str]:
    query = select(AuditEvent.action).where(AuditEvent.action.like("pass.%"))
    return list(reference.scalars(query.order_by(AuditEvent.id)))


def test_a_caseworker_gives_a_pass_after_confirming(
    caseworker: FlaskClient, family: Household, reference: Session
) -> None:
    html = household_page(caseworker, family)
    assert '<h2 id="passen">Passen</h2>' in html
    assert html.count("Geen pas") == 2
    child = family.memberships[1].person
    path = f"/medewerkers/huishoudens/{family.id}/personen/{child.id}/pas"
    assert f'action="{path}"' in html

    confirm = submit(caseworker, path, {})
    assert confirm.status_code == 200
    text = page(confirm)
    assert "Pas geven aan Ilias Test" in text
    assert "Ilias krijgt een Almerepas. De pas is geldig tot en met" in text
    assert '<time datetime="2027-12-31">31-12-2027</time>' in text
    assert 'name="bevestigd" value="ja"' in text
    assert reference.scalars(select(Pass)).all() == []  # nothing yet

    target = location(submit(caseworker, path, {"bevestigd": "ja"}))
    assert target == f"/medewerkers/huishoudens/{family.id}"
    [made] = reference.scalars(select(Pass)).all()
    after = household_page(caseworker, family)
    assert f"Ilias Test heeft een pas gekregen: {numbers.grouped(made.number)}." in after
    assert numbers.grouped(made.number) in after and "Werkt" in after
    assert pass_actions(reference) == ["pass.issue"]


def test_block_asks_why_then_the_pass_is_replaced(
    caseworker: FlaskClient, family: Household, reference: Session
) -> None:
    old = passes.issue_pass(reference, family.memberships[0].person, actor=TEST_ACTOR, now=START)
    html = household_page(caseworker, family)
    block = f"/medewerkers/huishoudens/{family.id}/passen/{old.id}/blokkeren"
    assert f'action="{block}"' in html and ">Pas blokkeren<" in html

    asked = page(submit(caseworker, block, {}))
    assert "Na het blokkeren werkt pas " + numbers.grouped(old.number) in asked
    assert "Waarom blokkeert u de pas?" in asked
    refused = submit(caseworker, block, {"bevestigd": "ja"})
    assert refused.status_code == 400
    assert field_error(page(refused), "reason") == "Kies waarom de pas geblokkeerd wordt."
    assert old.status == PassStatus.active

    location(submit(caseworker, block, {"bevestigd": "ja", "reason": "stolen"}))
    reference.refresh(old)
    assert (old.status, old.block_reason) == (PassStatus.blocked, "stolen")
    html = household_page(caseworker, family)
    assert "De pas van Sara Test is geblokkeerd. Hij werkt nu niet meer." in html
    assert "Geblokkeerd (gestolen)" in html
    replace = f"/medewerkers/huishoudens/{family.id}/passen/{old.id}/vervangen"
    assert f'action="{replace}"' in html

    location(submit(caseworker, replace, {"bevestigd": "ja"}))
    new = reference.scalar(select(Pass).where(Pass.replaces_id == old.id))
    assert new is not None and new.generation == 2
    html = household_page(caseworker, family)
    assert f"Het nieuwe pasnummer is {numbers.grouped(new.number)}." in html
    assert pass_actions(reference) == ["pass.issue", "pass.block", "pass.replace"]


def test_an_expired_pass_gets_a_new_one(
    sign_in: SignIn, family: Household, reference: Session, frozen_clock: FrozenClock
) -> None:
    old = passes.issue_pass(reference, family.memberships[0].person, actor=TEST_ACTOR, now=START)
    frozen_clock.set(dt.datetime(2028, 1, 10, 9, 0, tzinfo=dt.UTC))
    caseworker = sign_in(Role.caseworker)  # logged in after the clock moved on
    html = household_page(caseworker, family)
    assert "Verlopen" in html and ">Nieuwe pas maken<" in html and ">Pas blokkeren<" not in html
    path = f"/medewerkers/huishoudens/{family.id}/passen/{old.id}/opnieuw"
    asked = page(submit(caseworker, path, {}))
    assert 'geldig tot en met <time datetime="2029-12-31">31-12-2029</time>' in asked
    location(submit(caseworker, path, {"bevestigd": "ja"}))
    assert "Sara Test heeft een nieuwe pas:" in household_page(caseworker, family)


def test_a_refusal_is_shown_on_the_confirmation_page(
    caseworker: FlaskClient, family: Household, reference: Session
) -> None:
    sara = family.memberships[0].person
    path = f"/medewerkers/huishoudens/{family.id}/personen/{sara.id}/pas"
    page(submit(caseworker, path, {}))
    passes.issue_pass(reference, sara, actor=TEST_ACTOR, now=START)  # a colleague was quicker
    refused = submit(caseworker, path, {"bevestigd": "ja"})
    assert refused.status_code == 400
    html = page(refused)
    assert "Deze persoon heeft al een pas die werkt" in html
    assert pass_actions(reference) == ["pass.issue"]


def test_someone_from_another_household_is_not_found(
    caseworker: FlaskClient, family: Household, reference: Session
) -> None:
    other = make_household(reference, [(A, dt.date(1970, 1, 1))])
    stranger = other.memberships[0].person
    base = f"/medewerkers/huishoudens/{family.id}"
    response = submit(caseworker, f"{base}/personen/{stranger.id}/pas", {})
    assert response.status_code == 404
    theirs = passes.issue_pass(reference, stranger, actor=TEST_ACTOR, now=START)
    response = submit(caseworker, f"{base}/passen/{theirs.id}/blokkeren", {})
    assert response.status_code == 404


def test_the_auditor_sees_the_passes_and_no_buttons(
    sign_in: SignIn, family: Household, reference: Session
) -> None:
    passes.issue_pass(reference, family.memberships[0].person, actor=TEST_ACTOR, now=START)
    auditor = sign_in(Role.auditor)
    html = household_page(auditor, family)
    assert "Pasnummer" in html and "Werkt" in html
    assert "Pas blokkeren" not in html and "Pas geven" not in html
    assert not re.search(r"/passen/\d+/", html)
    child = family.memberships[1].person
    refused = submit(auditor, f"/medewerkers/huishoudens/{family.id}/personen/{child.id}/pas", {})
    assert refused.status_code == 403


def test_a_post_without_the_csrf_token_is_refused(
    caseworker: FlaskClient, family: Household, reference: Session
) -> None:
    child = family.memberships[1].person
    response = caseworker.post(
        f"/medewerkers/huishoudens/{family.id}/personen/{child.id}/pas", data={"bevestigd": "ja"}
    )
    assert response.status_code == 400
    assert reference.scalars(select(Pass)).all() == []
