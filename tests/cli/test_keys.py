"""`almerepas keys rehash`: a planned change of the BSN lookup key (or the encryption key)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from cryptography.fernet import Fernet
from flask import Flask
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from almerepas.core.crypto import Keyring
from almerepas.households import members as households
from almerepas.models import AuditEvent, Person
from tests.factories import TEST_SECRET_KEY

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
