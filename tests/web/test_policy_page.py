"""The page of the gemeente's choices: everyone reads it, policy staff change a choice there."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.income import policy
from almerepas.models import AuditEvent, Role
from tests.web.conftest import SignIn, page, submit


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads_the_choices_and_only_policy_gets_the_forms(
    sign_in: SignIn, role: Role
) -> None:
    html = page(sign_in(role).get("/medewerkers/beleid"))
    assert "Kostgangers en huurders in huis" in html
    assert "Participatiewet art. 34" in html  # the source of the asset limit
    assert ("Kostgangers en huurders in huis wijzigen" in html) is (role == Role.policy)


def test_policy_staff_switch_lodgers_in_and_set_an_asset_limit(
    sign_in: SignIn, reference: Session
) -> None:
    client = sign_in(Role.policy)
    moved = submit(client, "/medewerkers/beleid/lodgers", {"lodgers": "household"})
    assert moved.status_code == 303
    limits = {"asset_limit-single": "8.000", "asset_limit-single_parent": "16.000",
              "asset_limit-couple": "16.000,00"}  # fmt: skip
    assert submit(client, "/medewerkers/beleid/asset_limit", limits).status_code == 303
    now = policy.load_policy(reference)
    assert now.lodgers == policy.OutsideFamily.household
    assert now.asset_limit == {"single": 800_000, "single_parent": 1_600_000, "couple": 1_600_000}
    html = page(client.get("/medewerkers/beleid"))
    assert "single: € 8.000,00" in html
    actions = reference.scalars(
        select(AuditEvent.entity_id).where(AuditEvent.action == "policy.change")
    )
    assert list(actions) == ["lodgers", "asset_limit"]
    # all three empty: no limit again
    empty = {key: "" for key in limits}
    assert submit(client, "/medewerkers/beleid/asset_limit", empty).status_code == 303
    assert policy.load_policy(reference).asset_limit is None


@pytest.mark.parametrize(
    ("key", "data", "field"),
    [
        ("lodgers", {"lodgers": "soms"}, "lodgers"),
        ("assessment_months", {"assessment_months": "0"}, "assessment_months"),
        ("assessment_months", {"assessment_months": "een jaar"}, "assessment_months"),
        (
            "asset_limit",
            {
                "asset_limit-single": "veel",
                "asset_limit-single_parent": "1",
                "asset_limit-couple": "1",
            },
            "asset_limit-single",
        ),
    ],
)
def test_a_bad_choice_is_shown_at_its_field_and_nothing_changes(
    sign_in: SignIn, reference: Session, key: str, data: dict[str, str], field: str
) -> None:
    response = submit(sign_in(Role.policy), f"/medewerkers/beleid/{key}", data)
    assert response.status_code == 400
    html = page(response)
    assert f'href="#{field}"' in html
    assert policy.load_policy(reference) == policy.DEFAULT


def test_a_caseworker_cannot_post_a_change(sign_in: SignIn, reference: Session) -> None:
    response = submit(
        sign_in(Role.caseworker), "/medewerkers/beleid/lodgers", {"lodgers": "household"}
    )
    assert response.status_code == 403
    assert policy.load_policy(reference) == policy.DEFAULT
