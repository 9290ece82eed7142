"""The finance pages: prepare a month, four eyes, the stored SEPA file, cancel, confirm; who may."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sepaxml  # type: ignore[import-untyped]
import xmlschema
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from almerepas.models import Partner, Role
from almerepas.settlements.models import RunStatus, SettlementRun
from tests.fixtures import FrozenClock
from tests.redemptions.support import child_budget
from tests.settlements.stripe_fake import API_KEY, StripeFake
from tests.settlements.support import JULY, contracted, redeem_at
from tests.web.conftest import SignIn, field_error, location, main_of, page, submit

RUNS = "/financien/afrekeningen"
PAIN_09 = Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.09.xsd"
OWN_RUN = "U hebt deze afrekening klaargezet; een collega moet hem goedkeuren."


@pytest.fixture
def june(reference: Session, frozen_clock: FrozenClock) -> Session:
    """A swimming club with € 57,75 redeemed in June 2026; the clock on 2 July."""
    partner, place = contracted(reference, "stadsfonds", name="Zwemvereniging De Ühr & Co")
    grant = child_budget(reference)
    redeem_at(reference, grant, partner, place, 45_50)
    redeem_at(reference, grant, partner, place, 12_25)
    frozen_clock.set(JULY)
    return reference


def prepared(client: FlaskClient, period: str = "2026-06") -> str:
    """Prepare a run on the page; the run page's path."""
    return location(submit(client, RUNS, {"periode": period, "partner": ""}))


def status(session: Session, path: str) -> RunStatus:
    run = session.get_one(SettlementRun, int(path.rsplit("/", 1)[1]))
    session.refresh(run)
    return run.status


def lines_hash(html: str) -> str:
    match = re.search(r'name="lines_hash" value="([0-9a-f]{64})"', html)
    assert match, "no approve form on the page"
    return match.group(1)


def test_a_run_is_prepared_by_one_and_approved_by_another(sign_in: SignIn, june: Session) -> None:
    fien, ahmed = sign_in(Role.finance), sign_in(Role.finance)
    listed = page(fien.get(RUNS))
    assert 'value="2026-06"' in listed  # the last month that is over
    assert "Zwemvereniging De Ühr &amp; Co" in listed and "€ 57,75" in listed  # not settled yet

    path = prepared(fien)
    own = page(fien.get(path))
    assert "Klaargezet, wacht op goedkeuring" in own and "€ 57,75" in own
    assert OWN_RUN in own and 'name="lines_hash"' not in own
    run = june.get_one(SettlementRun, int(path.rsplit("/", 1)[1]))

    refused = submit(fien, f"{path}/goedkeuren", {"lines_hash": run.lines_hash})
    assert refused.status_code == 403
    assert "die u zelf hebt klaargezet niet zelf goedkeuren" in page(refused)
    assert status(june, path) == RunStatus.draft

    seen = page(ahmed.get(path))
    assert OWN_RUN not in seen
    other = submit(ahmed, f"{path}/goedkeuren", {"lines_hash": "0" * 64})
    assert other.status_code == 409
    assert "veranderd sinds u hem bekeek" in page(other)
    assert status(june, path) == RunStatus.draft

    approved = submit(ahmed, f"{path}/goedkeuren", {"lines_hash": lines_hash(seen)})
    assert location(approved).endswith(path)
    html = page(ahmed.get(path))
    assert "Goedgekeurd, nog niet betaald" in html and "is goedgekeurd" in html
    assert status(june, path) == RunStatus.approved
    assert "Zwemvereniging" in page(ahmed.get(RUNS)).split("Nog niet afgerekend")[0]


