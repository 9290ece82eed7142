"""The bench city of the redemption benches: throwaway production settings, passes seeded with the
app's own operations (a child's stadsfonds grant, a phone credential each, a partner with a
contract and a device per load connection), and fresh phone codes the replay guard accepts."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cryptography.fernet import Fernet  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature  # noqa: E402
from sqlalchemy import Engine, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from almerepas.audit.log import Actor  # noqa: E402
from almerepas.contracts import agreements, devices, partners  # noqa: E402
from almerepas.core.crypto import Keyring  # noqa: E402
from almerepas.grants import runs as grants  # noqa: E402
from almerepas.models import Pass  # noqa: E402
from almerepas.passes import keys as signing  # noqa: E402
from almerepas.passes.credentials import issue_phone_credential  # noqa: E402
from almerepas.schemes import catalogue as schemes  # noqa: E402
from bench.grants import populate  # noqa: E402

SCHEME = "stadsfonds"
ACTOR = Actor("bench")
#: throwaway production settings for a throwaway database
SETTINGS = {
    "ALMEREPAS_ENV": "production",
    "ALMEREPAS_SECRET_KEY": "bench-" + secrets.token_hex(16),
    "ALMEREPAS_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    "ALMEREPAS_HASH_KEY": "bench-hash-" + secrets.token_hex(16),
    "ALMEREPAS_SMTP_HOST": "127.0.0.1",
    "ALMEREPAS_SEPA_DEBTOR_IBAN": "NL12BNGH0285010000",
    # The limiter runs (its cost is measured) but a bench device may scan far faster than a
    # cashier: docs/security.md, Rate limits.
    "ALMEREPAS_RATE_LIMIT_SCAN": "1000000 per minute",
}
KEYS = Keyring.from_config(
    secret_key=SETTINGS["ALMEREPAS_SECRET_KEY"],
    encryption_keys=[SETTINGS["ALMEREPAS_ENCRYPTION_KEY"]],
    hash_key=SETTINGS["ALMEREPAS_HASH_KEY"],
    argon2_profile="cheapest",
)
ECDSA = ec.ECDSA(hashes.SHA256())
STEP = 30


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def jwk(key: ec.EllipticCurvePrivateKey) -> dict[str, str]:
    n = key.public_key().public_numbers()
    return {"kty": "EC", "crv": "P-256", "x": b64(n.x.to_bytes(32, "big")),
            "y": b64(n.y.to_bytes(32, "big"))}  # fmt: skip


def phone_code(device: ec.EllipticCurvePrivateKey, credential: str, step: int) -> str:
    """What the holder's page shows: ``credential~step~ES256(device, signing input)`` (the
    contract in almerepas/validator/formats.py, written out as tests/factories.py does)."""
    h = b64(hashlib.sha256(credential.encode("ascii")).digest()[:16])
    signing_input = b64(b'{"alg":"ES256"}') + "." + b64(f'{{"h":"{h}","t":{step}}}'.encode())
    r, s = decode_dss_signature(device.sign(signing_input.encode(), ECDSA))
    return f"{credential}~{step}~{b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


@dataclass
class Holder:
    device: ec.EllipticCurvePrivateKey
    credential: str
    last_step: int = 0


@dataclass
class Seeded:
    holders: list[Holder]
    device_keys: list[str]
    seconds: float
    last: int = 0  # where the next window starts taking holders


def seed_ours(engine: Engine, passes: int, devices_wanted: int) -> Seeded:
    started = time.perf_counter()
    now = dt.datetime.now(dt.UTC)
    today = now.date()
    year = today.year
    # Households of three; the child (born 2012) gets stadsfonds.
    populate(engine, passes * 3, year=year)
    with engine.begin() as conn:
        for table in ("household", "person", "membership"):
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
                )
            )
    with Session(engine) as session:
        signing.ensure_keys(session, keys=KEYS, actor=ACTOR, now=now)
        grants.issue(session, period=str(year), actor=ACTOR, today=today, schemes=[SCHEME])
        session.commit()
        children = list(
            session.scalars(
                text(
                    "SELECT g.person_id FROM entitlement_grant g "
                    "JOIN scheme s ON s.id = g.scheme_id "
                    "WHERE s.code = :code AND g.person_id IS NOT NULL ORDER BY g.person_id"
                ),
                {"code": SCHEME},
            )
        )
    if len(children) < passes:
        raise RuntimeError(f"the grant run granted {len(children)} children, not {passes}")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO pass (number, person_id, status, generation, valid_from, valid_until, "
                "issued_at) VALUES (:number, :person, 'active', 1, :start, :end, :now)"
            ),
            [
                {"number": f"8{person:012d}", "person": person, "start": dt.date(year, 1, 1),
                 "end": dt.date(year, 12, 31), "now": now.replace(tzinfo=None)}
                for person in children[:passes]
            ],
        )  # fmt: skip
    holders = []
    with Session(engine) as session:
        ids = list(session.scalars(select(Pass.id).order_by(Pass.id)))
        for start in range(0, len(ids), 500):  # a small session: commit and forget per batch
            batch = session.scalars(select(Pass).where(Pass.id.in_(ids[start : start + 500])))
            for pass_ in batch:
                device = ec.generate_private_key(ec.SECP256R1())
                issued = issue_phone_credential(session, pass_, jwk(device), keys=KEYS, now=now)
                holders.append(Holder(device, issued.token))
            session.commit()
            session.expunge_all()
        scheme = schemes.get_scheme(session, SCHEME)
        partner = partners.create_partner(
            session,
            {"name": "Sportclub Bench", "kvk_number": "12345678",
             "iban": "NL91 ABNA 0417 1643 00", "payout_method": "sepa"},
            actor=ACTOR,
        )  # fmt: skip
        location = partners.add_location(
            session, partner,
            {"name": "Sporthal Haven", "street": "Havenstraat", "house_number": "12a",
             "postcode": "1315 ab", "kind": "sport"},
            actor=ACTOR,
        )  # fmt: skip
        agreements.create_contract(
            session, partner, scheme=scheme, location_ids=[location.id],
            valid_from=dt.date(year, 1, 1), valid_to=None, tariff_kind="amount_redeemed",
            tariff=None, actor=ACTOR,
        )  # fmt: skip
        keys = [
            devices.create_device(
                session, partner, {"name": f"Kassa {n}", "location_id": location.id},
                keys=KEYS, actor=ACTOR,
            )[1]
            for n in range(1, devices_wanted + 1)
        ]  # fmt: skip
        session.commit()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    return Seeded(holders, keys, time.perf_counter() - started)


def fresh_codes(seeded: Seeded, count: int, minimum: int) -> list[str]:
    """Up to ``count`` codes, each of a pass not shown at this step before, for the step after
    now: valid (one step either side) from now until 60 to 90 s from now. Fewer than
    ``minimum`` passes free at that step: wait for the next step."""
    while True:
        step = int(dt.datetime.now(dt.UTC).timestamp()) // STEP + 1
        n = len(seeded.holders)
        free = [
            seeded.holders[(seeded.last + offset) % n]
            for offset in range(n)
            if seeded.holders[(seeded.last + offset) % n].last_step < step
        ][:count]
        if len(free) >= minimum:
            break
        time.sleep(STEP - dt.datetime.now(dt.UTC).timestamp() % STEP + 0.1)
    for holder in free:
        holder.last_step = step
    seeded.last = (seeded.last + len(free)) % n
    return [phone_code(holder.device, holder.credential, step) for holder in free]
