"""`almerepas keys`: a planned change of the BSN lookup key (or the encryption key), and the
signing keys of pass codes (rotate, retire, list, trust-root, import-operator)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from almerepas.core.crypto import Keyring
from almerepas.households import members as households
from almerepas.models import AuditEvent, KeyStatus, Person, SigningKey
from tests.factories import TEST_SECRET_KEY
from tests.fixtures import FrozenClock

BSN = "111222333"


def test_rehash_lets_the_search_find_everyone_after_a_new_hash_key(
    fresh_engine: Engine, make_app: Callable[..., Flask]
) -> None:
    url = fresh_engine.url.render_as_string(hide_password=False)
    old_fernet = Fernet.generate_key().decode()
    new_fernet = Fernet.generate_key().decode()
    before = Keyring.from_config(
        secret_key=TEST_SECRET_KEY, encryption_keys=[old_fernet], hash_key="old-hash-key"
    )
    with Session(fresh_engine) as session:
        person = households.create_person(
            session,
            given_name="Sara",
            family_name="Bakker",
            date_of_birth=dt.date(1990, 4, 1),
            bsn=BSN,
            keys=before,
        )
        session.commit()
        person_id = person.id

    # The gemeente sets a new hash key and a new encryption key (the old one still decrypts).
    app = make_app(url, HASH_KEY="new-hash-key", ENCRYPTION_KEYS=[new_fernet, old_fernet])
    after = app.extensions["almerepas.keys"]
    with Session(fresh_engine) as session:
        assert households.find_person_by_bsn(session, BSN, keys=after) is None  # lost, until...

    dry = app.test_cli_runner().invoke(args=["keys", "rehash", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "proefrun" in dry.output and "1 bijgewerkt" in dry.output
    with Session(fresh_engine) as session:
        assert households.find_person_by_bsn(session, BSN, keys=after) is None

    done = app.test_cli_runner().invoke(args=["keys", "rehash"])
    assert done.exit_code == 0, done.output
    with Session(fresh_engine) as session:
        found = households.find_person_by_bsn(session, BSN, keys=after)
        assert found is not None and found.id == person_id
        # re-encrypted with the newest key: the old one can be retired
        stored = session.get_one(Person, person_id).bsn_encrypted
        assert stored is not None
        assert Fernet(new_fernet.encode()).decrypt(stored).decode() == BSN
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "keys.rehash")).one()
        assert event.actor == "cli:keys-rehash" and event.changes == {"persons": 1}

    again = app.test_cli_runner().invoke(args=["keys", "rehash"])
    assert again.exit_code == 0 and "0 bijgewerkt" in again.output


# -- signing keys of pass codes ------------------------------------------------------------------


def test_rotate_makes_every_family_first_then_publishes_ahead(
    runner: FlaskCliRunner, db: Session, frozen_clock: FrozenClock
) -> None:
    dry = runner.invoke(args=["keys", "rotate", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "proefrun" in dry.output and db.scalars(select(SigningKey)).all() == []

    first = runner.invoke(args=["keys", "rotate"])
    assert first.exit_code == 0, first.output
    assert {k.kid for k in db.scalars(select(SigningKey))} == {"P1", "C1", "B1", "E1"}

    second = runner.invoke(args=["keys", "rotate", "--family", "phone"])
    assert second.exit_code == 0, second.output
    assert "P2 (phone, ondertekent vanaf 2026-03-09 09:00 UTC)" in second.output
    listed = runner.invoke(args=["keys", "list"])
    assert listed.exit_code == 0 and "PRIVATE" not in listed.output
    assert "P1       phone     active   ondertekent 2026-03-02 09:00 tot 2026-03-09 09:00" in (
        listed.output
    )
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "key.rotate")).all()
    assert {e.actor for e in events} == {"cli:keys-rotate"} and len(events) == 5


def test_retire_and_compromise_a_key(
    runner: FlaskCliRunner, db: Session, frozen_clock: FrozenClock
) -> None:
    assert runner.invoke(args=["keys", "rotate"]).exit_code == 0
    retired = runner.invoke(args=["keys", "retire", "C1"])
    assert retired.exit_code == 0, retired.output
    again = runner.invoke(args=["keys", "retire", "C1"])
    assert again.exit_code == 1 and "key_already_retired" in again.output
    revoked = runner.invoke(args=["keys", "retire", "C1", "--compromised"])
    assert revoked.exit_code == 0, revoked.output
    unknown = runner.invoke(args=["keys", "retire", "ZZ"])
    assert unknown.exit_code == 1 and "key_not_found" in unknown.output
    db.expire_all()
    key = db.scalars(select(SigningKey).where(SigningKey.kid == "C1")).one()
    assert key.status == KeyStatus.revoked
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "key.retire")).all()
    assert sorted(tuple(e.changes["status"]) for e in events if e.changes) == [
        ("active", "retired"),
        ("retired", "revoked"),
    ]


def test_trust_root_shows_the_bundle_key_without_its_private_half(
    runner: FlaskCliRunner, db: Session, frozen_clock: FrozenClock
) -> None:
    assert runner.invoke(args=["keys", "rotate"]).exit_code == 0
    shown = runner.invoke(args=["keys", "trust-root"])
    assert shown.exit_code == 0, shown.output
    jwk = json.loads(shown.output)
    assert (jwk["kid"], jwk["family"], jwk["kty"]) == ("B1", "bundle", "EC") and "d" not in jwk


def test_import_operator_key(
    runner: FlaskCliRunner, db: Session, frozen_clock: FrozenClock, tmp_path: Path
) -> None:
    operator = ec.generate_private_key(ec.SECP256R1())
    path = tmp_path / "operator.pem"
    path.write_bytes(
        operator.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    done = runner.invoke(args=["keys", "import-operator", str(path)])
    assert done.exit_code == 0, done.output
    assert db.scalars(select(SigningKey.kid)).all() == ["O1"]
    path.write_text("no key")
    refused = runner.invoke(args=["keys", "import-operator", str(path)])
    assert refused.exit_code == 1 and "operator_key_invalid" in refused.output


def test_reference_load_makes_the_keys_once(
    runner: FlaskCliRunner, db: Session, frozen_clock: FrozenClock
) -> None:
    first = runner.invoke(args=["reference", "load"])
    assert first.exit_code == 0, first.output
    assert "sleutels: 4 created" in first.output
    second = runner.invoke(args=["reference", "load"])
    assert second.exit_code == 0 and "sleutels: unchanged" in second.output


def test_rehash_also_moves_the_signing_keys_to_the_new_encryption_key(
    fresh_engine: Engine, make_app: Callable[..., Flask]
) -> None:
    url = fresh_engine.url.render_as_string(hide_password=False)
    old_fernet, new_fernet = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    old_app = make_app(url, ENCRYPTION_KEYS=[old_fernet])
    assert old_app.test_cli_runner().invoke(args=["keys", "rotate"]).exit_code == 0
    app = make_app(url, ENCRYPTION_KEYS=[new_fernet, old_fernet])
    done = app.test_cli_runner().invoke(args=["keys", "rehash"])
    assert done.exit_code == 0, done.output
    assert "ondertekensleutels: 4 bijgewerkt" in done.output
    with Session(fresh_engine) as session:
        for key in session.scalars(select(SigningKey)):
            assert key.private_key_encrypted is not None
            Fernet(new_fernet.encode()).decrypt(key.private_key_encrypted)
