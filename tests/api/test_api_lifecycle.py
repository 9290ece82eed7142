"""The design rules a linter cannot see: a changelog published with the document
(/core/changelog), a retired operation that says so and when it goes
(/core/deprecation-schedule, RFC 9745 and RFC 8594), and the document at a stable URL per major
version (/core/publish-openapi)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from flask import Flask

from almerepas.api.changelog import RELEASES
from almerepas.config import API_VERSION
from almerepas.http.api_doc import retired
from tests.api.retiring import register_retiring


@pytest.fixture
def api_app(make_app: Callable[..., Flask]) -> Flask:
    """The app without a database: none of this needs one."""
    return make_app("sqlite://")


def _semver(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("-")[0].split("."))


def test_the_changelog_is_public_and_names_the_current_version_first(api_app: Flask) -> None:
    response = api_app.test_client().get("/api/v1/changelog")
    assert response.status_code == 200
    assert response.headers["API-Version"] == API_VERSION
    releases = response.get_json()["items"]
    assert releases[0]["version"] == API_VERSION, "a new API_VERSION needs its changelog entry"
    assert all(release["changes"] for release in releases)
    versions = [_semver(release["version"]) for release in releases]
    assert versions == sorted(versions, reverse=True) and len(set(versions)) == len(versions)
    dates = [release["date"] for release in releases]
    assert dates == sorted(dates, reverse=True)


def test_the_document_links_to_its_changelog(api_app: Flask) -> None:
    document = api_app.test_client().get("/api/v1/openapi.json").get_json()
    assert document["info"]["version"] == API_VERSION == RELEASES[0].version
    link = document["externalDocs"]["url"]
    assert link == api_app.config["PUBLIC_URL"] + "/api/v1/changelog"
    assert "/changelog" in document["info"]["description"]


def test_the_document_lives_at_one_url_per_major_version(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app("sqlite://", PUBLIC_URL="https://pas.example.nl")
    client = app.test_client()
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200  # no token needed
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    document = response.get_json()
    assert [server["url"] for server in document["servers"]] == ["https://pas.example.nl/api/v1"]
    for elsewhere in ("/api/openapi.json", "/api/v2/openapi.json", "/api/v1/openapi.json/"):
        assert client.get(elsewhere).status_code == 404, elsewhere


def test_a_retired_operation_answers_with_deprecation_and_sunset(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app("sqlite://")
    register_retiring(app)
    client = app.test_client()
    response = client.get("/api/v1/old-things")
    assert response.status_code == 200
    assert response.headers["Deprecation"] == "@1798761600"  # 2027-01-01T00:00:00Z
    assert response.headers["Sunset"] == "Thu, 01 Jul 2027 00:00:00 GMT"
    assert '</api/v1/changelog>; rel="deprecation"' in response.headers.getlist("Link")
    # An error from it says so too: the client learns it either way.
    refused = client.get("/api/v1/old-things?colour=red")
    assert refused.status_code == 400
    assert refused.headers["Sunset"] == "Thu, 01 Jul 2027 00:00:00 GMT"
    # Operations that are not retired say nothing of the kind.
    assert "Deprecation" not in client.get("/api/v1/changelog").headers

    operation = client.get("/api/v1/openapi.json").get_json()["paths"]["/old-things"]["get"]
    assert operation["deprecated"] is True
    assert {"API-Version", "Deprecation", "Sunset", "Link"} <= set(
        operation["responses"]["200"]["headers"]
    )
    assert "verdwijnt na 2027-07-01. Gebruik GET /schemes." in operation["description"]


def test_an_operation_is_retired_with_at_least_half_a_year_of_notice() -> None:
    since = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    with pytest.raises(ValueError, match="180 days"):
        retired(since, since + dt.timedelta(days=90))
    with pytest.raises(ValueError, match="time zone"):
        retired(dt.datetime(2027, 1, 1), dt.datetime(2028, 1, 1))  # noqa: DTZ001
