"""Schemathesis generates requests from the OpenAPI document and checks every response against it:
no 500s, only documented status codes, bodies and content types as documented, and every problem
body with a stable code.

The fuzz runs once per principal: anonymous, each staff role with a bearer token, and a
partner's device with its key (the only principal that gets past the partner endpoints' guard). An
operation the principal may call gets hand-written requests on real data first (a registered
household, a seed scheme, an Almere postcode, a period), then generated ones, valid (positive)
and invalid (negative), with path parameters sometimes pointing at the real data, so the input
is parsed and the view runs. An operation the principal may not call gets a few examples,
enough to check the 401 or 403. No request may reach a database constraint: the IntegrityError
safety net (a 409 'conflict') means the domain forgot to refuse. Everything runs inside the
test's rolled-back transaction, at a frozen moment, with a fixed seed.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, example, given, seed, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from sqlalchemy.orm import Session

from almerepas.core.errors import DomainError
from almerepas.http.problems import HTTP_CODES, PROBLEM_MIME
from almerepas.http.rest import API_PREFIX
from almerepas.models import Role, StaffUser
from almerepas.staff.permissions import PERMISSIONS
from tests.factories import make_staff, token_headers
from tests.fixtures import FrozenClock

#: CI's run is fixed and short; a nightly run sets ALMEREPAS_FUZZ_SEED (a new one each night)
#: and ALMEREPAS_FUZZ_EXAMPLES (say 500), and keeps the seed of a failure (docs/testing.md).
SEED = int(os.environ.get("ALMEREPAS_FUZZ_SEED", 20260302))
#: Generated examples per operation for a principal that may call it (valid and invalid input).
EXAMPLES_ALLOWED = int(os.environ.get("ALMEREPAS_FUZZ_EXAMPLES", 24))
#: Examples per operation for a principal that gets 401 or 403: only the refusal is checked.
EXAMPLES_REFUSED = 3

#: Schema-valid input may still break a rule the document can only describe in words (an Almere
#: postcode, the BSN check digit, a real period, a date between 1900 and 2100, a consistent
#: scheme): that is a documented 400 problem, not a rejection of valid data. A pass code that
#: is a well-formed string but not a valid code is a documented 422 with the refusal's code
#: (POST /codes/verify). (Schemathesis's default list, plus 400 and 422.)
VALID_INPUT_STATUSES = ["2xx", "3xx", "400", "401", "403", "404", "409", "422", "429", "5xx"]
CONFIG = schemathesis.Config.from_dict(
    {"checks": {"positive_data_acceptance": {"expected-statuses": VALID_INPUT_STATUSES}}}
)

#: Codes the problem handlers set themselves, beside HTTP_CODES and the DomainError classes.
HANDLER_CODES = {"malformed_json", "validation_failed", "value_out_of_range", "conflict"}


def _domain_codes(cls: type[DomainError] = DomainError) -> set[str]:
    codes = {cls.code} if isinstance(getattr(cls, "code", None), str) else set()
    for sub in cls.__subclasses__():
        codes |= _domain_codes(sub)
    return codes


def stable_codes() -> set[str]:
    import almerepas.api  # noqa: F401 - import every view, so every DomainError class exists

    return _domain_codes() | set(HTTP_CODES.values()) | HANDLER_CODES


def _openapi_path(rule: str) -> str:
    """/api/v1/households/<int:household_id> -> /households/{household_id}"""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.removeprefix(API_PREFIX))


#: The "permission" of a partner endpoint (``@require_partner``): a device key, no staff role.
PARTNER = "partner device"
#: The principal that fuzzes the partner endpoints with the world's device key.
DEVICE = "device"
#: Partner endpoints for a partner user only (the world has none): a device gets 403.
PARTNER_USERS_ONLY = {"DELETE /partner/tokens/current"}


def operation_permissions(app: Flask) -> dict[tuple[str, str], str | None]:
    """(METHOD, OpenAPI path) -> the permission its view requires, None for a public one,
    PARTNER for a partner endpoint."""
    found: dict[tuple[str, str], str | None] = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API_PREFIX):
            continue
        view = app.view_functions[rule.endpoint]
        permission = PARTNER if getattr(view, "partner_view", False) else None
        permission = getattr(view, "permission", permission)
        for method in rule.methods or ():
            found[(method, _openapi_path(rule.rule))] = permission
    return found


@dataclass
class World:
    """Real data for requests to point at, sometimes."""

    #: path parameter -> an id that exists
    path_parameters: dict[str, Any]
    #: operation label -> requests that pass validation (query and/or body)
    requests: dict[str, list[dict[str, Any]]]
    #: the key of the partner's device, for the partner endpoints
    device_key: str


NEW_SCHEME = {
    "code": "fuzz-fonds", "name_nl": "Fuzzfonds", "name_en": "Fuzz fund",
    "description_nl": "Proef", "description_en": "Trial", "kind": "budget",
    "beneficiary": "person", "max_income_percent": 120, "min_age": 4, "max_age": 17,
    "amount": 5000, "unit": "EUR", "period": "year", "valid_from": "2026-01-01",
}  # fmt: skip


NEW_PARTNER = {"name": "Fuzzclub", "kvk_number": "23456789", "iban": "NL91ABNA0417164300",
               "payout_method": "sepa"}  # fmt: skip
NEW_LOCATION = {"name": "Fuzzhal", "street": "Havenstraat", "house_number": "1",
                "postcode": "1315 AB", "kind": "sport"}  # fmt: skip
NEW_OFFER = {"title_nl": "10 % korting", "title_en": "10% off", "description_nl": "Aan de kassa",
             "description_en": "At the desk", "valid_from": "2026-01-01"}  # fmt: skip


def partner_requests(location_id: int) -> dict[str, list[dict[str, Any]]]:
    """Requests on the world's partner (almerepas.api.partners) that an administrator gets a
    2xx for."""
    return {
        "POST /partners": [{"body": NEW_PARTNER}],
        "PATCH /partners/{partner_id}": [{"body": {"name": "Fuzzclub Haven"}}],
        "POST /partners/{partner_id}/locations": [{"body": NEW_LOCATION}],
        "PATCH /partners/{partner_id}/locations/{location_id}": [{"body": {"kind": "culture"}}],
        "POST /partners/{partner_id}/contracts": [
            {
                "body": {
                    "scheme": "stadsfonds",
                    "location_ids": [location_id],
                    "valid_from": "2026-01-01",
                    "tariff_kind": "amount_redeemed",
                }
            },
            {
                "body": {
                    "scheme": "menstruatie",
                    "location_ids": [location_id],
                    "valid_from": "2026-01-01",
                    "tariff_kind": "per_unit",
                    "tariff": 250,
                }
            },
        ],
        "PATCH /partners/{partner_id}/contracts/{contract_id}": [
            {"body": {"valid_to": "2026-12-31"}}
        ],
        "POST /partners/{partner_id}/users": [
            {
                "body": {
                    "username": "kassa-fuzz",
                    "display_name": "Kassa",
                    "role": "cashier",
                    "password": "lang-genoeg-wachtwoord",
                }
            }
        ],
        "POST /partners/{partner_id}/devices": [
            {"body": {"name": "Kassa 2", "location_id": location_id}}
        ],
        "POST /partners/{partner_id}/offers": [{"body": NEW_OFFER}],
        "PATCH /partners/{partner_id}/offers/{offer_id}": [{"body": {"valid_to": "2026-06-30"}}],
    }


def valid_requests(household_id: int, child_id: int) -> dict[str, list[dict[str, Any]]]:
    """Per operation, requests a role with the permission should get a 2xx (or a 409) for."""
    address = {"postcode": "1315 AB", "house_number": 8, "street": "Stadhuisplein"}
    child = {"given_name": "Noor", "family_name": "Bakker", "date_of_birth": "2019-02-03",
             "role": "child", "valid_from": "2025-01-01", "bsn": None}  # fmt: skip
    return {
        "GET /households": [{"query": {"name": "bakker"}}, {"query": {"postcode": "1315AB"}}],
        "POST /households": [{"body": {"address": address}}],
        "POST /households/_search": [{"body": {"bsn": "111222333"}}],
        "POST /households/{household_id}/members": [{"body": child}],
        "POST /households/{household_id}/departures": [
            {"body": {"person_id": child_id, "last_day": "2026-01-31"}}
        ],
        "POST /households/{household_id}/move-outs": [{"body": {"day": "2026-02-28"}}],
        "POST /households/{household_id}/assessments": [
            {"body": {"net_income": 120000, "assessed_on": "2026-03-02", "months": 12}}
        ],
        "GET /households/{household_id}/eligibility": [{"query": {"date": "2026-03-15"}}],
        "POST /persons/{person_id}/passes": [{"body": {}}],
        "POST /passes/{number}/blocks": [{"body": {"reason": "lost"}}],
        "POST /passes/{number}/replacements": [{"body": {}}],
        "POST /passes/{number}/reissues": [{"body": {}}],
        "GET /norms": [{"query": {"date": "2026-03-01"}}],
        "PUT /postcodes/{pc4}": [{"body": {"district": "almere_stad"}}],
        "POST /schemes": [{"body": NEW_SCHEME}],
        "PATCH /schemes/{code}": [{"body": {"amount": 90000}}, {"body": {"valid_to": None}}],
        "GET /grant-runs/preview": [
            {"query": {"period": "2026"}},
            {"query": {"period": "2026-03", "scheme": ["ov"]}},
        ],
        "POST /grant-runs": [
            {"body": {"period": "2026"}},
            {"body": {"period": "2026-03", "schemes": ["ov"]}},
        ],
        "GET /schemes/{code}/waiting-list": [
            {"query": {"period": "2026"}},
            {"query": {"period": "2026-03", "page": 2, "pageSize": 1}},
        ],
        "POST /grant-expiries": [{"body": {"period": "2025"}}, {"body": {"period": "2025-12"}}],
        "PUT /policy-settings/{key}": [{"body": {"value": "household"}}],
        "GET /audit-events": [
            {"query": {"action": "household.view"}},
            {"query": {"from": "2026-01-01T00:00:00Z", "entityType": "household"}},
        ],
    }


@pytest.fixture
def world(client: FlaskClient, keyed: Session, frozen_clock: FrozenClock) -> World:
    """A registered household with two members (one with a BSN) and an income assessment; a
    second household of two children, one of whom has a pass; the signing keys of pass codes, so
    the validator bundle can be made."""
    reference = keyed
    user, _, _ = make_staff(reference, Role.caseworker, app=client.application)
    headers = token_headers(reference, user)
    address = {"postcode": "1315 AB", "house_number": 7, "street": "Stadhuisplein"}
    created = client.post("/api/v1/households", json={"address": address}, headers=headers)
    assert created.status_code == 201, created.get_json()
    household_id = created.get_json()["id"]
    for member in (
        {"given_name": "Sara", "date_of_birth": "1990-04-01", "role": "applicant",
         "bsn": "111222333"},
        {"given_name": "Ilias", "date_of_birth": "2016-05-05", "role": "child"},
    ):  # fmt: skip
        added = client.post(
            f"/api/v1/households/{household_id}/members",
            json={"family_name": "Bakker", "valid_from": "2024-01-01", **member},
            headers=headers,
        )
        assert added.status_code == 201, added.get_json()
    child_id = added.get_json()["member_history"][-1]["person_id"]
    # Passes in a household of their own, which the fuzz does not move out of Almere.
    other = client.post(
        "/api/v1/households", json={"address": {**address, "house_number": 9}}, headers=headers
    ).get_json()["id"]
    holders = []
    for name in ("Noor", "Daan"):
        moved_in = client.post(
            f"/api/v1/households/{other}/members",
            json={"given_name": name, "family_name": "Visser", "date_of_birth": "2010-01-01",
                  "role": "child", "valid_from": "2024-01-01"},
            headers=headers,
        )  # fmt: skip
        assert moved_in.status_code == 201, moved_in.get_json()
        holders.append(moved_in.get_json()["member_history"][-1]["person_id"])
    holder_pass = client.post(f"/api/v1/persons/{holders[0]}/passes", json={}, headers=headers)
    assert holder_pass.status_code == 201, holder_pass.get_json()
    assessed = client.post(
        f"/api/v1/households/{household_id}/assessments",
        json={"net_income": 150000, "assessed_on": "2026-03-01"},
        headers=headers,
    )
    assert assessed.status_code == 201, assessed.get_json()
    partner = world_partner(client, reference)
    device_key = str(partner.pop("device_key"))
    return World(
        path_parameters={
            "household_id": household_id,
            "code": "stadsfonds",
            "pc4": "1315",
            "key": "lodgers",
            "person_id": holders[1],  # no pass yet: issuing one succeeds
            "number": holder_pass.get_json()["number"],
            "user_id": user.id,  # the caseworker who registered the households
            **partner,
        },
        requests={
            **valid_requests(household_id, child_id),
            **partner_requests(partner["location_id"]),
            **device_requests(holder_pass.get_json()["number"]),
        },
        device_key=device_key,
    )


def world_partner(client: FlaskClient, session: Session) -> dict[str, Any]:
    """A partner with a location, an open contract for free travel, a device and an offer."""
    admin, _, _ = make_staff(session, Role.administrator, app=client.application)
    headers = token_headers(session, admin)

    def post(url: str, body: dict[str, Any]) -> int:
        response = client.post(f"/api/v1{url}", json=body, headers=headers)
        assert response.status_code == 201, response.get_json()
        return int(response.get_json()["id"])

    partner_id = post("/partners", {**NEW_PARTNER, "kvk_number": "12345678"})
    location_id = post(f"/partners/{partner_id}/locations", NEW_LOCATION)
    contract = {"scheme": "ov", "location_ids": [location_id], "valid_from": "2026-01-01",
                "tariff_kind": "per_ride", "tariff": 90}  # fmt: skip
    device = client.post(
        f"/api/v1/partners/{partner_id}/devices",
        json={"name": "Kassa", "location_id": location_id},
        headers=headers,
    ).get_json()
    return {
        "partner_id": partner_id,
        "location_id": location_id,
        "contract_id": post(f"/partners/{partner_id}/contracts", contract),
        "device_id": device["id"],
        "device_key": device["key"],
        "offer_id": post(f"/partners/{partner_id}/offers", NEW_OFFER),
        "redemption_id": 1,  # none exists: a reversal of it is a 404 after the guard
        "run_id": 1,  # no settlement run exists: a 404 (or 409) after the guard
    }


def device_requests(pass_number: str) -> dict[str, list[dict[str, Any]]]:
    """Requests a partner's device gets past validation with (almerepas.partners)."""
    ride = {"ride_id": "rit-1", "code": "geen-code", "ridden_at": "2026-03-02T08:00:00Z",
            "line": "M1", "stop": "Centrum"}  # fmt: skip
    return {
        "POST /partner/scans": [{"body": {"pass_number": pass_number}}],
        "POST /partner/redemptions": [
            {
                "body": {"scan_reference": "onbekend", "scheme": "ov"},
                "headers": {"Idempotency-Key": "fuzz-1"},
            },
        ],
        "POST /partner/rides": [{"body": {"rides": [ride]}}],
    }


