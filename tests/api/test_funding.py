"""GET /funding-accounts: paginated with links, only funding accounts, validated query."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from almerepas.models import AccountKind
from tests.factories import make_account

LINK = re.compile(r'<([^>]*)>; rel="([a-z]+)"')


def link_pages(header: str) -> list[tuple[str, int]]:
    """(rel, page) for each link of an RFC 8288 Link header, in the order sent; every link must
    be to the funding list with the page size asked for (2)."""
    links = LINK.findall(header)
    assert ", ".join(f'<{url}>; rel="{rel}"' for url, rel in links) == header  # nothing else
    pages = []
    for url, rel in links:
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        assert parts.path == "/api/v1/funding-accounts" and query["pageSize"] == ["2"], url
        pages.append((rel, int(query["page"][0])))
    return pages


def test_pages_link_to_each_other_and_list_only_funding(client: FlaskClient, db: Session) -> None:
    for n in range(5):
        make_account(db, AccountKind.funding, code=f"funding:s{n}:2026")
    make_account(db, AccountKind.entitlement, code="entitlement:private")
    db.commit()

    first = client.get("/api/v1/funding-accounts?pageSize=2")
    assert first.status_code == 200
    body = first.get_json()
    assert [a["code"] for a in body["items"]] == ["funding:s0:2026", "funding:s1:2026"]
    assert body["total"] == 5 and body["page"] == 1 and body["page_size"] == 2
    assert link_pages(first.headers["Link"]) == [("first", 1), ("next", 2), ("last", 3)]

    last = client.get("/api/v1/funding-accounts?pageSize=2&page=3")
    assert [a["code"] for a in last.get_json()["items"]] == ["funding:s4:2026"]
    assert link_pages(last.headers["Link"]) == [("first", 1), ("prev", 2), ("last", 3)]
    all_codes = [
        a["code"]
        for p in (1, 2, 3)
        for a in client.get(f"/api/v1/funding-accounts?pageSize=2&page={p}").get_json()["items"]
    ]
    assert "entitlement:private" not in all_codes
    assert len(all_codes) == len(set(all_codes)) == 5


def test_page_size_above_the_maximum_is_a_400(client: FlaskClient) -> None:
    response = client.get("/api/v1/funding-accounts?pageSize=101")
    assert response.status_code == 400
    assert response.get_json(force=True)["errors"][0]["field"] == "pageSize"


def test_unknown_query_keys_are_a_400(client: FlaskClient) -> None:
    response = client.get("/api/v1/funding-accounts?page_size=2")
    assert response.status_code == 400
    assert response.get_json(force=True)["code"] == "validation_failed"