def test_the_sepa_file_is_made_once_and_downloaded_as_stored(
    sign_in: SignIn, june: Session
) -> None:
    fien, ahmed = sign_in(Role.finance), sign_in(Role.finance)
    path = prepared(fien)
    assert submit(fien, f"{path}/sepa", {}).status_code == 409  # a draft is not paid
    submit(ahmed, f"{path}/goedkeuren", {"lines_hash": lines_hash(page(ahmed.get(path)))})

    assert location(submit(ahmed, f"{path}/sepa", {})).endswith(path)
    html = page(ahmed.get(path))
    assert "Het SEPA-bestand is gemaakt" in html and f'href="{path}/sepa.xml"' in html
    assert "Betaald, wacht op het bankafschrift" in html and "SEPA-bestand maken" not in html

    first = fien.get(f"{path}/sepa.xml")
    assert first.status_code == 200 and first.mimetype == "application/xml"
    assert first.headers["Content-Disposition"].startswith("attachment;")
    second = fien.get(f"{path}/sepa.xml")
    assert first.data == second.data
    xmlschema.XMLSchema(str(PAIN_09)).validate(first.data)
    assert b'<InstdAmt Ccy="EUR">57.75</InstdAmt>' in first.data
    assert b"Zwemvereniging De Uhr + Co" in first.data  # the EPC character set

    done = submit(fien, f"{path}/bevestigen", {})
    assert location(done).endswith(path)
    assert "Klaar: staat op het bankafschrift" in page(fien.get(path))
    assert status(june, path) == RunStatus.confirmed
    again = submit(fien, f"{path}/bevestigen", {})
    assert again.status_code == 409 and "Dat kan niet in deze stap" in page(again)


def test_no_file_to_download_before_it_is_made(sign_in: SignIn, june: Session) -> None:
    fien = sign_in(Role.finance)
    path = prepared(fien)
    assert fien.get(f"{path}/sepa.xml").status_code == 404
    assert fien.get(f"{RUNS}/999999").status_code == 404


def test_a_cancelled_run_releases_its_redemptions(sign_in: SignIn, june: Session) -> None:
    fien = sign_in(Role.finance)
    path = prepared(fien)
    assert "Alles is afgerekend." in page(fien.get(RUNS))
    assert location(submit(fien, f"{path}/annuleren", {})).endswith(path)
    html = page(fien.get(path))
    assert "Geannuleerd" in html and "Afrekening annuleren" not in html
    assert status(june, path) == RunStatus.cancelled
    listed = page(fien.get(RUNS))
    assert "€ 57,75" in listed.split("Nog niet afgerekend")[1]
    again = prepared(fien)
    assert again != path and status(june, again) == RunStatus.draft


def test_a_month_that_is_not_over_is_refused_at_the_field(sign_in: SignIn, june: Session) -> None:
    fien = sign_in(Role.finance)
    response = submit(fien, RUNS, {"periode": "2026-07", "partner": ""})
    assert response.status_code == 409
    assert "nog niet voorbij" in field_error(page(response), "periode")
    typo = submit(fien, RUNS, {"periode": "juni", "partner": ""})
    assert typo.status_code == 400
    assert "2026-06" in field_error(page(typo), "periode")
    assert june.query(SettlementRun).count() == 0


def test_a_partner_with_a_wrong_iban_is_held_back_with_the_reason(
    sign_in: SignIn, june: Session
) -> None:
    fien = sign_in(Role.finance)
    other, place = contracted(june, "stadsfonds", name="Muziekschool")
    redeem_at(june, child_budget(june), other, place, 10_00)
    june.execute(update(Partner).where(Partner.id == other.id).values(iban="NL00"))
    html = page(fien.get(prepared(fien)))
    held = html.split("Tegengehouden partners")[1]
    assert "Muziekschool" in held and "IBAN klopt niet" in held and "€ 10,00" in held


def test_a_month_where_everyone_is_held_back_says_why(sign_in: SignIn, june: Session) -> None:
    june.execute(update(Partner).values(iban="NL00"))
    response = submit(sign_in(Role.finance), RUNS, {"periode": "2026-06", "partner": ""})
    assert response.status_code == 409
    html = page(response)
    assert "niets nieuws om af te rekenen" in field_error(html, "periode")
    assert "Zwemvereniging De Ühr &amp; Co</bdi>: IBAN klopt niet" in html
    assert june.query(SettlementRun).count() == 0