def _strategy(
    operation: Any, world: World, allowed: bool, headers: dict[str, str]
) -> st.SearchStrategy[Any]:
    """Generated cases; for an allowed operation also invalid ones and ones on real data.

    The token goes in as an explicit header, so that invalid cases keep it: missing and broken
    tokens are the anonymous run's business.
    """
    modes = (
        [GenerationMode.POSITIVE, GenerationMode.NEGATIVE] if allowed else [GenerationMode.POSITIVE]
    )
    names = {parameter.name for parameter in operation.path_parameters}
    real = {k: v for k, v in world.path_parameters.items() if k in names}
    fixed = {"headers": headers or None}
    strategies = []
    for mode in modes:
        strategies.append(operation.as_strategy(generation_mode=mode, **fixed))
        if real:
            strategies.append(
                operation.as_strategy(generation_mode=mode, path_parameters=real, **fixed)
            )
    return st.one_of(strategies)


def _explicit(operation: Any, world: World, headers: dict[str, str]) -> list[schemathesis.Case]:
    """Requests on real data that pass validation, run first for a role that may call them."""
    names = {parameter.name for parameter in operation.path_parameters}
    real = {k: v for k, v in world.path_parameters.items() if k in names}
    return [
        operation.Case(
            path_parameters=real,
            headers={**headers, **request.get("headers", {})},
            media_type="application/json" if "body" in request else None,
            **{k: v for k, v in request.items() if k != "headers"},
        )
        for request in world.requests.get(operation.label) or [{}]
    ]


