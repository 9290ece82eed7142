"""`almerepas cards print` and `almerepas passes expire`.

The card codes are the real card credentials (almerepas.passes.credentials); the tests read the
PDF back, decode its QRs with zxing-cpp and check each code with the service's own verify.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almerepas.core.crypto import Keyring
from almerepas.models import AuditEvent, CardPrint, Household, MemberRole, Pass, PassStatus
from almerepas.passes import credentials as card_codes
from almerepas.passes import numbers
from almerepas.passes import operations as passes
from almerepas.passes.verify import verify_code
from tests.factories import KEYS, TEST_ACTOR, make_household
from tests.fixtures import START, FrozenClock
from tests.qr import read_qr

A, C = MemberRole.applicant, MemberRole.child
MM = 72 / 25.4


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The real card credentials, recording whose card got a code; the key store "fails" for
    a person called Kapot, to see that a failure halfway leaves nothing behind."""
    issued: list[int] = []
    real = card_codes.issue_card_credential

    def issue_card_credential(
        session: Session, pass_: Pass, *, keys: Keyring, now: dt.datetime
    ) -> str:
        if pass_.person.given_name == "Kapot":
            raise RuntimeError("the key store is down")
        issued.append(pass_.id)
        return real(session, pass_, keys=keys, now=now)

    monkeypatch.setattr(card_codes, "issue_card_credential", issue_card_credential)
    return issued


def generation(session: Session, code: str) -> int:
    """The generation a printed code carries, as the service's own check reads it."""
    return verify_code(session, code, now=START, keys=KEYS).generation


@pytest.fixture
def two_households(keyed: Session, frozen_clock: FrozenClock) -> tuple[Household, Household]:
    """Two households, and the signing keys that printing card codes needs."""
    reference = keyed
    stad = make_household(reference, [(A, dt.date(1980, 1, 1)), (C, dt.date(2015, 1, 1))])
    poort = make_household(reference, [(A, dt.date(1990, 1, 1))], postcode="1361 AA")
    return stad, poort


def issue_all(session: Session, *households: Household) -> list[Pass]:
    return [
        passes.issue_pass(session, m.person, actor=TEST_ACTOR, now=START)
        for household in households
        for m in household.memberships
    ]


def qr_texts(path: Path) -> list[str]:
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    found = []
    for page in reader.pages:
        for image in page.images:
            found += [b.text for b in read_qr(image.image.convert("L"))]
    return found


def page_sizes(path: Path) -> list[tuple[float, float]]:
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    return [
        (round(float(p.mediabox.width) / MM, 2), round(float(p.mediabox.height) / MM, 2))
        for p in reader.pages
    ]


