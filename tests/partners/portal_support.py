"""A partner at a counter and a holder with something to spend there, made the way the staff
API and a grant run make them. Shared by the portal's page tests and its browser tests."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.contracts import agreements, devices, partners
from almerepas.contracts.models import Device, Location, Partner
from almerepas.grants import runs as grants
from almerepas.grants.models import Grant
from almerepas.holders.sessions import open_session
from almerepas.models import MemberRole, Pass, Person
from almerepas.passes.credentials import issue_card_credential
from almerepas.passes.numbers import random_number
from almerepas.schemes import catalogue as schemes
from almerepas.web.holder.session import PERSON_KEY, TOKEN_KEY
from tests.factories import KEYS, TEST_ACTOR, assess, born, credential_pass, make_household
from tests.fixtures import START
from tests.redemptions.support import child_budget

SPORTCLUB: dict[str, Any] = {
    "name": "Sportclub Almere",
    "kvk_number": "12345678",
    "iban": "NL91 ABNA 0417 1643 00",
    "payout_method": "sepa",
}
BAKERY: dict[str, Any] = {
    "name": "Bakkerij De Korenbloem",
    "kvk_number": "87654321",
    "iban": "NL20 INGB 0001 2345 67",
    "payout_method": "sepa",
}


@dataclass
class Counter:
    """A partner's location with a paired counter device."""

    partner: Partner
    location: Location
    device: Device
    key: str


def make_counter(
    session: Session,
    data: dict[str, Any] = SPORTCLUB,
    schemes_here: tuple[str, ...] = ("stadsfonds",),
    location_name: str = "Sporthal Haven",
) -> Counter:
    """A partner with one location, a running contract for each scheme there, and a device."""
    partner = partners.create_partner(session, data, actor=TEST_ACTOR)
    location = partners.add_location(
        session,
        partner,
        {
            "name": location_name,
            "street": "Havenstraat",
            "house_number": "12",
            "postcode": "1315AB",
            "kind": "sport",
        },
        actor=TEST_ACTOR,
    )
    for code in schemes_here:
        agreements.create_contract(
            session,
            partner,
            scheme=schemes.get_scheme(session, code),
            location_ids=[location.id],
            valid_from=dt.date(2026, 1, 1),
            valid_to=None,
            tariff_kind="amount_redeemed",
            tariff=None,
            actor=TEST_ACTOR,
        )
    device, key = devices.create_device(
        session, partner, {"name": "Kassa 1", "location_id": location.id}, keys=KEYS,
        actor=TEST_ACTOR,
    )  # fmt: skip
    return Counter(partner, location, device, key)


@dataclass
class Holder:
    grant: Grant
    pass_: Pass


def budget_holder(session: Session, amount: int = 300_00) -> Holder:
    """A child with a yearly sport and culture budget (stadsfonds) and an active pass."""
    grant = child_budget(session, amount)
    assert grant.person_id is not None
    return Holder(grant, _typed_pass(session, grant.person_id))


def quota_holder(session: Session, code: str = "menstruatie") -> Holder:
    """An adult with March's grant of a monthly scheme (``menstruatie`` packs, the
    ``supermarkt`` discount of the household, ``ov`` free buses) and an active pass."""
    family = make_household(session, [(MemberRole.applicant, born(40))])
    assess(session, family, (100, 100), on=dt.date(2026, 2, 1))
    grants.issue(
        session, period="2026-03", actor=TEST_ACTOR, today=dt.date(2026, 3, 1), schemes=[code]
    )
    grant = session.scalars(
        select(Grant)
        .where(Grant.scheme_id == schemes.get_scheme(session, code).id, Grant.period == "2026-03")
        .order_by(Grant.id.desc())
    ).first()
    assert grant is not None
    return Holder(grant, _typed_pass(session, family.memberships[0].person_id))


def _typed_pass(session: Session, person_id: int) -> Pass:
    """An active pass whose number has its check digit, so a cashier can type it."""
    pass_ = credential_pass(session, person_id)
    pass_.number = random_number()
    session.flush()
    return pass_


def card_code(session: Session, pass_: Pass) -> str:
    """The QR text of the printed card: a real signed code (needs the signing keys)."""
    return issue_card_credential(session, pass_, keys=KEYS, now=START)


PAIR = "/partner/apparaat-koppelen"


def portal_client(app: Flask, counter: Counter) -> FlaskClient:
    """A test client paired with the counter device, as a cashier pairs a browser: the key
    pasted once on the pairing page."""
    client = app.test_client()
    page = client.get(PAIR).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF token on the pairing page"
    paired = client.post(PAIR, data={"key": counter.key, "csrf_token": match.group(1)})
    assert paired.status_code == 303, paired.get_data(as_text=True)
    return client


def holder_client(app: Flask, session: Session, pass_: Pass) -> FlaskClient:
    """A test client logged in on Mijn Almerepas as the pass's holder."""
    client = app.test_client()
    token = open_session(session, session.get_one(Person, pass_.person_id), now=START)
    with client.session_transaction() as cookie:
        cookie[TOKEN_KEY] = token
        cookie[PERSON_KEY] = pass_.person_id
    return client


def csrf(client: FlaskClient) -> str:
    html = client.get("/partner").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the scan page"
    return match.group(1)
