"""The OpenAPI document is valid, follows the NL API design rules, and describes errors as sent."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from openapi_spec_validator import validate
from sqlalchemy.orm import Session

from almerepas.config import API_VERSION

PATH_RULE = re.compile(r"^(/[a-z0-9-]+|/\{[^}]+\})*(/_[a-z]+)?$")
CAMEL_CASE = re.compile(r"^[a-z][a-zA-Z0-9]*$")


@pytest.fixture
def spec(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    document: dict[str, Any] = response.get_json()
    return document


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]


def test_document_is_valid_openapi_3(spec: dict[str, Any]) -> None:
    validate(spec)
    assert spec["openapi"].startswith("3.")


def test_document_follows_the_design_rules(spec: dict[str, Any]) -> None:
    assert spec["info"]["version"] == API_VERSION
    assert re.fullmatch(r"\d+\.\d+\.\d+", spec["info"]["version"])
    assert {"name", "url", "email"} <= set(spec["info"]["contact"])
    assert all(server["url"].endswith("/v1") for server in spec["servers"])
    for path, _method, op in operations(spec):
        assert PATH_RULE.match(path), path
        for parameter in op.get("parameters", []):
            if parameter["in"] == "query":
                assert CAMEL_CASE.match(parameter["name"]), parameter["name"]
        if op.get("parameters") or op.get("requestBody"):
            assert "400" in op["responses"], f"{path} documents no 400"


def test_every_error_response_is_documented_as_problem_json(spec: dict[str, Any]) -> None:
    problem = spec["components"]["schemas"]["Problem"]
    assert set(problem["required"]) >= {"type", "title", "status", "detail", "code"}
    responses = spec["components"]["responses"]
    for path, _method, op in operations(spec):
        assert "default" in op["responses"], path
        for status, response in op["responses"].items():
            if status.startswith(("4", "5")) or status == "default":
                ref = response.get("$ref", "")
                resolved = responses[ref.rsplit("/", 1)[-1]] if ref else response
                assert list(resolved["content"]) == ["application/problem+json"], (path, status)


def test_documented_paths_exist_at_their_server_url(
    client: FlaskClient, spec: dict[str, Any], keyed: Session
) -> None:
    """(``keyed``: the validator bundle needs its signing key.)"""
    for path, method, op in operations(spec):
        if method == "get" and "{" not in path:
            # Without a token, an operation that needs one answers 401, as documented.
            expected = 401 if op.get("security") else 200
            assert client.get("/api/v1" + path).status_code == expected, path


def test_browsable_docs_are_served_without_a_cdn(client: FlaskClient) -> None:
    page = client.get("/api/v1/docs", headers={"Accept": "text/html"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/static/swagger-ui/swagger-ui-bundle.js" in html
    assert "https://" not in html.split("<body>")[0]
    with client.get("/static/swagger-ui/swagger-ui-bundle.js") as asset:
        assert asset.status_code == 200