def problem_code(response: Any, codes: set[str]) -> str | None:
    """The code of a problem body, checked to be stable and to match its type and status."""
    if response.headers.get("content-type", [""])[0].split(";")[0].strip() != PROBLEM_MIME:
        assert response.status_code < 400, f"{response.status_code} is not problem+json"
        return None
    body = response.json()
    assert body["code"] in codes, f"unknown problem code {body['code']!r}"
    assert body["type"] == f"urn:almerepas:problem:{body['code']}"
    assert body["status"] == response.status_code
    code: str = body["code"]
    return code


@pytest.mark.usefixtures("keyed")  # the signing keys of pass codes: the bundle needs its key
@pytest.mark.parametrize("role", [None, *Role, DEVICE], ids=lambda r: r or "anonymous")
def test_api_agrees_with_its_openapi_document(
    app: Flask,
    reference: Session,
    world: World,
    frozen_clock: FrozenClock,
    caplog: pytest.LogCaptureFixture,
    role: Role | str | None,
) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=CONFIG)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    permissions = operation_permissions(app)
    codes = stable_codes()
    user: StaffUser | None = None
    headers: dict[str, str] = {}
    if role == DEVICE:
        headers = {"Authorization": f"Bearer {world.device_key}"}
    elif isinstance(role, Role):
        user, _, _ = make_staff(reference, role, app=app)
        headers = token_headers(reference, user)

    failures: list[str] = []
    seen: dict[str, Counter[tuple[int, str | None]]] = {}
    for operation in operations:
        permission = permissions[(operation.method.upper(), operation.path)]
        if operation.label in PARTNER_USERS_ONLY:  # a device has no login to end: 403
            allowed = False
        elif permission == PARTNER:  # a device key, whatever the staff role
            allowed = role == DEVICE
        else:
            allowed = permission is None or (
                isinstance(role, Role) and role in PERMISSIONS[permission]
            )
        # who is not known gets 401 (no staff token, no device key), a role that may not 403
        refusal = 403 if isinstance(role, Role) and permission != PARTNER else 401
        if role == DEVICE and operation.label in PARTNER_USERS_ONLY:
            refusal = 403
        logs_out = operation.label == "DELETE /tokens/current"

        def headers_for_case(logs_out: bool = logs_out) -> dict[str, str]:
            if user is not None and logs_out:
                return token_headers(reference, user)  # logging out revokes the token it sends
            return headers

        outcomes: list[tuple[int, str | None]] = []
        label = f"{operation.label} as {role or 'anonymous'}"
        try:
            _fuzz(operation, world, allowed, headers, headers_for_case, codes, outcomes, caplog)()
        except (Exception, BaseExceptionGroup) as exc:  # report every operation's failure at once
            failures.append(f"{label}:\n{exc}")
            continue
        seen[operation.label] = counted = Counter(outcomes)
        statuses = {status for status, _ in counted}
        if allowed and not statuses - {401, 403}:
            failures.append(f"{label}: never got past the guard: {sorted(statuses)}")
        # A path parameter with a control character is refused as 400 before anyone is asked
        # who they are (http/request_input.py); everything else must meet the guard.
        expected = refusal
        if not allowed and (expected not in statuses or statuses - {expected, 400}):
            failures.append(f"{label}: not refused with {expected}: {sorted(statuses)}")
    for name, counted in sorted(seen.items()):  # shown with -s, for a look at what was reached
        print(f"{role or 'anonymous':>13} {name:<50} {dict(sorted(counted.items()))}")
    assert not failures, "\n\n".join(failures)


def _fuzz(
    operation: Any,
    world: World,
    allowed: bool,
    headers: dict[str, str],
    headers_for_case: Callable[[], dict[str, str]],
    codes: set[str],
    outcomes: list[tuple[int, str | None]],
    caplog: pytest.LogCaptureFixture,
) -> Callable[[], None]:
    @seed(SEED)
    @settings(
        max_examples=EXAMPLES_ALLOWED if allowed else EXAMPLES_REFUSED,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=_strategy(operation, world, allowed, headers))
    def check(case: schemathesis.Case) -> None:
        caplog.clear()
        response = case.call_and_validate(headers=headers_for_case())
        assert response.status_code < 500, response.text
        # The 409 for an IntegrityError is a safety net: the domain should have refused first.
        assert "integrity error" not in caplog.text, f"a database constraint refused {case.body!r}"
        outcomes.append((response.status_code, problem_code(response, codes)))

    if allowed:
        for case in _explicit(operation, world, headers):
            check = example(case=case)(check)
    return check
