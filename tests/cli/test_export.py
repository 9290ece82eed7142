"""`almerepas export` and `almerepas import`: a demo Almere with BSNs, grants, redemptions and a
settlement run goes out as CSV and as JSON Lines and comes back into an empty instance with
other keys, row for row (docs/operations.md, "Taking all data out: the open export")."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyotp
import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almerepas import create_app
from almerepas.audit.log import Actor
from almerepas.audit.models import AuditEvent
from almerepas.core import clock
from almerepas.core.crypto import Keyring
from almerepas.core.db import Base, make_engine
from almerepas.grants.models import Grant
from almerepas.households.members import set_bsn
from almerepas.households.search import search_by_bsn
from almerepas.ledger import posting as ledger
from almerepas.models import Account, Household, MemberRole, Membership, Person
from almerepas.outbox.models import Channel
from almerepas.outbox.queue import queue
from almerepas.passes import keys as signing_keys
from almerepas.passes.credential_models import SigningKey
from almerepas.portability import catalogue, export, formats
from almerepas.reference.demo import demo_password
from almerepas.settlements.models import SettlementRun
from almerepas.staff.login_rules import password_matches
from almerepas.staff.models import StaffUser
from tests.conftest import TEST_KEYS, Backend
from tests.factories import born, funded_account, make_household
from tests.fixtures import FrozenClock

MakeApp = Callable[..., Flask]
TODAY = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC)
BSN = "111222333"
#: The target instance has keys of its own: the restore must encrypt and hash anew.
OTHER_SECRET = "another-instance-entirely-other-secret"
AUDIT_OF_MOVING = ("data.exported", "data.restored")


@dataclass
class Source:
    app: Flask
    url: str
    household_id: int
    exports: dict[str, Path]

    @property
    def keys(self) -> Keyring:
        keys: Keyring = self.app.extensions["almerepas.keys"]
        return keys


def app_on(backend: Backend, url: str, **config: Any) -> Flask:
    owner = backend.owner_url(url)
    return create_app(
        {
            "ENV": "test",
            "TESTING": True,
            "RATELIMIT_ENABLED": False,
            "DATABASE_URL": url,
            "MIGRATION_DATABASE_URL": None if owner == url else owner,
            **TEST_KEYS,
            **config,
        }
    )


def invoke(app: Flask, *args: str) -> str:
    done = app.test_cli_runner().invoke(args=list(args))
    assert done.exit_code == 0, done.output
    return done.output


def _seed(app: Flask, url: str) -> int:
    """The demo, a BSN, a message, and May's settlement run prepared and approved."""
    invoke(app, "demo", "load", "--year", "2026", "--households", "12")
    invoke(app, "settle", "prepare", "--period", "2026-05", "--as", "financien")
    engine = make_engine(url)
    with Session(engine) as session:
        run = session.scalars(select(SettlementRun)).one()
        household = session.scalars(select(Household).order_by(Household.id)).first()
        assert household is not None
        person = household.memberships[0].person
        with app.app_context():
            set_bsn(session, person, BSN, keys=app.extensions["almerepas.keys"])
            queue(
                session, channel=Channel.email, recipient="a@example.org", purpose="test",
                body='Uw code is "4711",\r\nmet komma', keys=app.extensions["almerepas.keys"],
                now=TODAY,
            )  # fmt: skip
        session.commit()
        run_id, household_id = run.id, household.id
    engine.dispose()
    invoke(app, "settle", "approve", str(run_id), "--as", "controller")
    return household_id


@pytest.fixture(scope="module")
def source(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Source]:
    """One seeded instance per backend, exported once as CSV and once as JSON."""
    url = backend.fresh_database()
    app = app_on(backend, url)
    folder = tmp_path_factory.mktemp("exports")
    with clock.frozen(lambda: TODAY):
        household_id = _seed(app, url)
        exports = {fmt: folder / fmt for fmt in ("csv", "json")}
        for fmt, path in exports.items():
            invoke(app, "export", str(path), "--format", fmt)
    yield Source(app, url, household_id, exports)
    app.extensions["almerepas.engine"].dispose()


@pytest.fixture(autouse=True)
def frozen_today(frozen_clock: FrozenClock) -> None:
    frozen_clock.set(TODAY + dt.timedelta(days=1))


def empty_target(backend: Backend, make_app: MakeApp) -> tuple[Flask, str]:
    url = backend.fresh_database()
    owner = backend.owner_url(url)
    app = make_app(
        url, MIGRATION_DATABASE_URL=None if owner == url else owner, SECRET_KEY=OTHER_SECRET
    )
    return app, url


