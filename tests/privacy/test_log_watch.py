"""The check that a whole run's logs hold nobody (tests/log_watch.py) finds what it must, lets
through what is not personal, and sees the lines a resident's login writes."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from tests.fixtures import FrozenClock
from tests.holders.helpers import EMAIL, family
from tests.log_watch import personal_data, scan
from tests.web.test_holder_pages import ask_code, browser


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ('{"message": "lookup 111222333"}', "BSN"),
        ("zoek 111 222 333 op", "BSN"),
        ("bsn=111.222.333;", "BSN"),
        ("sent to anna.devries+pas@example.nl", "e-mail"),
        ("sms naar +31612345678", "phone"),
        ("sms naar 06-12345678", "phone"),
        ("aanvraag van Fatima El Amrani", "name"),
    ],
)
def test_the_watch_finds_a_person_in_a_line(line: str, kind: str) -> None:
    assert kind in [found for found, _text in personal_data(line)]


@pytest.mark.parametrize(
    "line",
    [
        "GET households.search_households 400 1.9ms [cc4d6535-a231-426a-a8a2-430386266e00]",
        "pass 8000000000123 scanned",  # a pass number: thirteen digits, no BSN
        "123456789 is not a BSN",  # fails the eleven test
        "from noreply@almerepas.almere.nl",
        "time 2026-12-01T08:26:19.123456+00:00",
        "Anna alone, or de Vries alone, is not a person",
    ],
)
def test_the_watch_lets_through_what_is_not_personal(line: str) -> None:
    assert list(personal_data(line)) == []


def test_a_resident_logging_in_leaves_request_lines_and_no_address_in_the_log(
    app: Flask,
    reference: Session,
    frozen_clock: FrozenClock,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    log = tmp_path_factory.getbasetemp() / "app.log"
    before = log.stat().st_size
    family(reference)
    reference.commit()
    assert ask_code(browser(app), EMAIL).status_code == 303
    with log.open(encoding="utf-8") as lines:
        lines.seek(before)
        written = lines.read()
    assert "POST holder.login 303" in written, written
    assert "written to" in written  # the outbox's line about the dropped message
    part = tmp_path_factory.getbasetemp() / "this-test.log"
    part.write_text(written, encoding="utf-8")
    assert scan([part]) == []
    assert EMAIL in "".join(
        p.read_text() for p in Path(app.config["MAIL_DROP"]).glob("email-*.eml")
    )
