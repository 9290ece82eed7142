"""The caseworker API for passes: a household's passes; issue, block, replace, reissue.

Every refusal is problem+json with its code; no body says anything about income or tier.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.audit.log import Actor
from almerepas.casework import operations as casework
from almerepas.models import AuditEvent, Household, MemberRole, Role
from almerepas.passes import numbers
from tests.factories import assess, make_household, make_staff, token_headers
from tests.fixtures import FrozenClock

A, C = MemberRole.applicant, MemberRole.child
PASS_FIELDS = {
    "id", "number", "number_grouped", "person_id", "status", "generation", "valid_from",
    "valid_until", "issued_at", "status_changed_at", "block_reason", "replaces_id",
}  # fmt: skip


@pytest.fixture
def caseworker(client: FlaskClient, reference: Session) -> dict[str, str]:
    user, _, _ = make_staff(reference, Role.caseworker, app=client.application)
    return token_headers(reference, user)


@pytest.fixture
def family(reference: Session, frozen_clock: FrozenClock) -> Household:
    household = make_household(
        reference, [(A, dt.date(1988, 1, 1)), (C, dt.date(2015, 6, 1))], since=dt.date(2024, 1, 1)
    )
    assess(reference, household, (1, 1))  # at the norm: entitled to more than the basic pass
    return household


def person_ids(household: Household) -> list[int]:
    return [m.person_id for m in household.memberships]


def issue(client: FlaskClient, headers: dict[str, str], person_id: int, **kw: Any) -> Any:
    return client.post(f"/api/v1/persons/{person_id}/passes", headers=headers, **kw)


def issued(client: FlaskClient, headers: dict[str, str], person_id: int) -> dict[str, Any]:
    response = issue(client, headers, person_id, json={})
    assert response.status_code == 201, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_json()
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json()
    assert body["code"] == code
    return body


def test_issue_gives_a_pass_with_only_the_pass_fields(
    client: FlaskClient, caseworker: dict[str, str], family: Household, reference: Session
) -> None:
    adult, child = person_ids(family)
    body = issued(client, caseworker, child)
    assert set(body) == PASS_FIELDS
    assert body["status"] == "active" and body["generation"] == 1
    assert (body["valid_from"], body["valid_until"]) == ("2026-03-02", "2027-12-31")
    assert numbers.is_valid_number(body["number"])
    assert body["number_grouped"] == numbers.grouped(body["number"])
    # The adult, assessed at the norm, gets a pass of the same shape and the same validity.
    other = issued(client, caseworker, adult)
    assert set(other) == PASS_FIELDS and other["valid_until"] == body["valid_until"]
    event = reference.scalar(select(AuditEvent).where(AuditEvent.action == "pass.issue"))
    assert event is not None and event.actor.startswith("staff:")


def test_issue_takes_no_fields_and_no_body(
    client: FlaskClient, caseworker: dict[str, str], family: Household
) -> None:
    adult, child = person_ids(family)
    assert issue(client, caseworker, adult).status_code == 201
    refused = problem(
        issue(client, caseworker, child, json={"valid_until": "2099-12-31"}),
        400,
        "validation_failed",
    )
    assert refused["errors"] == [{"field": "valid_until", "in": "json", "detail": "Unknown field."}]


def test_issue_refusals(
    client: FlaskClient, caseworker: dict[str, str], family: Household, reference: Session
) -> None:
    adult, child = person_ids(family)
    issued(client, caseworker, adult)
    problem(issue(client, caseworker, adult, json={}), 409, "pass_exists")
    problem(issue(client, caseworker, 999_999, json={}), 404, "not_found")
    casework.move_out(reference, family, day=dt.date(2026, 3, 1), actor=Actor("test"))
    refused = problem(issue(client, caseworker, child, json={}), 409, "not_living_in_almere")
    assert refused["title"] == "Deze persoon woont nu niet in Almere"
    english = issue(client, caseworker, child, json={}, query_string={"lang": "en"})
    assert problem(english, 409, "not_living_in_almere")["title"] == (
        "This person does not live in Almere now"
    )


def test_block_replace_and_reissue_by_number(
    client: FlaskClient, caseworker: dict[str, str], family: Household
) -> None:
    adult, _child = person_ids(family)
    first = issued(client, caseworker, adult)
    typed = first["number_grouped"].replace(" ", "-")  # as a caseworker may type it
    blocked = client.post(
        f"/api/v1/passes/{typed}/blocks", json={"reason": "stolen"}, headers=caseworker
    )
    assert blocked.status_code == 201, blocked.get_json()
    assert blocked.get_json()["status"] == "blocked"
    assert blocked.get_json()["block_reason"] == "stolen"
    problem(
        client.post(f"/api/v1/passes/{first['number']}/blocks", json={"reason": "lost"},
                    headers=caseworker),
        409,
        "pass_not_active",
    )  # fmt: skip

    replaced = client.post(f"/api/v1/passes/{first['number']}/replacements", headers=caseworker)
    assert replaced.status_code == 201, replaced.get_json()
    second = replaced.get_json()
    assert second["generation"] == 2 and second["replaces_id"] == first["id"]
    assert second["number"] != first["number"]
    problem(
        client.post(f"/api/v1/passes/{second['number']}/reissues", json={}, headers=caseworker),
        409,
        "pass_not_reissuable",
    )
    client.post(f"/api/v1/passes/{second['number']}/blocks", json={"reason": "other"},
                headers=caseworker)  # fmt: skip
    reissued = client.post(f"/api/v1/passes/{second['number']}/reissues", headers=caseworker)
    assert reissued.status_code == 201, reissued.get_json()
    assert reissued.get_json()["generation"] == 3


@pytest.mark.parametrize(
    ("number", "status", "code"),
    [
        ("4821390712654", 400, "invalid_pass_number"),  # the check digit is 3
        ("482139071265", 400, "invalid_pass_number"),  # one digit short
        ("abc", 400, "invalid_pass_number"),
        (numbers.with_check_digit("100000000000"), 404, "not_found"),
    ],
)
def test_a_wrong_or_unknown_number_is_refused(
    client: FlaskClient, caseworker: dict[str, str], number: str, status: int, code: str
) -> None:
    for path, body in (("blocks", {"reason": "lost"}), ("replacements", {}), ("reissues", {})):
        response = client.post(f"/api/v1/passes/{number}/{path}", json=body, headers=caseworker)
        problem(response, status, code)


def test_a_block_needs_a_known_reason(
    client: FlaskClient, caseworker: dict[str, str], family: Household
) -> None:
    pass_ = issued(client, caseworker, person_ids(family)[0])
    for body in ({}, {"reason": "kwijt"}, {"reason": None}):
        response = client.post(
            f"/api/v1/passes/{pass_['number']}/blocks", json=body, headers=caseworker
        )
        assert problem(response, 400, "validation_failed")["errors"][0]["field"] == "reason"


def test_the_household_passes_are_listed_and_the_read_is_audited(
    client: FlaskClient, caseworker: dict[str, str], family: Household, reference: Session
) -> None:
    adult, child = person_ids(family)
    first = issued(client, caseworker, adult)
    client.post(f"/api/v1/passes/{first['number']}/replacements", headers=caseworker)
    kid = issued(client, caseworker, child)
    auditor = token_headers(reference, make_staff(reference, Role.auditor)[0])
    response = client.get(f"/api/v1/households/{family.id}/passes", headers=auditor)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["date"] == "2026-03-02"
    assert [(p["person_id"], p["generation"], p["status"]) for p in body["items"]] == [
        (adult, 2, "active"), (adult, 1, "replaced"), (child, 1, "active")
    ]  # fmt: skip
    assert body["items"][2]["number"] == kid["number"]
    views = reference.scalars(
        select(AuditEvent.entity_id).where(AuditEvent.action == "household.view")
    ).all()
    assert views == [str(family.id)]
    assert client.get("/api/v1/households/999999/passes", headers=auditor).status_code == 404
    refused = client.post(f"/api/v1/persons/{adult}/passes", json={}, headers=auditor)
    problem(refused, 403, "forbidden")
