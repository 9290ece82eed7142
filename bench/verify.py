"""Codes verified per second per core: the offline kit and the service's verify_code, against raw
ES256 verification of the very signatures those codes carry, in the same run; and the time to
issue a fresh phone credential.

    .venv/bin/python bench/verify.py [--codes 500] [--repeat 5]

A phone code carries two signatures (the service's over the credential, the holder's over the
time step), a card code one. "raw" verifies exactly those signatures with ``cryptography`` and
nothing else; the ratios are what matters (this machine is shared and noisy). Targets: the kit
at least 0.5 of raw; issuing under 5 ms. Single thread, SQLite in a temporary file.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.utils import (  # noqa: E402
    decode_dss_signature,
    encode_dss_signature,
)
from sqlalchemy import text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from almerepas.audit.log import Actor  # noqa: E402
from almerepas.core import migrate  # noqa: E402
from almerepas.core.crypto import Keyring  # noqa: E402
from almerepas.core.db import make_engine  # noqa: E402
from almerepas.households import members as households  # noqa: E402
from almerepas.models import KeyFamily, Pass, PassStatus  # noqa: E402
from almerepas.passes import keys as signing  # noqa: E402
from almerepas.passes.bundle import build_bundle, trust_root  # noqa: E402
from almerepas.passes.credentials import (  # noqa: E402
    issue_card_credential,
    issue_phone_credential,
)
from almerepas.passes.verify import verify_code  # noqa: E402
from almerepas.validator import Validator  # noqa: E402
from almerepas.validator.formats import holder_signing_input  # noqa: E402
from almerepas.validator.registry import public_key_from_jwk  # noqa: E402

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
#: a throwaway key for a temporary database
KEYS = Keyring.from_config(secret_key="bench-only", argon2_profile="cheapest")  # noqa: S106
ACTOR = Actor("bench")
ECDSA = ec.ECDSA(hashes.SHA256())


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwk(key: ec.EllipticCurvePrivateKey) -> dict[str, str]:
    n = key.public_key().public_numbers()
    return {"kty": "EC", "crv": "P-256", "x": b64(n.x.to_bytes(32, "big")),
            "y": b64(n.y.to_bytes(32, "big"))}  # fmt: skip


def holder(device: ec.EllipticCurvePrivateKey, credential: str, step: int) -> str:
    r, s = decode_dss_signature(device.sign(holder_signing_input(credential, step), ECDSA))
    return f"{credential}~{step}~{b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def der(raw: bytes) -> bytes:
    return encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))


def raw_checks(
    code: str, issuer: ec.EllipticCurvePublicKey
) -> list[tuple[ec.EllipticCurvePublicKey, bytes, bytes]]:
    """The (key, DER signature, signed bytes) a code carries: exactly what raw verification does."""
    credential, *rest = code.split("~")
    head, body, signature = credential.split(".")
    checks = [(issuer, der(unb64(signature)), f"{head}.{body}".encode())]
    if rest:
        step, proof = int(rest[0]), rest[1]
        point = unb64(json.loads(unb64(body))["k"])
        device = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        checks.append((device, der(unb64(proof)), holder_signing_input(credential, step)))
    return checks


def per_second(count: int, run: Callable[[], None], repeat: int) -> float:
    """Best of ``repeat``: codes per second."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return count / min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--codes", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    n, repeat = args.codes, args.repeat

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        migrate.upgrade(engine)
        operator = ec.generate_private_key(ec.SECP256R1())
        with Session(engine) as session:
            signing.ensure_keys(session, keys=KEYS, actor=ACTOR, now=START)
            signing.import_operator_key(
                session,
                operator.public_key()
                .public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                )
                .decode(),
                actor=ACTOR,
                now=START,
            )
            person = households.create_person(
                session, given_name="Bench", family_name="Mark",
                date_of_birth=dt.date(1990, 1, 1), keys=KEYS, today=START.date(),
            )  # fmt: skip
            pass_ = Pass(number="9000000000001", person_id=person.id, status=PassStatus.active,
                         generation=1, valid_from=dt.date(2026, 1, 1),
                         valid_until=dt.date(2026, 12, 31), issued_at=START)  # fmt: skip
            session.add(pass_)
            session.flush()

            # issuing: a fresh phone credential, as the holder's page asks for one (flush incl.)
            devices = [ec.generate_private_key(ec.SECP256R1()) for _ in range(n)]
            issue_times, tokens = [], []
            for device in devices:
                key = jwk(device)
                started = time.perf_counter()
                tokens.append(
                    issue_phone_credential(session, pass_, key, keys=KEYS, now=START).token
                )
                issue_times.append(time.perf_counter() - started)
            cards = [issue_card_credential(session, pass_, keys=KEYS, now=START) for _ in range(n)]
            session.commit()
            phone_key = signing.public_key(signing.signing_key(session, KeyFamily.phone, now=START))
            card_key = signing.public_key(signing.signing_key(session, KeyFamily.card, now=START))
            bundle = build_bundle(session, since=None, now=START, keys=KEYS)
            root = public_key_from_jwk(trust_root(session, now=START))

        # every repeat scans new codes (the next time step), so no replay memory is hit
        moments = [START + dt.timedelta(seconds=30 * r) for r in range(repeat + 1)]
        phone_sets = [
            [holder(d, t, int(m.timestamp()) // 30) for d, t in zip(devices, tokens, strict=True)]
            for m in moments
        ]
        phone_checks = [c for code in phone_sets[0] for c in raw_checks(code, phone_key)]
        card_checks = [c for code in cards for c in raw_checks(code, card_key)]

        def raw(checks: list[tuple[ec.EllipticCurvePublicKey, bytes, bytes]]) -> Callable[[], None]:
            def run() -> None:
                for key, signature, data in checks:
                    key.verify(signature, data, ECDSA)

            return run

        rounds = iter(range(1, 10**9))

        def kit(codes_of: Callable[[int], list[str]], *, bus: bool) -> Callable[[], None]:
            """A new validator every run: each credential is seen for the first time."""

            def run() -> None:
                r = next(rounds) % len(moments)
                validator = Validator(root, operator_keys=[operator] if bus else [])
                validator.apply(bundle, now=moments[r])
                for code in codes_of(r):
                    validator.scan(code, now=moments[r])

            return run

        def kit_again(codes_of: Callable[[int], list[str]]) -> Callable[[], None]:
            """One validator that saw every credential before (the step before): it checks the
            holder's signature and the rest, not the service's signature again."""
            validator = Validator(root)
            validator.apply(bundle, now=moments[0])
            for code in codes_of(0):
                validator.scan(code, now=moments[0])
            steps = iter(range(1, 10**9))

            def run() -> None:
                r = next(steps) % len(moments) or 1
                validator.replay = type(validator.replay)()
                for code in codes_of(r):
                    validator.scan(code, now=moments[r])

            return run

        def service(codes_of: Callable[[int], list[str]]) -> Callable[[], None]:
            state = {"r": 0}

            def run() -> None:
                r = state["r"] = state["r"] + 1
                now = moments[r % len(moments)]
                with Session(engine) as session:
                    for code in codes_of(r % len(moments)):
                        verify_code(session, code, now=now, keys=KEYS)
                        session.commit()
                    session.execute(text("DELETE FROM used_code"))
                    session.commit()

            return run

        raw_phone = per_second(n, raw(phone_checks), repeat)
        raw_card = per_second(n, raw(card_checks), repeat)
        raw_sig = per_second(len(card_checks), raw(card_checks), repeat)

        def phones(r: int) -> list[str]:
            return phone_sets[r]

        def card_codes(r: int) -> list[str]:
            return cards

        measured = [
            ("raw ES256 verify, one signature", lambda: raw_sig, raw_sig),
            ("raw: the 2 signatures of a phone code", lambda: raw_phone, raw_phone),
            ("kit: phone code, credential new to it", kit(phones, bus=False), raw_phone),
            ("kit: the same + reading the bus claim", kit(phones, bus=True), raw_phone),
            ("kit: phone code, credential seen before", kit_again(phones), raw_phone),
            ("verify_code: phone (SQLite, commit each)", service(phones), raw_phone),
            ("raw: the 1 signature of a card code", lambda: raw_card, raw_card),
            ("kit: card code, new to it", kit(card_codes, bus=False), raw_card),
            ("kit: card code, seen before", kit_again(card_codes), raw_card),
            ("verify_code: card (SQLite, commit each)", service(card_codes), raw_card),
        ]
        rows = []
        for label, run, baseline in measured:
            if label.startswith("raw"):
                rows.append((label, baseline, baseline))
            else:
                rows.append((label, per_second(n, run, repeat), baseline))
        engine.dispose()

    print(f"{n} codes, best of {repeat}; ratio: against raw verification of the same signatures")
    print(f"{'what':<46} {'codes/s':>9} {'ratio':>6}")
    for label, rate, baseline in rows:
        print(f"{label:<46} {rate:>9,.0f} {rate / baseline:>6.2f}")
    ms = sorted(t * 1000 for t in issue_times)
    print(
        f"issue_phone_credential (incl. flush): median {statistics.median(ms):.2f} ms, "
        f"p95 {ms[int(len(ms) * 0.95)]:.2f} ms, max {ms[-1]:.2f} ms"
    )


if __name__ == "__main__":
    main()