def contents(url: str, keys: Keyring) -> dict[str, list[list[Any]]]:
    """Every exported table's rows as the export reads them, the moving's own audit rows aside."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            found = {}
            for spec in catalogue.export_tables(Base.metadata):
                rows = list(export.table_rows(session, spec, keys))
                if spec.name == "audit_event":
                    action = [c.name for c in spec.columns].index("action")
                    rows = [r for r in rows if r[action] not in AUDIT_OF_MOVING]
                found[spec.name] = rows
            return found
    finally:
        engine.dispose()


def count(url: str, model: Any) -> int:
    engine = make_engine(url)
    with Session(engine) as session:
        n = session.scalar(select(func.count()).select_from(model)) or 0
    engine.dispose()
    return n


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_an_export_comes_back_into_an_empty_instance_row_for_row(
    source: Source, backend: Backend, make_app: MakeApp, fmt: str
) -> None:
    target, url = empty_target(backend, make_app)
    output = invoke(target, "import", str(source.exports[fmt]))
    assert "reset-2fa" in output  # what the administrator does next
    before, after = (
        contents(source.url, source.keys),
        contents(url, target.extensions["almerepas.keys"]),
    )
    assert {name: len(rows) for name, rows in after.items()} == {
        name: len(rows) for name, rows in before.items()
    }
    for name in before:
        assert after[name] == before[name], name
    assert len(before["redemption"]) > 0 and len(before["settlement_line"]) > 0

    engine = make_engine(url)
    keys: Keyring = target.extensions["almerepas.keys"]
    with Session(engine) as session:
        assert ledger.find_drift(session) == []
        assert set(ledger.unit_totals(session).values()) == {0}
        found = search_by_bsn(session, BSN, keys=keys, today=TODAY.date(), actor=Actor("test"))
        assert [h.id for h in found] == [source.household_id]
        restored = session.scalars(select(AuditEvent).where(AuditEvent.action == "data.restored"))
        manifest = json.loads((source.exports[fmt] / "manifest.json").read_text("utf-8"))
        assert (restored.one().changes or {})["rows"] == sum(t["rows"] for t in manifest["tables"])
        # New rows get new ids after the restore (PostgreSQL: the sequences were set).
        make_household(session, [(MemberRole.applicant, born(30))])
        funded_account(session, 10_00)
        session.commit()
        keyless = session.scalars(select(SigningKey).where(SigningKey.family != "operator"))
        assert [k.private_key_encrypted for k in keyless] == [None] * len(before["signing_key"])
    engine.dispose()
    invoke(target, "keys", "rotate", "--publish-days", "0")  # what the administrator does next
    with Session(engine) as session:
        signing = session.scalars(
            select(SigningKey).where(SigningKey.private_key_encrypted.is_not(None))
        )
        assert sorted(k.family.value for k in signing if k.issue_from <= clock.now()) == sorted(
            f.value for f in signing_keys.OWN_FAMILIES
        )
    engine.dispose()


def test_a_holders_balance_and_the_ledger_are_the_same_after_a_restore(
    source: Source, backend: Backend, make_app: MakeApp
) -> None:
    target, url = empty_target(backend, make_app)
    invoke(target, "import", str(source.exports["csv"]))

    def holder(url: str) -> tuple[dict[int, int], dict[str, int]]:
        """Every grant's balance of the seeded household's members, and the totals per unit."""
        engine = make_engine(url)
        with Session(engine) as session:
            persons = select(Membership.person_id).where(
                Membership.household_id == source.household_id
            )
            grants = session.scalars(select(Grant).where(Grant.person_id.in_(persons)))
            found = {g.id: ledger.balance_of(session, g.account) for g in grants if g.account}
            totals = ledger.unit_totals(session)
        engine.dispose()
        return found, totals

    before, after = holder(source.url), holder(url)
    assert before[0] and sum(before[0].values()) > 0
    assert after == before
    assert "klopt" in invoke(target, "ledger", "check")


def test_the_csv_is_read_by_a_plain_dict_reader_with_the_manifests_columns(source: Source) -> None:
    folder = source.exports["csv"]
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["file_format"] == "csv" and manifest["format_version"] == 1
    assert manifest["created_at"] == TODAY.isoformat()
    names = {t["name"] for t in manifest["tables"]}
    assert {"household", "person", "pass", "entitlement_grant", "transfer", "partner"} <= names
    assert {"settlement_run", "settlement_line", "audit_event", "staff_user"} <= names
    assert not names & set(manifest["left_out_tables"])
    for table in manifest["tables"]:
        with (folder / table["file"]).open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
        assert reader.fieldnames == [c["name"] for c in table["columns"]], table["name"]
        assert len(rows) == table["rows"], table["name"]
    with (folder / "person.csv").open(encoding="utf-8", newline="") as handle:
        assert BSN in {row["bsn"] for row in csv.DictReader(handle)}  # plain text, no keys
    with (folder / "message.csv").open(encoding="utf-8", newline="") as handle:
        assert 'Uw code is "4711",\r\nmet komma' in {r["body"] for r in csv.DictReader(handle)}
    with (folder / "account.csv").open(encoding="utf-8", newline="") as handle:
        assert all(int(r["balance"]) == int(r["balance"]) for r in csv.DictReader(handle))


def test_null_and_the_empty_string_differ_in_the_csv(source: Source) -> None:
    lines = (source.exports["csv"] / "person.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    assert header[:5] == ['"id"', '"given_name"', '"family_name"', '"date_of_birth"', '"bsn"']
    # a person without a BSN: the field is empty and unquoted (NULL), not ""
    assert any(line.split(",")[4] == "" for line in lines[1:])


def test_no_secret_leaves_the_instance(source: Source) -> None:
    assert list(catalogue.unclassified_secrets(Base.metadata)) == []
    for folder in source.exports.values():
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        everything = "".join(p.read_text(encoding="utf-8") for p in folder.iterdir())
        assert "$argon2" not in everything  # no password hash
        columns = {(t["name"], c["name"]) for t in manifest["tables"] for c in t["columns"]}
        assert not columns & set(catalogue.LEFT_OUT_COLUMNS)
        assert ("staff_user", "username") in columns and ("person", "bsn") in columns
        assert not any(n.endswith("_encrypted") for _, n in columns)


def test_the_export_is_audited_with_its_row_count(source: Source) -> None:
    engine = make_engine(source.url)
    with Session(engine) as session:
        events = list(
            session.scalars(select(AuditEvent).where(AuditEvent.action == "data.exported"))
        )
    engine.dispose()
    changes = [e.changes or {} for e in events]
    assert [(e.actor, c["format"]) for e, c in zip(events, changes, strict=True)] == [
        ("cli:export", "csv"), ("cli:export", "json")
    ]  # fmt: skip
    manifest = json.loads((source.exports["csv"] / "manifest.json").read_text(encoding="utf-8"))
    assert changes[0]["rows"] == sum(t["rows"] for t in manifest["tables"])


def test_a_dry_run_export_writes_nothing(source: Source, tmp_path: Path) -> None:
    audited = count(source.url, AuditEvent)
    output = invoke(source.app, "export", str(tmp_path / "nothing"), "--dry-run")
    assert "proefrun" in output and "household: 12 rijen" in output
    assert not (tmp_path / "nothing").exists()
    assert count(source.url, AuditEvent) == audited


def test_an_export_refuses_a_folder_with_files(source: Source, tmp_path: Path) -> None:
    (tmp_path / "old.csv").write_text("x", encoding="utf-8")
    done = source.app.test_cli_runner().invoke(args=["export", str(tmp_path)])
    assert done.exit_code == 1 and "export_folder_not_empty" in done.output
    assert [p.name for p in tmp_path.iterdir()] == ["old.csv"]


def test_only_its_owner_can_read_the_export(source: Source) -> None:
    folder = source.exports["csv"]
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files = list(folder.iterdir())
    assert len(files) > 10 and {stat.S_IMODE(f.stat().st_mode) for f in files} == {0o600}


def test_a_failed_export_leaves_no_plain_text_file_and_no_audit_row(
    source: Source, backend: Backend, tmp_path: Path
) -> None:
    """Another secret key cannot decrypt the BSNs: the export fails at the persons, after it
    wrote the tables before them, and takes those files away again."""
    audited = count(source.url, AuditEvent)
    wrong = app_on(backend, source.url, SECRET_KEY="another-secret-key-" + "x" * 40)
    done = wrong.test_cli_runner().invoke(args=["export", str(tmp_path / "out")])
    wrong.extensions["almerepas.engine"].dispose()
    assert done.exit_code != 0
    assert list((tmp_path / "out").iterdir()) == []
    assert count(source.url, AuditEvent) == audited


def test_a_restore_refuses_a_database_with_data(source: Source) -> None:
    persons = count(source.url, Person)
    done = source.app.test_cli_runner().invoke(args=["import", str(source.exports["csv"])])
    assert done.exit_code == 1
    assert "restore_target_not_empty" in done.output and "lege" in done.output
    assert count(source.url, Person) == persons


def copy_of(folder: Path, into: Path) -> Path:
    into.mkdir()
    for path in folder.iterdir():
        (into / path.name).write_bytes(path.read_bytes())
    return into


def test_a_restore_refuses_a_changed_file_and_writes_nothing(
    source: Source, backend: Backend, make_app: MakeApp, tmp_path: Path
) -> None:
    folder = copy_of(source.exports["csv"], tmp_path / "changed")
    accounts = folder / "account.csv"
    accounts.write_text(accounts.read_text(encoding="utf-8").replace('"0"', '"1"', 1))
    target, url = empty_target(backend, make_app)
    done = target.test_cli_runner().invoke(args=["import", str(folder)])
    assert done.exit_code == 1 and "restore_file_changed" in done.output
    assert count(url, Account) == 0 and count(url, AuditEvent) == 0


def test_a_restore_refuses_an_export_of_another_schema(
    source: Source, backend: Backend, make_app: MakeApp, tmp_path: Path
) -> None:
    folder = copy_of(source.exports["json"], tmp_path / "older")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["alembic_revision"] = "0001_older"
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    target, url = empty_target(backend, make_app)
    done = target.test_cli_runner().invoke(args=["import", str(folder)])
    assert done.exit_code == 1 and "restore_revision_mismatch" in done.output
    assert count(url, Household) == 0


def test_a_dry_run_restore_writes_nothing_and_the_real_one_then_works(
    source: Source, backend: Backend, make_app: MakeApp
) -> None:
    target, url = empty_target(backend, make_app)
    output = invoke(target, "import", str(source.exports["json"]), "--dry-run")
    assert "proefrun" in output
    assert count(url, Membership) == 0 and count(url, AuditEvent) == 0
    invoke(target, "import", str(source.exports["json"]))
    assert count(url, Membership) == count(source.url, Membership) > 0


def test_restored_staff_log_in_after_the_administrator_resets_them(
    source: Source, backend: Backend, make_app: MakeApp
) -> None:
    target, url = empty_target(backend, make_app)
    invoke(target, "import", str(source.exports["csv"]))
    engine = make_engine(url)
    with Session(engine) as session:
        users = list(session.scalars(select(StaffUser)))
        hasher = target.extensions["almerepas.keys"].password_hasher
        assert {u.username for u in users} >= {"beheerder", "financien"}
        assert not any(password_matches(hasher, u.password_hash, demo_password()) for u in users)
    engine.dispose()

    client = target.test_client()

    def log_in(password: str, secret: str) -> int:
        code = pyotp.TOTP(secret).at(clock.now())
        body = {"username": "financien", "password": password, "totp_code": code}
        return client.post("/api/v1/tokens", json=body).status_code

    as_admin = ["financien", "--as", "beheerder"]
    reset = invoke(target, "staff", "reset-password", *as_admin)
    password = re.search(r"Wachtwoord: (\S+)", reset)
    second = invoke(target, "staff", "reset-2fa", *as_admin)
    secret = re.search(r"TOTP-sleutel: ([A-Z2-7]+)", second)
    assert password and secret
    assert log_in(demo_password(), secret.group(1)) == 401
    assert log_in(password.group(1), secret.group(1)) == 201


def test_a_csv_row_keeps_null_the_empty_string_quotes_commas_and_line_breaks() -> None:
    columns = [
        catalogue.ExportColumn(name, kind, True, name)
        for name, kind in (("a", "string"), ("b", "string"), ("c", "integer"), ("d", "json"))
    ]
    values = [None, "", 12500, {"x": 'say "hi",\r\nthen go'}]
    buffer = io.BytesIO()
    formats.write_row(formats.HashingWriter(buffer), formats.CSV, columns, values)
    line = buffer.getvalue().decode("utf-8")
    assert line.startswith(',"","12500","{')
    record = next(formats.csv_records(io.StringIO(line, newline="")))
    assert [formats.from_text(t, c) for t, c in zip(record, columns, strict=True)] == values
    assert next(csv.reader(io.StringIO(line, newline="")))[2] == "12500"  # any reader
