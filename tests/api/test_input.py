"""Hostile input is a 400 that names the field, the same on SQLite and PostgreSQL, and it is
refused before it reaches the database: a lone surrogate, JSON nested a thousand levels deep, a
number of thousands of digits, a control character (a trailing newline too), a NUL, text longer
than its column. Nothing is written and nothing is logged as an unexpected error.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almerepas.models import AuditEvent, Household, Person, Role, Scheme, StaffUser
from tests.factories import make_household, make_staff, token_headers

JSON = {"Content-Type": "application/json"}
PROBLEM = "application/problem+json"

#: Valid bodies; each case below spoils one field of one of them.
ADDRESS = '{"postcode": "1315 AB", "house_number": 12, "street": "Stadhuisplein"'
MEMBER = (
    '{"given_name": "Sara", "family_name": "Bakker", "date_of_birth": "1990-04-01", '
    '"role": "applicant", "valid_from": "2024-01-01"'
)
SCHEME = (
    '{"code": "zwemles", "name_nl": "Zwemles", "name_en": "Swimming lessons", '
    '"description_nl": "Zwemles voor kinderen.", "description_en": "Swimming lessons.", '
    '"kind": "budget", "beneficiary": "person", "amount": 25000, "unit": "EUR", '
    '"period": "year", "valid_from": "2027-01-01"'
)
LOGIN = '{"username": "a.jansen", "totp_code": "123456"'
#: 2 kB of JSON: a thousand arrays in each other.
DEEP = "[" * 1000 + "]" * 1000
LONG_EMAIL = "a" * 60 + "@" + "b" * 60 + "." + "c" * 60 + "." + "d" * 60 + "." + "e" * 20 + ".nl"


def snapshot(session: Session) -> dict[str, Any]:
    """What a refused request must leave as it was."""
    return {
        "households": session.scalar(select(func.count()).select_from(Household)),
        "persons": session.scalar(select(func.count()).select_from(Person)),
        "schemes": session.scalar(select(func.count()).select_from(Scheme)),
        "audit": session.scalar(select(func.count()).select_from(AuditEvent)),
        "failed_logins": session.scalar(select(func.sum(StaffUser.failed_logins))),
    }


@pytest.fixture
def staff(client: FlaskClient, reference: Session) -> dict[Role, dict[str, str]]:
    """Bearer headers per role, and a staff member to log in as (a.jansen)."""
    headers = {}
    for role in (Role.caseworker, Role.administrator, Role.finance):
        user, _, _ = make_staff(reference, role, app=client.application)
        headers[role] = {**token_headers(reference, user), **JSON}
    make_staff(reference, Role.auditor, app=client.application, username="a.jansen")
    return headers


def refused(
    client: FlaskClient,
    reference: Session,
    caplog: pytest.LogCaptureFixture,
    method: str,
    path: str,
    body: str | None,
    headers: dict[str, str],
) -> dict[str, Any]:
    """Send the request; check it is a 400 problem that wrote nothing and logged no error."""
    before = snapshot(reference)
    with caplog.at_level(logging.WARNING):
        response = client.open(path, method=method, data=body, headers=headers)
    assert response.status_code == 400, response.get_data(as_text=True)[:500]
    assert response.mimetype == PROBLEM
    problem: dict[str, Any] = response.get_json(force=True)
    assert problem["title"] and problem["detail"]
    assert snapshot(reference) == before
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    return problem


def fields_named(problem: dict[str, Any]) -> list[tuple[str, str]]:
    assert problem["code"] == "validation_failed", problem
    return [(e["field"], e["in"]) for e in problem["errors"]]


#: (method, path, body, role or None for anonymous, the field named)
BAD_TEXT = [
    # Lone surrogates: valid JSON, but no text any database or encoder can store.
    ("POST", "/api/v1/tokens", LOGIN + ', "password": "\\ud800"}', None, "password"),
    ("POST", "/api/v1/households", '{"address": ' + ADDRESS[:-1] + '\\udfff"}}',
     Role.caseworker, "address.street"),
    ("POST", "/api/v1/households/{id}/members", MEMBER + ', "family_name": "B\\ud83d"}',
     Role.caseworker, "family_name"),
    ("POST", "/api/v1/schemes", SCHEME + ', "description_nl": "\\udc00"}', Role.administrator,
     "description_nl"),
    ("POST", "/api/v1/households", '{"address": ' + ADDRESS + '}, "\\ud800": 1}',
     Role.caseworker, "\ufffd"),
    # A number longer than Python will read: not a crash, a refusal at its field.
    ("POST", "/api/v1/households/{id}/assessments",
     '{"assessed_on": "2026-03-01", "net_income": ' + "9" * 5000 + "}", Role.caseworker,
     "net_income"),
    # A trailing newline is a control character too ("$" in a pattern let it through).
    ("POST", "/api/v1/households", '{"address": ' + ADDRESS + ', "house_number_suffix": "A\\n"}}',
     Role.caseworker, "address.house_number_suffix"),
    ("POST", "/api/v1/households", '{"address": ' + ADDRESS + '}, "phone": "0612345678\\n"}',
     Role.caseworker, "phone"),
    ("POST", "/api/v1/households/{id}/members", MEMBER + ', "phone": "0612345678\\n"}',
     Role.caseworker, "phone"),
    ("POST", "/api/v1/households/{id}/members", MEMBER + ', "bsn": "111222333\\n"}',
     Role.caseworker, "bsn"),
    ("POST", "/api/v1/schemes", SCHEME + ', "code": "zwemles\\n"}', Role.administrator, "code"),
    ("POST", "/api/v1/schemes", SCHEME + ', "unit": "EUR\\n"}', Role.administrator, "unit"),
    # NUL: SQLite stores it, PostgreSQL refuses it; both must refuse it the same way.
    ("POST", "/api/v1/schemes", SCHEME + ', "name_nl": "Zwem\\u0000les"}', Role.administrator,
     "name_nl"),
    ("POST", "/api/v1/schemes", SCHEME + ', "description_en": "Swim\\u0000"}', Role.administrator,
     "description_en"),
    ("POST", "/api/v1/households", '{"address": ' + ADDRESS + '}, "phone": "06\\u0000"}',
     Role.caseworker, "phone"),
    ("POST", "/api/v1/grant-runs", '{"period": "2026", "schemes": ["ov\\u0000"]}', Role.finance,
     "schemes.0"),
    # Longer than the column: SQLite stores it, PostgreSQL refuses it.
    ("POST", "/api/v1/households", '{"address": ' + ADDRESS + '}, "email": "' + LONG_EMAIL + '"}',
     Role.caseworker, "email"),
    ("POST", "/api/v1/households/{id}/members", MEMBER + ', "email": "' + LONG_EMAIL + '"}',
     Role.caseworker, "email"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "body", "role", "field"),
    BAD_TEXT,
    ids=[f"{case[1].rsplit('/', 1)[-1]}-{case[4]}" for case in BAD_TEXT],
)
def test_bad_text_in_a_body_is_a_400_naming_the_field(
    client: FlaskClient,
    reference: Session,
    staff: dict[Role, dict[str, str]],
    caplog: pytest.LogCaptureFixture,
    method: str,
    path: str,
    body: str,
    role: Role | None,
    field: str,
) -> None:
    household = make_household(reference, [])
    headers = staff[role] if role else JSON
    path = path.replace("{id}", str(household.id))
    problem = refused(client, reference, caplog, method, path, body, headers)
    assert fields_named(problem) == [(field, "json")]


@pytest.mark.parametrize(
    ("path", "body", "role"),
    [
        ("/api/v1/tokens", DEEP, None),
        ("/api/v1/tokens", LOGIN + ', "password": ' + DEEP + "}", None),
        ("/api/v1/households", '{"address": ' + DEEP + "}", Role.caseworker),
        # Not deep enough to crash the parser, too deep for anything we accept.
        ("/api/v1/households", '{"address": ' + "[" * 40 + "]" * 40 + "}", Role.caseworker),
    ],
    ids=["login", "login-field", "households", "households-40"],
)
def test_json_nested_too_deep_is_a_400(
    client: FlaskClient,
    reference: Session,
    staff: dict[Role, dict[str, str]],
    caplog: pytest.LogCaptureFixture,
    path: str,
    body: str,
    role: Role | None,
) -> None:
    headers = staff[role] if role else JSON
    problem = refused(client, reference, caplog, "POST", path, body, headers)
    assert problem["code"] == "json_too_deep"
    assert problem["title"] == "De JSON is te diep genest"


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/postcodes/13%0015", "pc4"),
        ("/api/v1/schemes/ov%00", "code"),
    ],
)
def test_a_nul_in_a_path_is_a_400_naming_the_parameter(
    client: FlaskClient,
    reference: Session,
    staff: dict[Role, dict[str, str]],
    caplog: pytest.LogCaptureFixture,
    path: str,
    field: str,
) -> None:
    method, role, body = (
        ("PUT", Role.caseworker, '{"district": "almere_stad"}')
        if "postcodes" in path
        else ("PATCH", Role.administrator, '{"amount": 100}')
    )
    problem = refused(client, reference, caplog, method, path, body, staff[role])
    assert fields_named(problem) == [(field, "path")]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("period=2026&scheme=ov%00", "scheme.0"),
        ("period=2026&scheme=%ED%A0%80", "scheme"),
        ("period=2026&%ED%A0%80=1", "%ED%A0%80"),
    ],
    ids=["nul", "surrogate", "surrogate-key"],
)
def test_bad_text_in_a_query_is_a_400_naming_the_key(
    client: FlaskClient,
    reference: Session,
    caplog: pytest.LogCaptureFixture,
    query: str,
    field: str,
) -> None:
    """%ED%A0%80 is how a lone surrogate looks in a URL: bytes that are not UTF-8."""
    user, _, _ = make_staff(reference, Role.finance, app=client.application)
    headers = token_headers(reference, user)
    path = f"/api/v1/grant-runs/preview?{query}"
    problem = refused(client, reference, caplog, "GET", path, None, headers)
    assert fields_named(problem) == [(field, "query")]


def test_the_refusals_are_dutch_and_english(
    client: FlaskClient, staff: dict[Role, dict[str, str]]
) -> None:
    headers = staff[Role.caseworker]
    body = '{"address": ' + DEEP + "}"
    english = {**headers, "Accept-Language": "en"}
    deep = client.post("/api/v1/households", data=body, headers=english).get_json(force=True)
    assert deep["title"] == "The JSON is nested too deeply"
    body = '{"address": ' + ADDRESS + '}, "phone": "\\ud800"}'
    nl = client.post("/api/v1/households", data=body, headers=headers).get_json(force=True)
    assert nl["errors"][0]["detail"] == "Dit is geen leesbare tekst (UTF-8)."


def test_a_body_that_is_not_utf8_is_malformed_json_not_an_empty_body(
    client: FlaskClient, staff: dict[Role, dict[str, str]]
) -> None:
    """PATCH takes a partial body: bytes that are not UTF-8 must not count as "no changes"."""
    response = client.patch(
        "/api/v1/schemes/stadsfonds", data=b'{"amount": "\xff"}', headers=staff[Role.administrator]
    )
    assert response.status_code == 400
    assert response.get_json(force=True)["code"] == "malformed_json"
