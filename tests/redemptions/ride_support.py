"""A bus operator with a contract for the free-bus right (``ov``), and holders who may ride.

Shared by tests/redemptions/test_rides.py (the domain) and tests/partners/test_rides_api.py.
Needs the ``keyed`` fixture (reference data and signing keys made at START).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.orm import Session

from almerepas.audit.log import Actor
from almerepas.contracts import agreements, devices, partners
from almerepas.contracts.models import Contract, Device, Location, Partner, TariffKind
from almerepas.core.crypto import Keyring
from almerepas.grants.models import Grant
from almerepas.models import Pass
from almerepas.passes import credentials
from almerepas.schemes import catalogue as schemes
from tests.factories import KEYS, TEST_ACTOR, credential_pass, device_jwk, device_key, phone_code
from tests.fixtures import START

OPERATOR: dict[str, Any] = {
    "name": "Bus Almere",
    "kvk_number": "87654321",
    "iban": "NL91 ABNA 0417 1643 00",
    "payout_method": "sepa",
}
BUSES: dict[str, Any] = {
    "name": "Stadsbussen",
    "street": "Busbaan",
    "house_number": "1",
    "postcode": "1315 AB",
    "kind": "transport",
}


@dataclass
class Operator:
    partner: Partner
    location: Location
    device: Device
    #: the device's API key (almdev_...)
    key: str
    contract: Contract


def bus_operator(
    session: Session,
    *,
    valid_from: dt.date = dt.date(2026, 1, 1),
    valid_to: dt.date | None = None,
    contracted_here: bool = True,
    kvk_number: str = "87654321",
    keys: Keyring = KEYS,
    actor: Actor = TEST_ACTOR,
) -> Operator:
    """A bus operator whose validator (the device) stands at ``location``. Its ``ov`` contract
    runs from ``valid_from``; ``contracted_here=False`` puts it at another of its locations.
    ``keys`` hash the device's API key: a bench passes those of the server it talks to."""
    partner = partners.create_partner(session, {**OPERATOR, "kvk_number": kvk_number}, actor=actor)
    location = partners.add_location(session, partner, BUSES, actor=actor)
    elsewhere = partners.add_location(session, partner, {**BUSES, "name": "Buurtbus"}, actor=actor)
    contract = agreements.create_contract(
        session,
        partner,
        scheme=schemes.get_scheme(session, "ov"),
        location_ids=[location.id if contracted_here else elsewhere.id],
        valid_from=valid_from,
        valid_to=valid_to,
        tariff_kind=TariffKind.per_ride,
        tariff=150,
        actor=actor,
    )
    device, key = devices.create_device(
        session, partner, {"name": "Validator 1", "location_id": location.id}, keys=keys,
        actor=actor,
    )  # fmt: skip
    return Operator(partner, location, device, key, contract)


def free_bus(session: Session, pass_: Pass, period: str = "2026-03") -> Grant:
    """The holder's ``ov`` grant for a month, made directly (grant runs have their own tests)."""
    scheme = schemes.get_scheme(session, "ov")
    grant = Grant(
        scheme_id=scheme.id,
        period=period,
        beneficiary_key=f"person:{pass_.person_id}",
        person_id=pass_.person_id,
        amount=0,
    )
    session.add(grant)
    session.flush()
    return grant


def rider(session: Session, *, period: str | None = "2026-03") -> Pass:
    """A pass holder with the free-bus grant of ``period`` (None: without it)."""
    pass_ = credential_pass(session)
    if period is not None:
        free_bus(session, pass_, period)
    return pass_


def card_code(session: Session, pass_: Pass, now: dt.datetime = START) -> str:
    return credentials.issue_card_credential(session, pass_, keys=KEYS, now=now)


@dataclass
class Phone:
    device: ec.EllipticCurvePrivateKey
    credential: str

    def code(self, moment: dt.datetime) -> str:
        """The code the phone shows at ``moment`` (signed by the holder's device key)."""
        return phone_code(self.device, self.credential, moment)


def phone(session: Session, pass_: Pass, now: dt.datetime = START) -> Phone:
    device = device_key()
    issued = credentials.issue_phone_credential(
        session, pass_, device_jwk(device), keys=KEYS, now=now
    )
    return Phone(device, issued.token)