def count(session: Session, model: type[object]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_batch_prints_each_pass_without_a_card_once(
    runner: FlaskCliRunner,
    reference: Session,
    two_households: tuple[Household, Household],
    credentials: list[int],
    tmp_path: Path,
) -> None:
    made = issue_all(reference, *two_households)
    target = tmp_path / "kaarten.pdf"
    result = runner.invoke(args=["cards", "print", "--batch", str(target)])
    assert result.exit_code == 0, result.output
    assert "kaarten: gedrukt" in result.output and "3" in result.output
    assert page_sizes(target) == [(210.0, 297.0), (85.6, 53.98)] * 3
    codes = qr_texts(target)
    assert len(codes) == 3
    assert [generation(reference, c) for c in codes] == [1] * 3
    assert credentials == [p.id for p in made]
    assert count(reference, CardPrint) == 3
    rows = reference.scalars(select(AuditEvent).where(AuditEvent.action == "card.print")).all()
    assert {(r.actor, r.entity_id) for r in rows} == {("cli:cards-print", str(p.id)) for p in made}
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left behind

    again = runner.invoke(args=["cards", "print", "--batch", str(tmp_path / "twee.pdf")])
    assert again.exit_code == 0, again.output
    assert "geen passen zonder gedrukte kaart" in again.output
    assert not (tmp_path / "twee.pdf").exists()

    # A replacement is a new generation: the next batch prints that one card.
    new = passes.replace_pass(reference, made[0], actor=TEST_ACTOR, now=START)
    third = tmp_path / "drie.pdf"
    assert runner.invoke(args=["cards", "print", "--batch", str(third)]).exit_code == 0
    [code] = qr_texts(third)
    assert generation(reference, code) == 2
    assert credentials[-1] == new.id


def test_a_batch_for_one_district(
    runner: FlaskCliRunner,
    reference: Session,
    two_households: tuple[Household, Household],
    credentials: list[int],
    tmp_path: Path,
) -> None:
    stad, poort = two_households
    made = issue_all(reference, stad, poort)
    target = tmp_path / "poort.pdf"
    args = ["cards", "print", "--batch", str(target), "--district", "almere_poort"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert credentials == [made[2].id]
    assert len(qr_texts(target)) == 1


def test_a_dry_run_counts_and_writes_nothing(
    runner: FlaskCliRunner,
    reference: Session,
    two_households: tuple[Household, Household],
    credentials: list[int],
    tmp_path: Path,
) -> None:
    issue_all(reference, *two_households)
    target = tmp_path / "kaarten.pdf"
    result = runner.invoke(args=["cards", "print", "--batch", str(target), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "proefrun" in result.output
    assert list(tmp_path.iterdir()) == []
    assert count(reference, CardPrint) == 0


def test_a_failure_leaves_no_file_and_no_record(
    runner: FlaskCliRunner,
    reference: Session,
    two_households: tuple[Household, Household],
    credentials: list[int],
    tmp_path: Path,
) -> None:
    stad, poort = two_households
    issue_all(reference, stad, poort)
    poort.memberships[0].person.given_name = "Kapot"  # the key store "fails" for this one
    reference.flush()
    target = tmp_path / "kaarten.pdf"
    result = runner.invoke(args=["cards", "print", "--batch", str(target)])
    assert result.exit_code != 0
    assert list(tmp_path.iterdir()) == []
    assert count(reference, CardPrint) == 0


def test_one_card_again_by_its_number(
    runner: FlaskCliRunner,
    reference: Session,
    two_households: tuple[Household, Household],
    credentials: list[int],
    tmp_path: Path,
) -> None:
    made = issue_all(reference, *two_households)
    target = tmp_path / "een.pdf"
    for _ in range(2):  # printed again: a second row, a second code
        result = runner.invoke(
            args=["cards", "print", "--pass", numbers.grouped(made[1].number), str(target)]
        )
        assert result.exit_code == 0, result.output
    assert page_sizes(target) == [(85.6, 53.98)]
    assert credentials == [made[1].id, made[1].id]
    passes.block_pass(reference, made[1], reason=passes.BlockReason.lost, actor=TEST_ACTOR,
                      now=START)  # fmt: skip
    refused = runner.invoke(args=["cards", "print", "--pass", made[1].number, str(target)])
    assert refused.exit_code == 1
    assert "pass_not_active" in refused.output


@pytest.mark.parametrize(
    "args",
    [
        ["cards", "print"],
        ["cards", "print", "--pass", "4821390712653"],
        ["cards", "print", "--batch", "a.pdf", "b.pdf"],
        ["cards", "print", "--batch", "a.pdf", "--pass", "4821390712653", "b.pdf"],
        ["cards", "print", "--pass", "4821390712653", "b.pdf", "--district", "almere_haven"],
    ],
)
def test_the_command_says_how_it_is_used(runner: FlaskCliRunner, args: list[str]) -> None:
    result = runner.invoke(args=args)
    assert result.exit_code == 2, result.output


def test_passes_expire(
    runner: FlaskCliRunner,
    reference: Session,
    two_households: tuple[Household, Household],
    frozen_clock: FrozenClock,
) -> None:
    made = issue_all(reference, *two_households)
    frozen_clock.set(dt.datetime(2028, 1, 1, 9, 0, tzinfo=dt.UTC))
    dry = runner.invoke(args=["passes", "expire", "--dry-run"])
    assert dry.exit_code == 0 and "3 verlopen" in dry.output
    reference.expire_all()
    assert {p.status for p in made} == {PassStatus.active}
    result = runner.invoke(args=["passes", "expire"])
    assert result.exit_code == 0, result.output
    reference.expire_all()
    assert {p.status for p in made} == {PassStatus.expired}
    actors = reference.scalars(select(AuditEvent.actor).where(AuditEvent.action == "pass.expire"))
    assert list(actors) == ["cli:passes-expire"] * 3
