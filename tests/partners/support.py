"""A partner's counter and a family to serve at it, made the way the app makes them.

The Sportclub has two locations, Sporthal Haven (where its device stands) and Zwembad Noord;
its contracts cover the four kinds of scheme at the hall only. The family (a parent and a child
of 12) has the year's stadsfonds budget for the child and March's supermarket discount,
period packs and free buses; each has a pass with a printed card code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from almerepas.audit.log import Actor
from almerepas.contracts import agreements, devices, partners
from almerepas.contracts.models import Location, Partner
from almerepas.grants import runs as grants
from almerepas.households.models import Household
from almerepas.models import MemberRole, Pass
from almerepas.passes.credentials import issue_card_credential
from almerepas.schemes import catalogue as schemes
from tests.factories import KEYS, TEST_ACTOR, assess, born, credential_pass, make_household
from tests.fixtures import START

SCHEMES = ("stadsfonds", "supermarkt", "menstruatie", "ov")
PLACE = {"street": "Havenstraat", "house_number": "1", "postcode": "1315AB", "kind": "sport"}
_kvk = iter(range(10_000_000, 99_999_999, 7919))


@dataclass
class Counter:
    partner: Partner
    hall: Location
    pool: Location
    #: the hall's device key: ``Authorization: Bearer <key>``
    key: str
    family: Household | None = None
    passes: dict[str, Pass] = field(default_factory=dict)
    cards: dict[str, str] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def open_counter(
    session: Session, name: str = "Sportclub Almere", schemes_here: tuple[str, ...] = SCHEMES
) -> Counter:
    partner = partners.create_partner(
        session,
        {"name": name, "kvk_number": str(next(_kvk)), "iban": "NL91ABNA0417164300",
         "payout_method": "sepa"},
        actor=TEST_ACTOR,
    )  # fmt: skip
    hall, pool = (
        partners.add_location(session, partner, {**PLACE, "name": place}, actor=TEST_ACTOR)
        for place in ("Sporthal Haven", "Zwembad Noord")
    )
    for code in schemes_here:
        agreements.create_contract(
            session, partner, scheme=schemes.get_scheme(session, code), location_ids=[hall.id],
            valid_from=dt.date(2026, 1, 1), valid_to=None, tariff_kind="amount_redeemed",
            tariff=None, actor=TEST_ACTOR,
        )  # fmt: skip
    _, key = devices.create_device(
        session, partner, {"name": "Kassa 1", "location_id": hall.id}, keys=KEYS, actor=TEST_ACTOR
    )
    return Counter(partner, hall, pool, key)


def serve_family(session: Session, counter: Counter, *, stadsfonds: int = 300_00) -> Counter:
    """The family, its March and 2026 grants, and a pass with a card code for parent and child."""
    schemes.update_scheme(
        session, schemes.get_scheme(session, "stadsfonds"), {"amount": stadsfonds},
        actor=TEST_ACTOR,
    )  # fmt: skip
    family = make_household(
        session, [(MemberRole.applicant, born(40)), (MemberRole.child, born(12))]
    )
    assess(session, family, (100, 100), on=dt.date(2026, 2, 1))
    for period in ("2026", "2026-03"):
        grants.issue(
            session, period=period, actor=Actor("test"), today=dt.date(2026, 3, 1),
            schemes=list(SCHEMES),
        )  # fmt: skip
    counter.family = family
    for membership in family.memberships:
        who = "parent" if membership.role == MemberRole.applicant else "child"
        pass_ = credential_pass(session, membership.person_id)
        counter.passes[who] = pass_
        counter.cards[who] = issue_card_credential(session, pass_, keys=KEYS, now=START)
    return counter


def scan(client: FlaskClient, counter: Counter, who: str = "child", **body: Any) -> Any:
    sent = body or {"code": counter.cards[who]}
    return client.post("/api/v1/partner/scans", json=sent, headers=counter.headers)


_keys = iter(range(1, 10**9))


def redeem(
    client: FlaskClient, counter: Counter, reference: str, scheme: str, *,
    key: str | None = None, **amounts: Any,
) -> Any:  # fmt: skip
    headers = {**counter.headers, "Idempotency-Key": key or f"key-{next(_keys)}"}
    body = {"scan_reference": reference, "scheme": scheme, **amounts}
    return client.post("/api/v1/partner/redemptions", json=body, headers=headers)


def scan_and_redeem(
    client: FlaskClient, counter: Counter, who: str, scheme: str, **amounts: Any
) -> Any:
    scanned = scan(client, counter, who)
    assert scanned.status_code == 201, scanned.get_json()
    return redeem(client, counter, scanned.get_json()["scan_reference"], scheme, **amounts)
