"""A second gemeente by data alone: tests/gemeente/voorbeeld installed into a fresh database,
the demo loaded and used through it; every page names Voorbeeld and none names Almere."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.core import gemeente
from almerepas.models import Household, PostcodeDistrict, Scheme
from tests.conftest import Backend
from tests.fixtures import FrozenClock
from tests.web.conftest import BROWSER_ACCEPT, location, page

VOORBEELD = Path(__file__).with_name("voorbeeld")
TODAY = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def voorbeeld(
    make_app: Callable[..., Flask], backend: Backend, frozen_clock: FrozenClock
) -> Iterator[Flask]:
    """The app for Voorbeeld on a database of its own, with the demo loaded."""
    frozen_clock.set(TODAY)
    app = make_app(backend.fresh_database(), GEMEENTE_DIR=str(VOORBEELD))
    app.config["OUTBOX_HAND_OVER"] = "close"
    loaded = app.test_cli_runner().invoke(
        args=["demo", "load", "--year", "2026", "--households", "12"]
    )
    assert loaded.exit_code == 0, loaded.output
    yield app
    gemeente.install(gemeente.load(gemeente.SHIPPED))  # the next test's domain code: Almere


def logged_in(app: Flask, username: str) -> FlaskClient:
    """A browser logged in on the real form with the demo's password and the code it prints."""
    logins = app.test_cli_runner().invoke(args=["demo", "logins"]).output
    found = re.search(rf"^\s*{username} .*wachtwoord (\S+) .*code nu (\d+)", logins, re.M)
    assert found, logins
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT"] = BROWSER_ACCEPT
    form = page(client.get("/inloggen"))
    token = form.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post(
        "/inloggen",
        data={"username": username, "password": found.group(1), "code": found.group(2),
              "next": "/medewerkers", "csrf_token": token},
    )  # fmt: skip
    location(response)
    return client


def shows_voorbeeld(html: str) -> str:
    """Voorbeeld's names and none of Almere's: the place, the pass, the phone number."""
    for almere in ("Almere", "14 036", "ألميره"):
        assert almere not in html, re.findall(rf".{{60}}{almere}.{{60}}", html, re.S)[:3]
    assert "Voorbeeld" in html
    return html


def test_the_data_folder_is_what_the_database_holds(voorbeeld: Flask) -> None:
    with voorbeeld.app_context():
        session: Session = voorbeeld.extensions["almerepas.sessionmaker"]()
        postcodes = {p.pc4: p.district for p in session.scalars(select(PostcodeDistrict))}
        districts = set(session.scalars(select(Household.district)))
        codes = set(session.scalars(select(Scheme.code)))
        session.close()
    assert postcodes == {
        "9901": "noord", "9902": "noord", "9905": "zuid", "9906": "zuid", "9909": None,
    }  # fmt: skip
    assert districts == {"noord", "zuid", "unknown"}
    assert codes == {"jeugdfonds", "winkelkorting"}
    assert voorbeeld.config["SEPA_DEBTOR_IBAN"] == "NL02BNGH0285099999"
    assert voorbeeld.config["SEPA_DEBTOR_NAME"] == "Gemeente Voorbeeld"


def test_public_pages_name_voorbeeld_in_its_colours_and_logo(voorbeeld: Flask) -> None:
    client = voorbeeld.test_client()
    for path in ("/", "/aanbod", "/toegankelijkheid", "/recht", "/mijn/inloggen"):
        html = shows_voorbeeld(page(client.get(path)))
        assert "Voorbeeldpas" in html, path
    assert "14 099" in page(client.get("/toegankelijkheid"))
    for lang in ("en", "ar"):
        shows_voorbeeld(page(client.get(f"/?lang={lang}")))
        shows_voorbeeld(page(client.get(f"/mijn/inloggen?lang={lang}")))
    css = client.get("/gemeente.css").get_data(as_text=True)
    assert "--alm-color-primary: #2b5d1f" in css
    logo = client.get("/gemeente/logo")
    assert logo.status_code == 200 and b"<svg" in logo.data


def test_the_demo_flow_runs_through_voorbeeld(voorbeeld: Flask) -> None:
    caseworker = logged_in(voorbeeld, "consulent")
    shows_voorbeeld(page(caseworker.get("/medewerkers")))
    with voorbeeld.app_context():
        session: Session = voorbeeld.extensions["almerepas.sessionmaker"]()
        north = session.scalars(select(Household.id).where(Household.district == "noord")).first()
        session.close()
    html = shows_voorbeeld(page(caseworker.get(f"/medewerkers/huishoudens/{north}")))
    assert "Voorbeeld-Noord" in html
    for path in ("/medewerkers/huishoudens/nieuw", f"/medewerkers/huishoudens/{north}/adres"):
        shows_voorbeeld(page(caseworker.get(path)))

    policy = logged_in(voorbeeld, "beleid")
    figures = shows_voorbeeld(page(policy.get("/medewerkers/cijfers?jaar=2026")))
    assert '<option value="zuid"' in figures and "Voorbeeld-Zuid" in figures
    shows_voorbeeld(page(policy.get("/medewerkers/cijfers?jaar=2026&wijk=noord")))

    prepared = voorbeeld.test_cli_runner().invoke(
        args=["settle", "prepare", "--period", "2026-05", "--as", "financien"]
    )
    assert prepared.exit_code == 0, prepared.output
    assert "Almere" not in prepared.output
