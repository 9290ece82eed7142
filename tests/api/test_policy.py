"""GET and PUT /policy-settings: every role reads the gemeente's choices, policy changes them."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.models import AuditEvent, Role
from tests.factories import staff_headers


@pytest.mark.parametrize("role", list(Role))
def test_every_role_sees_the_choices_with_defaults_and_sources(
    client: FlaskClient, reference: Session, role: Role
) -> None:
    response = client.get("/api/v1/policy-settings", headers=staff_headers(client, reference, role))
    assert response.status_code == 200
    items = {i["key"]: i for i in response.get_json()["items"]}
    assert items["lodgers"]["value"] == items["lodgers"]["default"] == "own_assessment"
    assert items["asset_limit"]["value"] is None
    assert all(i["source"] and i["explanation"] for i in items.values())
    assert items["lodgers"]["changed_by"] is None


def test_policy_staff_change_a_choice_and_it_is_shown_and_audited(
    client: FlaskClient, reference: Session
) -> None:
    headers = staff_headers(client, reference, Role.policy)
    limits = {"single": 800_000, "single_parent": 1_600_000, "couple": 1_600_000}
    response = client.put(
        "/api/v1/policy-settings/asset_limit", json={"value": limits}, headers=headers
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["value"] == limits
    assert response.get_json()["default"] is None
    assert response.get_json()["changed_by"]
    shown = client.get("/api/v1/policy-settings", headers=headers).get_json()["items"]
    assert next(i for i in shown if i["key"] == "asset_limit")["value"] == limits
    (row,) = reference.scalars(select(AuditEvent).where(AuditEvent.action == "policy.change"))
    assert row.entity_type == "policy_setting" and row.entity_id == "asset_limit"


@pytest.mark.parametrize("role", [r for r in Role if r != Role.policy])
def test_other_roles_may_not_change_a_choice(
    client: FlaskClient, reference: Session, role: Role
) -> None:
    response = client.put(
        "/api/v1/policy-settings/lodgers",
        json={"value": "household"},
        headers=staff_headers(client, reference, role),
    )
    assert response.status_code == 403


def test_a_bad_value_is_a_400_naming_the_field_and_an_unknown_key_a_404(
    client: FlaskClient, reference: Session
) -> None:
    headers = staff_headers(client, reference, Role.policy)
    bad = client.put("/api/v1/policy-settings/lodgers", json={"value": "soms"}, headers=headers)
    assert bad.status_code == 400
    assert bad.get_json()["code"] == "validation_failed"
    assert [e["field"] for e in bad.get_json()["errors"]] == ["value"]
    missing = client.put("/api/v1/policy-settings/bsn", json={"value": 1}, headers=headers)
    assert missing.status_code == 404
    no_value = client.put("/api/v1/policy-settings/lodgers", json={}, headers=headers)
    assert no_value.status_code == 400
    assert not reference.scalars(
        select(AuditEvent).where(AuditEvent.action == "policy.change")
    ).all()


def test_assets_without_a_limit_get_a_400_and_nothing_is_written(
    client: FlaskClient, reference: Session
) -> None:
    headers = staff_headers(client, reference, Role.caseworker)
    created = client.post(
        "/api/v1/households",
        json={"address": {"postcode": "1315 AB", "house_number": 3, "street": "Stadhuisplein"}},
        headers=headers,
    ).get_json()
    member = {"given_name": "Sara", "family_name": "Bakker", "date_of_birth": "1990-04-01",
              "role": "applicant", "valid_from": "2024-01-01"}  # fmt: skip
    url = f"/api/v1/households/{created['id']}"
    assert client.post(f"{url}/members", json=member, headers=headers).status_code == 201
    body = {"net_income": 100_000, "assessed_on": "2026-03-01", "assets": 500_000}
    refused = client.post(f"{url}/assessments", json=body, headers=headers)
    assert refused.status_code == 400
    assert refused.get_json()["code"] == "asset_limit_not_set"
    assert [e["field"] for e in refused.get_json()["errors"]] == ["assets"]
    assert client.get(url, headers=headers).get_json()["assessments"] == []
