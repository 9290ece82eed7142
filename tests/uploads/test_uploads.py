"""Uploads live in the database: any app server serves what another took, and the folder
they lived in before is emptied into the table once (`almerepas uploads import-folder`)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from almerepas.applications import drafting, evidence
from almerepas.applications.models import Application, Evidence
from almerepas.core import clock
from almerepas.core.db import make_engine
from almerepas.http.guard import SESSION_TOKEN_KEY
from almerepas.models import AuditEvent, Role
from almerepas.reference.loaders import load_norms, load_postcodes, load_schemes
from almerepas.staff.tokens import issue_token
from almerepas.uploads import store
from tests.applications.support import pdf_bytes, png_bytes
from tests.conftest import Backend
from tests.factories import TEST_ACTOR, make_staff
from tests.fixtures import FrozenClock
from tests.redemptions.support import child_budget
from tests.reimbursements.support import declare
from tests.uploads.support import stored
from tests.web.apply_support import fill_in, resident, submit
from tests.web.conftest import BROWSER_ACCEPT

MB = 1024 * 1024
Servers = tuple[Flask, Flask, Engine]


def words(output: str) -> str:
    """The output with the console's line breaks and table borders taken out."""
    return " ".join(output.replace("│", " ").split())


@pytest.fixture
def two_servers(
    make_app: Callable[..., Flask], backend: Backend, tmp_path: Path
) -> Iterator[Servers]:
    """Two app servers on one database of their own, each with its own empty upload folder."""
    url = backend.fresh_database()
    folders = [tmp_path / "a", tmp_path / "b"]
    for folder in folders:
        folder.mkdir()
    first, second = (make_app(url, UPLOAD_FOLDER=str(folder)) for folder in folders)
    engine = make_engine(url)
    with first.app_context(), Session(engine) as session:
        load_postcodes(session)
        load_norms(session)
        load_schemes(session)
        session.commit()
    yield first, second, engine
    engine.dispose()


def test_a_file_taken_by_one_app_server_is_served_by_the_other(
    two_servers: Servers, frozen_clock: FrozenClock
) -> None:
    first, second, engine = two_servers
    applicant = resident(first)
    fill_in(applicant)  # the payslip goes up through the first server
    assert submit(applicant).status_code == 303
    with Session(engine, expire_on_commit=False) as session:
        application = session.scalars(select(Application)).one()
        item = session.scalars(select(Evidence)).one()
        user, _password, _secret = make_staff(session, Role.caseworker, app=second)
        token = issue_token(session, user)
        session.commit()
    caseworker = second.test_client()
    caseworker.environ_base["HTTP_ACCEPT"] = BROWSER_ACCEPT
    with caseworker.session_transaction() as cookie:
        cookie[SESSION_TOKEN_KEY] = token
    got = caseworker.get(f"/medewerkers/aanvragen/{application.id}/bewijs/{item.id}")
    assert got.status_code == 200 and got.mimetype == "application/pdf"
    assert hashlib.sha256(got.data).hexdigest() == item.sha256
    assert got.headers["Content-Disposition"].startswith("attachment;")
    for server in (first, second):  # neither server's disk holds the file
        assert not any(Path(server.config["UPLOAD_FOLDER"]).iterdir())


def _in_the_old_folder(session: Session, folder: Path) -> dict[Path, bytes]:
    """Evidence and a receipt as a release before the table kept them: rows here, bytes there."""
    application = drafting.start(session, now=clock.now(), actor=TEST_ACTOR)[0]
    items = [
        evidence.add(session, application, data, max_bytes=5 * MB, now=clock.now(),
                     actor=TEST_ACTOR)
        for data in (pdf_bytes(), png_bytes())
    ]  # fmt: skip
    declaration = declare(session, child_budget(session))
    where = {
        folder / items[0].file_id: items[0].file_id,
        folder / items[1].file_id: items[1].file_id,
        folder / "declaraties" / declaration.file_id: declaration.file_id,
    }
    files = {path: store.read(session, file_id) for path, file_id in where.items()}
    store.delete(session, where.values())
    for path, data in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    session.commit()
    return files


def test_the_folder_is_moved_into_the_database_once(
    app: Flask, runner: FlaskCliRunner, reference: Session, frozen_clock: FrozenClock,
    tmp_path: Path,
) -> None:  # fmt: skip
    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    files = _in_the_old_folder(reference, tmp_path)
    tampered = next(iter(files))
    tampered.write_bytes(files[tampered] + b"\n")  # changed after upload: its hash is off
    assert stored(reference) == {}

    dry = runner.invoke(args=["uploads", "import-folder", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "bewijs: ingelezen 1" in words(dry.output)
    assert stored(reference) == {} and all(path.exists() for path in files)

    real = runner.invoke(args=["uploads", "import-folder"])
    assert real.exit_code == 0, real.output
    said = words(real.output)
    assert "bewijs: ingelezen 1" in said and "bonnetje: ingelezen 1" in said
    assert "bewijs: klopt niet met de SHA-256: niet ingelezen 1" in said
    assert "2 bestanden uit de map gehaald." in said
    assert "die niet kloppen met hun SHA-256 en 0 die geen aanvraag of declaratie noemt" in said
    moved = {path.name: data for path, data in files.items() if path != tampered}
    assert stored(reference) == moved
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == [tampered]  # only that one stays

    again = runner.invoke(args=["uploads", "import-folder"])
    assert again.exit_code == 0, again.output
    assert ": ingelezen" not in words(again.output)
    assert "bewijs: stond al in de database 1" in words(again.output)
    assert stored(reference) == moved
    runs = reference.scalars(select(AuditEvent).where(AuditEvent.action == "uploads.import_folder"))
    assert [r.changes["imported"] for r in runs if r.changes] == [2, 0]  # the dry run left none
