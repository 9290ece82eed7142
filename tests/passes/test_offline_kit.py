"""The offline kit against codes the service made: online (the bundle fetched just now) and with
the network gone: a separate Python process that has only a copy of the kit's folder, the saved
bundle and the pinned trust root; importing Almerepas, SQLAlchemy, Flask or a database driver
fails there, and so does opening any socket."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from sqlalchemy.orm import Session

import almerepas.validator
from almerepas.passes import keys as signing
from almerepas.passes.bundle import build_bundle, trust_root
from almerepas.passes.credentials import (
    issue_card_credential,
    issue_phone_credential,
    revoke_pass_credentials,
)
from almerepas.validator import Validator
from almerepas.validator.registry import public_key_from_jwk
from tests.factories import KEYS, TEST_ACTOR, credential_pass, device_jwk, device_key, phone_code
from tests.fixtures import START
from tests.passes.test_credentials import free_bus

#: Runs in the offline process: no network, no database, no Almerepas, only the kit's copy.
OFFLINE = r"""
import builtins, datetime as dt, json, socket, sys
from pathlib import Path

def no_network(*args, **kwargs):
    raise OSError("no network on this bus")
for name in ("connect", "connect_ex", "bind", "sendto"):
    setattr(socket.socket, name, no_network)
socket.create_connection = no_network
socket.getaddrinfo = no_network
real_import = builtins.__import__
FORBIDDEN = ("almerepas", "sqlalchemy", "flask", "psycopg", "werkzeug", "requests", "urllib3")
def guarded(name, *args, **kwargs):
    if name.split(".")[0] in FORBIDDEN:
        raise ImportError(f"{name} is not on the bus")
    return real_import(name, *args, **kwargs)
builtins.__import__ = guarded

from cryptography.hazmat.primitives import serialization
from kit import Refusal, Validator
from kit.registry import public_key_from_jwk

work = Path(sys.argv[1])
data = json.loads((work / "input.json").read_text())
root = public_key_from_jwk(json.loads((work / "trust_root.json").read_text()))
operator = serialization.load_pem_private_key((work / "operator.pem").read_bytes(), None)
validator = Validator(root, operator_keys=[operator])
validator.apply((work / "bundle.jws").read_text(), now=dt.datetime.fromisoformat(data["synced"]))
results = []
for scan in data["scans"]:
    try:
        got = validator.scan(scan["code"], now=dt.datetime.fromisoformat(scan["at"]))
        results.append({"kind": got.verified.kind, "rides_free": got.verified.rides_free,
                        "warnings": list(got.warnings)})
    except Refusal as refusal:
        results.append({"refused": refusal.code})
try:
    socket.create_connection(("127.0.0.1", 5000))
except OSError:
    pass
else:
    raise SystemExit("the network was there")
print(json.dumps(results))
"""


def test_the_kit_verifies_service_codes_online_and_with_the_network_gone(
    keyed: Session, tmp_path: Path
) -> None:
    operator = device_key()
    pem = operator.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing.import_operator_key(keyed, pem.decode(), actor=TEST_ACTOR, now=START)
    rider, other, lost = credential_pass(keyed), credential_pass(keyed), credential_pass(keyed)
    free_bus(keyed, rider.person_id, "2026-03")
    devices = {p.id: device_key() for p in (rider, other)}
    tokens = {
        p.id: issue_phone_credential(
            keyed, p, device_jwk(devices[p.id]), keys=KEYS, now=START
        ).token
        for p in (rider, other)
    }
    card = issue_card_credential(keyed, other, keys=KEYS, now=START)
    lost_card = issue_card_credential(keyed, lost, keys=KEYS, now=START)
    revoke_pass_credentials(keyed, lost, now=START)
    bundle = build_bundle(keyed, since=None, now=START, keys=KEYS)
    root = trust_root(keyed, now=START)

    on_bus = START + dt.timedelta(hours=2)
    rider_code = phone_code(devices[rider.id], tokens[rider.id], on_bus)
    scans = [
        (rider_code, on_bus, {"kind": "phone", "rides_free": True, "warnings": []}),
        (rider_code, on_bus, {"refused": "credential_replayed"}),
        (
            phone_code(devices[other.id], tokens[other.id], on_bus),
            on_bus,
            {"kind": "phone", "rides_free": False, "warnings": []},
        ),
        (card, on_bus, {"kind": "card", "rides_free": None, "warnings": []}),
        (lost_card, on_bus, {"refused": "credential_revoked"}),
        (
            phone_code(devices[rider.id], tokens[rider.id], on_bus - dt.timedelta(minutes=2)),
            on_bus,
            {"refused": "credential_stale"},
        ),
        (tokens[other.id], on_bus, {"refused": "holder_proof_missing"}),
        (
            card,
            START + dt.timedelta(days=3),
            {"kind": "card", "rides_free": None, "warnings": ["validator_data_stale"]},
        ),
        (card, START + dt.timedelta(days=8), {"refused": "validator_data_stale"}),
    ]
    expected = [outcome for _, _, outcome in scans]

    # online: the bundle straight from the service, the kit in this process
    online = Validator(public_key_from_jwk(root), operator_keys=[operator])
    online.apply(bundle, now=START, online=True)
    seen = []
    for code, at, _ in scans:
        try:
            got = online.scan(code, now=at)
            seen.append(
                {
                    "kind": got.verified.kind,
                    "rides_free": got.verified.rides_free,
                    "warnings": list(got.warnings),
                }
            )
        except almerepas.validator.Refusal as refusal:
            seen.append({"refused": refusal.code})
    assert seen == expected

    # offline: another process, a copy of the kit's folder, the saved files, no network
    kit_source = Path(almerepas.validator.__file__).parent
    shutil.copytree(kit_source, tmp_path / "kit", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "bundle.jws").write_text(bundle)
    (tmp_path / "trust_root.json").write_text(json.dumps(root))
    (tmp_path / "operator.pem").write_bytes(
        operator.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (tmp_path / "input.json").write_text(
        json.dumps(
            {
                "synced": START.isoformat(),
                "scans": [{"code": code, "at": at.isoformat()} for code, at, _ in scans],
            }
        )
    )
    done = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n" + OFFLINE,
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == expected