def test_a_late_month_is_marked(sign_in: SignIn, june: Session, frozen_clock: FrozenClock) -> None:
    frozen_clock.set(dt.datetime(2026, 7, 20, 9, 0, tzinfo=dt.UTC))
    html = page(sign_in(Role.finance).get(RUNS))
    late = html.split("Te laat")[1].split("Nog niet afgerekend")[0]
    assert "2026-06" in late and "14-07-2026" in late
    assert "Er is nog geen afrekening gemaakt" in late


def test_a_caseworker_gets_403(sign_in: SignIn, june: Session) -> None:
    path = prepared(sign_in(Role.finance))
    caseworker = sign_in(Role.caseworker)
    for url in (RUNS, path, f"{path}/sepa.xml"):
        assert caseworker.get(url).status_code == 403, url
    assert submit(caseworker, RUNS, {"periode": "2026-06"}).status_code == 403
    assert "Afrekeningen" not in page(caseworker.get("/medewerkers"))


def test_the_auditor_sees_but_has_no_buttons(sign_in: SignIn, june: Session) -> None:
    path = prepared(sign_in(Role.finance))
    auditor = sign_in(Role.auditor)
    assert 'href="/financien/afrekeningen"' in page(auditor.get("/medewerkers"))
    listed = page(auditor.get(RUNS))
    assert "Afrekening " in listed and "<form" not in main_of(listed)
    html = page(auditor.get(path))
    assert "€ 57,75" in html and "<form" not in main_of(html)
    english = page(auditor.get(f"{path}?lang=en"))
    assert '<html lang="en"' in english and "€ 57,75" in english
    assert submit(auditor, f"{path}/annuleren", {}).status_code == 403
    assert status(june, path) == RunStatus.draft


@pytest.fixture
def stripe_fake(app: Flask) -> Iterator[StripeFake]:
    """The loopback fake of Stripe Connect, with the app pointed at it."""
    with StripeFake(balance=100_000).running() as fake:
        app.config.update(STRIPE_API_KEY=API_KEY, STRIPE_API_BASE=fake.url)
        yield fake
        fake.wait_idle()


def test_stripe_partners_are_paid_and_a_refusal_is_named(
    sign_in: SignIn, june: Session, stripe_fake: StripeFake
) -> None:
    grant = child_budget(june)
    for name, account in (
        ("Atletiek Almere", "acct_atletiek01"),
        ("Bowling Buiten", "acct_bowl0001"),
    ):
        partner, place = contracted(
            june, "stadsfonds", name=name, payout_method="stripe", stripe_account=account
        )
        redeem_at(june, grant, partner, place, 20_00)
    stripe_fake.add_account("acct_atletiek01")
    stripe_fake.add_account("acct_bowl0001", transfers_active=False)
    fien, ahmed = sign_in(Role.finance), sign_in(Role.finance)
    path = prepared(fien)
    submit(ahmed, f"{path}/goedkeuren", {"lines_hash": lines_hash(page(ahmed.get(path)))})
    assert "Partners via Stripe betalen" in page(ahmed.get(path))

    location(submit(ahmed, f"{path}/stripe", {}))
    html = page(ahmed.get(path))
    assert "Niet betaald aan Bowling Buiten: Stripe heeft deze betaling geweigerd" in html
    assert "Via Stripe betaald: 1 van 2 partners." in html
    assert status(june, path) == RunStatus.approved
    assert "Partners via Stripe betalen" in html  # the one left can be tried again
    later = page(fien.get(path)).split("Bowling Buiten")[1].split("</tr>")[0]
    assert "Laatste poging mislukt:</strong> Stripe heeft deze betaling geweigerd" in later

    stripe_fake.add_account("acct_bowl0001")  # the partner finished its Stripe onboarding
    location(submit(ahmed, f"{path}/stripe", {}))
    assert "Via Stripe betaald: 1 van 1 partners." in page(ahmed.get(path))
    assert len(stripe_fake.transfers) == 2
    location(submit(ahmed, f"{path}/sepa", {}))  # the swimming club is paid by SEPA
    assert status(june, path) == RunStatus.paid_out
