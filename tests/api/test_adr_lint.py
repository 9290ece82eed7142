"""The OpenAPI document passes the project's NL API Design Rules ruleset (.spectral.yaml), run by
Spectral on the document as generated (``flask openapi print``) and as served; and the ruleset
does catch a document that breaks a rule. Without Spectral (``npm ci``) these tests are skipped
with the reason, except under CI=true, where that is a failure."""

from __future__ import annotations

import copy
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.api.retiring import register_retiring
from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parents[2]
SPECTRAL = ROOT / "node_modules" / ".bin" / "spectral"
RULESET = ROOT / ".spectral.yaml"
ERROR, WARNING = 0, 1

#: Warnings kept on purpose, by rule code, each with its reason (README, API Design Rules).
#: None today: every warning of the ruleset is fixed in the document instead.
ALLOWED_WARNINGS: dict[str, str] = {}

Finding = dict[str, Any]


def spectral() -> Path:
    if not SPECTRAL.exists():
        reason = f"Spectral is not installed ({SPECTRAL}; run npm ci): the ADR lint is skipped"
        if IN_CI:
            pytest.fail(f"CI=true needs it: {reason}", pytrace=False)
        pytest.skip(reason)
    return SPECTRAL


def lint(document: dict[str, Any], folder: Path, ruleset: Path = RULESET) -> list[Finding]:
    """Spectral's findings for ``document`` under our ruleset."""
    source, report = folder / "openapi.json", folder / "spectral.json"
    source.write_text(json.dumps(document), encoding="utf-8")
    command = [str(spectral()), "lint", "--ruleset", str(ruleset), "--format", "json"]
    command += ["--output", str(report), "--quiet", str(source)]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=180)
    # 0: nothing found, 1: findings; anything else is Spectral failing (a broken ruleset).
    assert run.returncode in (0, 1), run.stdout + run.stderr
    findings: list[Finding] = json.loads(report.read_text(encoding="utf-8"))
    return findings


def failures(findings: list[Finding]) -> list[str]:
    """Every error, and every warning that is not allowed with a reason."""
    return [
        f"{f['code']} at {'/'.join(map(str, f['path']))}: {f['message']}"
        for f in findings
        if f["severity"] == ERROR
        or (f["severity"] == WARNING and f["code"] not in ALLOWED_WARNINGS)
    ]


@pytest.fixture
def api_app(make_app: Callable[..., Flask]) -> Flask:
    """The app without a database: the document needs none."""
    return make_app("sqlite://")


def served(app: Flask) -> dict[str, Any]:
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.get_json()
    return document


def test_the_document_as_served_follows_the_design_rules(api_app: Flask, tmp_path: Path) -> None:
    assert failures(lint(served(api_app), tmp_path)) == []


def test_the_document_as_generated_follows_the_design_rules(api_app: Flask, tmp_path: Path) -> None:
    """What ``flask openapi print`` gives: the spec itself, paths with their /api/v1 prefix."""
    with api_app.app_context():
        document = api_app.extensions["almerepas.api"].spec.to_dict()
    assert failures(lint(document, tmp_path)) == []


def test_a_retired_operation_still_follows_the_design_rules(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    """Its Deprecation and Sunset headers are declared once and referenced, like API-Version."""
    app = make_app("sqlite://")
    register_retiring(app)
    document = served(app)
    assert document["paths"]["/old-things"]["get"]["deprecated"] is True
    assert failures(lint(document, tmp_path)) == []


def _without_version_header(document: dict[str, Any]) -> None:
    del document["paths"]["/health"]["get"]["responses"]["200"]["headers"]["API-Version"]


def _relative_server(document: dict[str, Any]) -> None:
    document["servers"] = [{"url": "/api/v1"}]


def _snake_case_query_key(document: dict[str, Any]) -> None:
    for parameter in document["paths"]["/audit-events"]["get"]["parameters"]:
        if parameter["name"] == "pageSize":
            parameter["name"] = "page_size"


def _noun_operation_id(document: dict[str, Any]) -> None:
    document["paths"]["/health"]["get"]["operationId"] = "health"


def _no_operation_id(document: dict[str, Any]) -> None:
    del document["paths"]["/health"]["get"]["operationId"]


def _json_error(document: dict[str, Any]) -> None:
    document["components"]["responses"]["NOT_FOUND"]["content"] = {
        "application/json": {"schema": {"type": "object"}}
    }


def _trailing_slash(document: dict[str, Any]) -> None:
    document["paths"]["/health/"] = document["paths"].pop("/health")


@pytest.mark.parametrize(
    ("breakage", "rule", "where"),
    [
        (_without_version_header, "nlgov:missing-version-header", "/health/get/responses/200"),
        (_relative_server, "nlgov:servers-use-https", "servers/0/url"),
        (_snake_case_query_key, "nlgov:query-keys-camel-case", "/audit-events/get/parameters"),
        (_noun_operation_id, "almerepas:operation-id-verb-first", "/health/get/operationId"),
        (_no_operation_id, "operation-operationId", "/health/get"),
        (_json_error, "nlgov:use-problem-schema", "responses/NOT_FOUND/content"),
        (_trailing_slash, "nlgov:paths-no-trailing-slash", "paths/"),
    ],
)
def test_the_ruleset_catches_a_document_that_breaks_a_rule(
    api_app: Flask,
    tmp_path: Path,
    breakage: Callable[[dict[str, Any]], None],
    rule: str,
    where: str,
) -> None:
    document = copy.deepcopy(served(api_app))
    breakage(document)
    found = [f for f in failures(lint(document, tmp_path)) if f.startswith(rule + " ")]
    assert found, f"{rule} did not fire"
    assert any(where in line for line in found), found


def test_the_problem_members_deviation_is_real(api_app: Flask, tmp_path: Path) -> None:
    """nlgov:problem-schema-members is off on purpose (README, API Design Rules): switched on, it
    fires on our problem schema, for its stable ``code`` and the other extension members."""
    text = RULESET.read_text(encoding="utf-8")
    switched_on = text.replace("    severity: off\n", "    severity: error\n")
    assert switched_on != text
    ruleset = tmp_path / "switched-on.yaml"
    ruleset.write_text(switched_on, encoding="utf-8")
    found = failures(lint(served(api_app), tmp_path, ruleset))
    assert [line.split(" ")[0] for line in found] == ["nlgov:problem-schema-members"]
