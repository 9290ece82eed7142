"""A partner sees only its own data: partner A walks every partner endpoint of the app (the JSON
API and the portal's pages, found in the url_map, so a new one cannot be forgotten) with partner
B's ids, scan reference and location in the path, the query and the body; nothing of B ever
comes back, and nothing of B changes."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.routing import Rule

from almerepas.audit.log import Actor
from almerepas.redemptions.at_partner import left_of, redeem_scanned
from almerepas.redemptions.models import Redemption, Scan
from almerepas.redemptions.scan import scan_pass
from tests.factories import KEYS
from tests.fixtures import START
from tests.partners.portal_support import (
    BAKERY,
    budget_holder,
    csrf,
    make_counter,
    portal_client,
)
from tests.staff.test_roles import PUBLIC_API_ENDPOINTS, PUBLIC_PARTNER_PAGES

pytestmark = pytest.mark.usefixtures("frozen_clock")

#: Anyone may log in, log out and pair a browser (tests/staff/test_roles.py keeps the list);
#: everything else under these prefixes is a partner's own.
PUBLIC = PUBLIC_PARTNER_PAGES | PUBLIC_API_ENDPOINTS
PREFIXES = ("/partner", "/api/v1/partner")
#: What the walk must at least have visited: if these are not found, the walk is broken.
KNOWN = {
    "portal.scan_page",
    "portal.scan",
    "portal.redeem",
    "portal.transactions",
    "portal.transactions_csv",
    "portal.reverse",
    "partner.me",
    "partner.scan",
    "partner.redeem",
    "partner.list_redemptions",
    "partner.reverse",
}
_keys = itertools.count()


def partner_rules(app: Flask) -> list[Rule]:
    return [
        rule
        for rule in app.url_map.iter_rules()
        if any(rule.rule == p or rule.rule.startswith(p + "/") for p in PREFIXES)
        and rule.endpoint not in PUBLIC
    ]


def test_every_partner_endpoint_asks_who_is_asking(app: Flask) -> None:
    """A new partner endpoint without @require_partner or @require_partner_page fails here."""
    unguarded = [
        rule.rule
        for rule in partner_rules(app)
        if not getattr(app.view_functions[rule.endpoint], "partner_view", False)
    ]
    assert unguarded == []


def test_partner_a_sees_nothing_of_partner_b_anywhere(app: Flask, keyed: Session) -> None:
    a = make_counter(keyed, schemes_here=("stadsfonds",))
    b = make_counter(
        keyed, BAKERY, schemes_here=("stadsfonds",), location_name="Winkel Kruidenwijk"
    )
    holder = budget_holder(keyed)
    actor = Actor("test")
    # B's history: a redemption of € 77,77 and a scan reference still unused.
    spent = scan_pass(
        keyed, partner=b.partner, location=b.location, device=b.device,
        pass_number=holder.pass_.number, now=START, keys=KEYS,
    )  # fmt: skip
    b_redemption = redeem_scanned(
        keyed, partner=b.partner, location=b.location, reference=spent.scan.reference,
        scheme_code="stadsfonds", quantity=77_77, given="amount", now=START, actor=actor,
    )  # fmt: skip
    assert isinstance(b_redemption, Redemption)
    unused = scan_pass(
        keyed, partner=b.partner, location=b.location, device=b.device,
        pass_number=holder.pass_.number, now=START, keys=KEYS,
    )  # fmt: skip
    b_reference = unused.scan.reference
    left_before = left_of(keyed, holder.grant)
    markers = [
        BAKERY["name"],
        BAKERY["kvk_number"],
        "Winkel Kruidenwijk",
        "77,77",
        "77.77",
        "7777",
        spent.scan.reference,
    ]

    page_client = portal_client(app, a)
    api_headers = {"Authorization": f"Bearer {a.key}"}
    fields: dict[str, Any] = {
        "scan_reference": b_reference,
        "scheme": "stadsfonds",
        "amount": "1",
        "location_id": str(b.location.id),
        "locatie": str(b.location.id),
    }
    walked = set()
    statuses: list[tuple[str, str, int, str]] = []
    for rule in partner_rules(app):
        url = rule.rule
        for name in rule.arguments:
            url = url.replace(f"<int:{name}>", str(b_redemption.id)).replace(
                f"<{name}>", str(b_redemption.id)
            )
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            # With B's location, reference and ids in the request, and a GET also without.
            for with_b in (True, False) if method == "GET" else (True,):
                response = _call(page_client, api_headers, method, url, fields, b, with_b)
                body = response.get_data(as_text=True)
                for marker in markers:
                    assert marker not in body, f"{method} {url} shows {marker!r} of partner B"
                walked.add(rule.endpoint)
                statuses.append((method, url, response.status_code, response.location or ""))
    assert walked >= KNOWN, f"the walk missed {KNOWN - walked}"
    # Every request was A's, signed in: not a login page that trivially shows nothing.
    assert [s for s in statuses if s[2] == 401 or "inloggen" in s[3]] == []

    keyed.expire_all()
    assert keyed.get_one(Redemption, b_redemption.id).reversed == 0
    assert keyed.get_one(Scan, unused.scan.id).used_at is None
    assert left_of(keyed, holder.grant) == left_before


def _call(
    page_client: FlaskClient,
    api_headers: dict[str, str],
    method: str,
    url: str,
    fields: dict[str, Any],
    b: Any,
    with_b: bool,
) -> Any:
    if url.startswith("/api/"):
        headers = {**api_headers, "Idempotency-Key": f"walk-{next(_keys)}"}
        if method == "GET":
            query = {"location_id": b.location.id, "scheme": "stadsfonds"}
            return page_client.get(url, query_string=query if with_b else {}, headers=api_headers)
        body = {
            "scan_reference": fields["scan_reference"],
            "scheme": "stadsfonds",
            "amount": 1,
            "location_id": b.location.id,
        }
        return page_client.open(url, method=method, json=body, headers=headers)
    if method == "GET":
        return page_client.get(url, query_string={"locatie": fields["locatie"]} if with_b else {})
    data = {**fields, "csrf_token": csrf(page_client)}
    return page_client.open(url, method=method, data=data, headers={"Idempotency-Key": "w"})
