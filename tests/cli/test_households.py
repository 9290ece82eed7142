"""`almerepas households import|export-waiver` on the command line, with real files."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.households import members as households
from almerepas.models import AuditEvent, Role
from tests.factories import KEYS, make_staff
from tests.fixtures import FrozenClock
from tests.households.importing_support import bsns, counts, person, single_parent, write_file


@pytest.fixture
def caseworker(app: Flask, reference: Session, frozen_clock: FrozenClock) -> str:
    user, _, _ = make_staff(reference, Role.caseworker, app=app, username="consulent")
    return user.username


@pytest.fixture
def bijstand_file(tmp_path: Path) -> tuple[Path, list[dict[str, str]]]:
    ids = bsns()
    rows = [
        *single_parent(ids, "HH-1", "1.401,50", number="1"),
        *single_parent(ids, "HH-2", "9.000,00", number="2"),  # above every limit
        person("123456789", "HH-3", "aanvrager", "01-01-1980", income="900", number="3"),
    ]
    return write_file(tmp_path / "bijstand.csv", rows), rows


def test_dry_run_shows_the_diff_and_writes_nothing(
    runner: FlaskCliRunner, reference: Session, caseworker: str,
    bijstand_file: tuple[Path, list[dict[str, str]]],
) -> None:  # fmt: skip
    path, rows = bijstand_file
    before = counts(reference)
    dry = runner.invoke(
        args=["households", "import", str(path), "--source", "bijstand", "--as", caseworker,
              "--dry-run"]
    )  # fmt: skip
    assert dry.exit_code == 0, dry.output
    assert counts(reference) == before  # not even the audit rows
    assert "HH-1" in dry.output and "nieuw" in dry.output
    assert "Nieuw: 1. Gewijzigd: 0. Ongewijzigd: 0. Niet ingelezen: 3 regels." in dry.output
    assert "income_above_limit" in dry.output and "bad_bsn" in dry.output
    assert "elfproef" in dry.output  # the reason in words
    assert "proefrun" in dry.output.lower()
    for row in rows:
        assert row["bsn"] not in dry.output  # refusals name the line and the key, never a BSN


def test_import_then_again_changes_nothing_and_says_so(
    runner: FlaskCliRunner, reference: Session, caseworker: str,
    bijstand_file: tuple[Path, list[dict[str, str]]],
) -> None:  # fmt: skip
    path, rows = bijstand_file
    args = ["households", "import", str(path), "--source", "bijstand", "--as", caseworker]
    first = runner.invoke(args=args)
    assert first.exit_code == 0, first.output
    assert households.find_person_by_bsn(reference, rows[0]["bsn"], keys=KEYS) is not None
    assert households.find_person_by_bsn(reference, rows[2]["bsn"], keys=KEYS) is None
    before = counts(reference)

    second = runner.invoke(args=args)
    assert second.exit_code == 0, second.output
    assert "Nieuw: 0. Gewijzigd: 0. Ongewijzigd: 1." in second.output
    assert "verandert niets" in second.output
    after = counts(reference)
    assert after.pop("AuditEvent") > before.pop("AuditEvent")  # the second run is audited too
    assert after == before
    runs = reference.scalars(
        select(AuditEvent).where(AuditEvent.action == "households.import")
    ).all()
    assert [r.actor for r in runs] == ["staff:consulent", "staff:consulent"]
    assert {r.changes["source"] for r in runs if r.changes} == {"bijstand"}


@pytest.mark.parametrize("role", [Role.finance, Role.auditor, Role.policy])
def test_only_a_caseworker_may_import_or_export(
    runner: FlaskCliRunner, app: Flask, reference: Session, frozen_clock: FrozenClock,
    bijstand_file: tuple[Path, list[dict[str, str]]], tmp_path: Path, role: Role,
) -> None:  # fmt: skip
    path, _ = bijstand_file
    user, _, _ = make_staff(reference, role, app=app)
    before = counts(reference)
    refused = runner.invoke(
        args=["households", "import", str(path), "--source", "bijstand", "--as", user.username]
    )
    assert refused.exit_code == 2 and "mag" in refused.output
    target = tmp_path / "kwijtschelding.csv"
    export = runner.invoke(
        args=["households", "export-waiver", "--on", "2026-03-02", "--output", str(target),
              "--as", user.username]
    )  # fmt: skip
    assert export.exit_code == 2 and not target.exists()
    unknown = runner.invoke(
        args=["households", "import", str(path), "--source", "bijstand", "--as", "niemand"]
    )
    assert unknown.exit_code == 2
    assert counts(reference) == before


def test_export_waiver_writes_the_file_after_the_commit(
    runner: FlaskCliRunner, reference: Session, caseworker: str,
    bijstand_file: tuple[Path, list[dict[str, str]]], tmp_path: Path,
) -> None:  # fmt: skip
    path, rows = bijstand_file
    runner.invoke(
        args=["households", "import", str(path), "--source", "bijstand", "--as", caseworker]
    )
    target = tmp_path / "kwijtschelding.csv"
    base = ["households", "export-waiver", "--on", "2026-03-02", "--limit", "120"]
    dry = runner.invoke(args=[*base, "--output", str(target), "--as", caseworker, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert not target.exists()
    done = runner.invoke(args=[*base, "--output", str(target), "--as", caseworker])
    assert done.exit_code == 0, done.output
    with target.open(encoding="utf-8", newline="") as handle:
        listed = list(csv.DictReader(handle, delimiter=";"))
    valid_until = (dt.date(2026, 3, 2).replace(year=2027) - dt.timedelta(days=1)).strftime(
        "%d-%m-%Y"
    )
    assert listed == [
        {
            "bsn_aanvrager": rows[0]["bsn"],  # the mother, not her daughter
            "huishoudgrootte": "2",
            "inkomen_tot_en_met_procent": "100",
            "geldig_tot": valid_until,
        }
    ]
    assert target.stat().st_mode & 0o077 == 0  # a list of BSNs: readable by its owner only
    event = reference.scalars(
        select(AuditEvent).where(AuditEvent.action == "households.export_waiver")
    ).one()
    assert event.actor == "staff:consulent"


def test_a_file_without_the_layouts_columns_is_refused_whole(
    runner: FlaskCliRunner, reference: Session, caseworker: str, tmp_path: Path
) -> None:
    path = tmp_path / "oud.csv"
    path.write_text("bsn;naam\r\n111222333;Sam\r\n", encoding="utf-8")
    before = counts(reference)
    refused = runner.invoke(
        args=["households", "import", str(path), "--source", "bijstand", "--as", caseworker]
    )
    assert refused.exit_code == 2
    assert "huishouden" in refused.output and "111222333" not in refused.output
    assert counts(reference) == before
