"""Factories: plain functions that make rows with the fewest lines (no pytest fixtures here).

- ledger: ``make_account``, ``funded_account``
- staff: ``make_staff``, ``totp_now``, ``login_headers``, ``staff_headers``, ``token_headers``
- partners: ``make_partner``, ``make_location``, ``make_partner_user``, ``make_device``
- households: ``make_household``, ``assess``, ``born``
- reference data by name: ``seed_scheme``
- passes and codes: ``credential_pass``, ``device_key``, ``device_jwk``, ``holder_signature``,
  ``phone_code``, ``step_at``

Shared fixtures (frozen clock, ``reference``, ``count_queries``...) live in tests/fixtures.py.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import itertools
import uuid
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any

import pyotp
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from flask import has_app_context
from sqlalchemy.orm import Session

from almerepas.audit.log import Actor
from almerepas.contracts import devices as partner_devices
from almerepas.contracts import partners as partner_records
from almerepas.contracts import users as partner_users
from almerepas.core import clock
from almerepas.core.crypto import Keyring
from almerepas.households import members as households
from almerepas.households.members import Address
from almerepas.income import assessments, norms
from almerepas.income import rules as eligibility
from almerepas.ledger import posting as ledger
from almerepas.ledger.posting import EUR, Leg
from almerepas.models import (
    Account,
    AccountKind,
    EntryKind,
    Household,
    IncomeAssessment,
    MemberRole,
    Pass,
    PassStatus,
)
from almerepas.passes.numbers import with_check_digit
from almerepas.reference.loaders import seed_schemes
from almerepas.staff.accounts import create_staff_user
from almerepas.staff.tokens import issue_token

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient

    from almerepas.models import (
        Device,
        Location,
        Partner,
        PartnerRole,
        PartnerUser,
        Role,
        StaffUser,
    )


#: Every test app is made with this secret (tests/conftest.py), so the keys the factories
#: encrypt with are the keys the app decrypts with, with or without an app at hand.
TEST_SECRET_KEY = "almerepas-test-secret-not-for-production"
KEYS = Keyring.from_config(secret_key=TEST_SECRET_KEY, argon2_profile="cheapest")
#: Who acts in a test that calls an operation directly.
TEST_ACTOR = Actor("test")


# -- ledger (almerepas.ledger) ------------------------------------------------------------------


def make_account(
    session: Session,
    kind: AccountKind = AccountKind.entitlement,
    unit: str = EUR,
    code: str | None = None,
    **kwargs: object,
) -> Account:
    return ledger.open_account(
        session,
        code=code or f"{kind.value}:{uuid.uuid4().hex[:12]}",
        name=f"test {kind.value}",
        kind=kind,
        unit=unit,
        **kwargs,  # type: ignore[arg-type]
    )


def funded_account(session: Session, balance: int, unit: str = EUR) -> tuple[Account, Account]:
    """A bounded entitlement holding ``balance``, granted from an unbounded source."""
    source = make_account(session, AccountKind.source, unit)
    account = make_account(session, AccountKind.entitlement, unit)
    ledger.post_entry(
        session,
        kind=EntryKind.grant,
        natural_key=f"test:grant:{uuid.uuid4().hex}",
        legs=[Leg(source, account, balance)],
        actor="test",
    )
    return source, account


# -- staff accounts (almerepas.staff) -----------------------------------------------------------

STAFF_PASSWORD = "correct horse battery staple"


def make_staff(
    session: Session,
    role: Role | str,
    *,
    app: Flask | None = None,
    username: str | None = None,
    password: str = STAFF_PASSWORD,
) -> tuple[StaffUser, str, str]:
    """A new active staff account with ``role``: returns (user, password, totp_secret).

    Needs an app context (the TOTP secret is encrypted with the app's key): call it inside
    ``with app.app_context():`` or pass ``app=``.
    """
    context: AbstractContextManager[object] = (
        app.app_context() if app is not None and not has_app_context() else nullcontext()
    )
    with context:
        user, secret = create_staff_user(
            session,
            username=username or f"test.{uuid.uuid4().hex[:12]}",
            display_name="Test Medewerker",
            role=role,
            password=password,
            actor=Actor("test"),
            keys=KEYS,
        )
    return user, password, secret


def totp_now(secret: str) -> str:
    """The code an authenticator app shows now (almerepas.clock.now, so frozen time works)."""
    return pyotp.TOTP(secret).at(clock.now())


def login_headers(client: FlaskClient, username: str, password: str, secret: str) -> dict[str, str]:
    """Log in through POST /api/v1/tokens and return the Authorization header to send.

    A TOTP code works once: log each user in at most once per 30 seconds (make_staff gives a
    fresh user each time).
    """
    response = client.post(
        "/api/v1/tokens",
        json={"username": username, "password": password, "totp_code": totp_now(secret)},
    )
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def staff_headers(client: FlaskClient, session: Session, role: Role | str) -> dict[str, str]:
    """A new staff member with ``role``, logged in through the API: the headers to send."""
    user, password, secret = make_staff(session, role, app=client.application)
    return login_headers(client, user.username, password, secret)


def token_headers(session: Session, user: StaffUser) -> dict[str, str]:
    """Headers with a token issued directly (no password hashing, no TOTP): fast, for loops."""
    return {"Authorization": f"Bearer {issue_token(session, user)}"}


# -- partners and their users and devices (almerepas.contracts) ------------------------------------

PARTNER_PASSWORD = "kassa wachtwoord 2026"


def make_partner(session: Session, name: str = "Sportclub Almere", **changes: Any) -> Partner:
    """An active partner with a unique KvK number (8 digits that are not all zero)."""
    data = {
        "name": name,
        "kvk_number": f"{next(_kvk_numbers):08d}",
        "iban": "NL91 ABNA 0417 1643 00",
        "payout_method": "sepa",
        **changes,
    }
    return partner_records.create_partner(session, data, actor=TEST_ACTOR)


def make_location(session: Session, partner: Partner, name: str = "Sporthal Haven") -> Location:
    data = {"name": name, "street": "Havenstraat", "house_number": "12a", "postcode": "1315AB",
            "kind": "sport"}  # fmt: skip
    return partner_records.add_location(session, partner, data, actor=TEST_ACTOR)


def make_partner_user(
    session: Session,
    partner: Partner,
    role: PartnerRole | str = "cashier",
    *,
    second_factor: bool = False,
    username: str | None = None,
) -> tuple[PartnerUser, str, str | None]:
    """A new user of ``partner``: (user, password, TOTP secret or None for a cashier without
    a second factor; a manager always has one)."""
    user, secret = partner_users.create_partner_user(
        session,
        partner,
        {
            "username": username or f"partner.{uuid.uuid4().hex[:12]}",
            "display_name": "Petra Kassa",
            "role": str(role),
            "password": PARTNER_PASSWORD,
            "second_factor": second_factor,
        },
        keys=KEYS,
        actor=TEST_ACTOR,
    )
    return user, PARTNER_PASSWORD, secret


def make_device(
    session: Session, partner: Partner, location: Location, name: str = "Kassa 1"
) -> tuple[Device, str]:
    """A device at ``location`` and its key (``almdev_...``)."""
    return partner_devices.create_device(
        session, partner, {"name": name, "location_id": location.id}, keys=KEYS, actor=TEST_ACTOR
    )


_kvk_numbers = itertools.count(10000001)


# -- households, persons and assessments (almerepas.households, almerepas.income) --------------

_numbers = itertools.count(1)


def make_household(
    session: Session,
    members: list[tuple[MemberRole, dt.date]],
    *,
    postcode: str = "1315 AB",
    since: dt.date = dt.date(2020, 1, 1),
) -> Household:
    """A household at a numbered address with members (role, birth date) living there since.

    Needs the postcodes of the ``reference`` fixture (tests/fixtures.py).
    """
    household = households.create_household(
        session,
        address=Address(postcode=postcode, house_number=next(_numbers), street="Stadhuisplein"),
    )
    for n, (role, born) in enumerate(members):
        person = households.create_person(
            session, given_name=f"Lid{n}", family_name="Test", date_of_birth=born, keys=KEYS
        )
        households.add_member(session, household, person, role=role, valid_from=max(since, born))
    session.refresh(household)
    return household


def assess(
    session: Session,
    household: Household,
    percent_of_norm: tuple[int, int],
    *,
    on: dt.date = dt.date(2026, 1, 1),
) -> IncomeAssessment:
    """Assess at numerator/denominator of the applicable norm, in cents rounded down."""
    adults, children = assessments.composition(household, on)
    norm = norms.norm_for(session, eligibility.norm_key(adults, children, on), on)
    numerator, denominator = percent_of_norm
    income = norm.amount * numerator // denominator
    return assessments.record_assessment(
        session, household, net_income=income, assessed_on=on, assessed_by="test"
    )


def born(years_before: int, on: dt.date = dt.date(2026, 1, 1)) -> dt.date:
    """A birth date that makes someone exactly ``years_before`` years old on ``on``."""
    return on.replace(year=on.year - years_before)


# -- reference data by name (almerepas/reference/seed) ------------------------------------------


def seed_scheme(code: str) -> dict[str, Any]:
    """The seed scheme with ``code``, as schemes.json ships it (a fresh copy to change freely)."""
    by_code = {scheme["code"]: scheme for scheme in seed_schemes()}
    if code not in by_code:
        raise KeyError(f"no seed scheme {code!r}; there are {sorted(by_code)}")
    return dict(by_code[code])


# -- passes and their codes (almerepas.passes.credentials, almerepas.validator) ----------------

_pass_numbers = itertools.count(1)


def credential_pass(
    session: Session,
    person_id: int | None = None,
    *,
    valid_until: dt.date = dt.date(2026, 12, 31),
    generation: int = 1,
) -> Pass:
    """An active pass for a new person (or ``person_id``), made directly: the pass operations
    have their own tests. Needs the ``reference`` fixture's postcodes when it makes a person."""
    if person_id is None:
        household = make_household(session, [(MemberRole.applicant, dt.date(1990, 4, 1))])
        person_id = household.memberships[0].person_id
    pass_ = Pass(
        number=with_check_digit(f"9{next(_pass_numbers):07d}{uuid.uuid4().int % 10**4:04d}"),
        person_id=person_id,
        status=PassStatus.active,
        generation=generation,
        valid_from=dt.date(2026, 1, 1),
        valid_until=valid_until,
        issued_at=clock.now(),
    )
    session.add(pass_)
    session.flush()
    return pass_


def device_key() -> ec.EllipticCurvePrivateKey:
    """A holder's device key, as the browser makes it with WebCrypto (P-256)."""
    return ec.generate_private_key(ec.SECP256R1())


def device_jwk(device: ec.EllipticCurvePrivateKey) -> dict[str, str]:
    """The public JWK the holder's page sends, as WebCrypto's exportKey("jwk") gives it."""
    numbers = device.public_key().public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": _b64(numbers.x.to_bytes(32, "big")),
        "y": _b64(numbers.y.to_bytes(32, "big")),
    }


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def holder_signature(device: ec.EllipticCurvePrivateKey, credential: str, step: int) -> str:
    """What the holder's page does every 30 seconds, written from the contract (not from the
    kit): ES256 by the device key over b64url('{"alg":"ES256"}') + "." +
    b64url('{"h":"<H>","t":<step>}'), H = b64url(sha256(credential)[:16]); the raw r||s
    signature WebCrypto returns, base64url."""
    h = _b64(hashlib.sha256(credential.encode("ascii")).digest()[:16])
    signing_input = _b64(b'{"alg":"ES256"}') + "." + _b64(f'{{"h":"{h}","t":{step}}}'.encode())
    r, s = decode_dss_signature(device.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return _b64(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def step_at(moment: dt.datetime) -> int:
    return int(moment.timestamp()) // 30


def phone_code(device: ec.EllipticCurvePrivateKey, credential: str, step: int | dt.datetime) -> str:
    """The phone QR text: ``credential~step~holder signature``."""
    if isinstance(step, dt.datetime):
        step = step_at(step)
    return f"{credential}~{step}~{holder_signature(device, credential, step)}"


def forged(token: str) -> str:
    """``token`` with its signature's last two characters changed: always different from the
    real one (a real signature ends in "AA" one time in 256), and still well-formed base64url."""
    return token[:-2] + ("AA" if not token.endswith("AA") else "QA")
