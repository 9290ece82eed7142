"""Walk every guarded endpoint with every role: the role table in one place is what happens.

New endpoints join the walk by themselves (``@require_role``). An /api/v1 endpoint without a
permission must be listed in PUBLIC_API_ENDPOINTS here, on purpose, or be the partner API's
(``@require_partner``: a partner's device or user, never staff). A portal page under /partner/
needs ``@require_partner_page`` or a place in PUBLIC_PARTNER_PAGES.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.routing import IntegerConverter, Rule

from almerepas.http.guard import SESSION_TOKEN_KEY, endpoint_permissions
from almerepas.models import Role, StaffUser
from almerepas.staff.permissions import PERMISSIONS, ROLE_LABELS
from almerepas.staff.tokens import issue_token
from tests.factories import make_staff

DOCS = Path(__file__).resolve().parents[2] / "docs" / "roles.md"

#: Endpoints under /api/v1 that anyone may call, and why.
PUBLIC_API_ENDPOINTS = {
    "api-docs.openapi_json",  # the OpenAPI document
    "api-docs.openapi_swagger_ui",  # its browsable page
    "health.health",  # for load balancers and monitoring
    "health.liveness",  # the same, split as the probes of docs/operations.md
    "health.readiness",
    "changelog.changelog",  # what changed in the API, published with the document (ADR)
    "funding.list_funding_accounts",  # budgets are public money
    "tokens.create_token",  # logging in
    "partner_tokens.create_partner_token",  # a partner user logging in
    "keys.public_keys",  # public keys are public: anyone may check a code's signature
    # keys and hashed revocations only; partner devices authenticate to it with issue 11
    "keys.validator_bundle",
}

#: Portal pages anyone may open: logging in and out, pairing a counter's browser and unpairing.
PUBLIC_PARTNER_PAGES = {
    "partner_login.login",
    "partner_login.logout",
    "partner_login.pair",
    "partner_login.unpair",
}


def guarded_rules(app: Flask) -> list[tuple[Rule, str, str]]:
    """(rule, method, permission) for every guarded endpoint and each of its methods."""
    permissions = endpoint_permissions(app)
    return [
        (rule, method, permissions[rule.endpoint])
        for rule in app.url_map.iter_rules()
        if rule.endpoint in permissions
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
    ]


def url_for_rule(app: Flask, rule: Rule, method: str) -> str:
    """A URL for ``rule`` with made-up path values: the guard runs before any lookup."""
    converters = rule._converters  # no public way to read a rule's converters
    values = {
        name: 1 if isinstance(converters[name], IntegerConverter) else "x"
        for name in rule.arguments
    }
    return app.url_map.bind("localhost").build(rule.endpoint, values, method=method)


def partner_endpoints(app: Flask) -> set[str]:
    """The endpoints for partners' devices and users (``@require_partner``), not for staff."""
    return {
        endpoint
        for endpoint, view in app.view_functions.items()
        if getattr(view, "partner_view", False)
    }


def test_partner_endpoints_refuse_staff_and_anyone_without_a_device_key(
    app: Flask, db: Session
) -> None:
    """A staff token is no partner's key: every partner endpoint answers 401 to it."""
    user = make_staff(db, Role.administrator, app=app)[0]
    staff = {"Authorization": f"Bearer {issue_token(db, user)}"}
    found = [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint in partner_endpoints(app) and rule.rule.startswith("/api/")
    ]
    assert len(found) >= 5
    for rule in found:
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            url = url_for_rule(app, rule, method)
            for headers in ({}, staff):
                answer = app.test_client().open(url, method=method, headers=headers)
                assert answer.status_code == 401, (method, url, answer.get_json())
                assert answer.get_json()["code"] == "partner_not_authenticated"


def test_every_staff_endpoint_declares_a_permission(app: Flask) -> None:
    permissions = endpoint_permissions(app)
    assert set(permissions.values()) <= set(PERMISSIONS)
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if rule.rule.startswith("/api/v1/"):
            assert (
                rule.endpoint in permissions
                or rule.endpoint in PUBLIC_API_ENDPOINTS
                or getattr(view, "partner_view", False)
            ), f"{rule.rule} has no @require_role or @require_partner and is not listed as public"
        if rule.rule.startswith("/partner/"):
            assert getattr(view, "partner_page", False) or rule.endpoint in PUBLIC_PARTNER_PAGES, (
                f"{rule.rule} has no @require_partner_page and is not listed as public"
            )
        if rule.rule.startswith("/medewerkers"):
            assert rule.endpoint in permissions, f"{rule.rule} has no @require_role"


def test_every_role_gets_exactly_what_the_table_says(app: Flask, db: Session) -> None:
    app.config["WTF_CSRF_ENABLED"] = False  # a refused CSRF token would hide the 403
    users: dict[Role, StaffUser] = {role: make_staff(db, role, app=app)[0] for role in Role}
    walked = guarded_rules(app)
    assert len(walked) >= 4
    for rule, method, permission in walked:
        url = url_for_rule(app, rule, method)
        is_api = rule.rule.startswith("/api/")
        anonymous = app.test_client().open(url, method=method)
        assert anonymous.status_code == (401 if is_api else 303), (method, url)

        for role, user in users.items():
            client = app.test_client()
            token = issue_token(db, user)  # fresh: an allowed DELETE /tokens/current ends it
            headers = {"Authorization": f"Bearer {token}"} if is_api else {}
            if not is_api:
                with client.session_transaction() as cookie:
                    cookie[SESSION_TOKEN_KEY] = token
            response = client.open(url, method=method, headers=headers)
            if role in PERMISSIONS[permission]:
                assert response.status_code not in (401, 403), (role, method, url)
            else:
                assert response.status_code == 403, (role, method, url)


def documented_table() -> dict[str, frozenset[Role]]:
    """The permission table as docs/roles.md shows it."""
    lines = DOCS.read_text(encoding="utf-8").splitlines()
    header = next(line for line in lines if line.startswith("| permission"))
    columns = [cell.strip() for cell in header.strip("|").split("|")]
    role_columns = {
        index: Role(match.group(1))
        for index, cell in enumerate(columns)
        if (match := re.search(r"\((\w+)\)", cell))
    }
    table: dict[str, frozenset[Role]] = {}
    for line in lines:
        if line.startswith("| `"):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            name = cells[0].strip("`")
            table[name] = frozenset(role for i, role in role_columns.items() if cells[i] == "✓")
    return table


def test_docs_roles_md_shows_the_same_table(app: Flask) -> None:
    assert documented_table() == PERMISSIONS
    text = DOCS.read_text(encoding="utf-8")
    with app.test_request_context():
        for role, label in ROLE_LABELS.items():
            assert f"{label} ({role.value})" in text


@pytest.mark.parametrize("permission", sorted(PERMISSIONS))
def test_the_auditor_only_reads(permission: str) -> None:
    if Role.auditor in PERMISSIONS[permission]:
        assert permission.endswith((".read", ".preview")) or permission == "signed_in"
