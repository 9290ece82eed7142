"""The partner portal's pages through the test client: scan (camera code or typed number), the
answer in plain words, redeem once per Idempotency-Key, the transactions with filters, CSV and
reversals; and the holder's pass page that shows the redemption within seconds."""

from __future__ import annotations

import csv
import io

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almerepas.models import Redemption
from almerepas.redemptions.at_partner import left_of
from tests.fixtures import FrozenClock
from tests.partners.portal_support import (
    Counter,
    Holder,
    budget_holder,
    card_code,
    csrf,
    holder_client,
    make_counter,
    portal_client,
    quota_holder,
)

pytestmark = pytest.mark.usefixtures("frozen_clock")

FRAGMENT = {"X-Portal-Answer": "fragment"}


@pytest.fixture
def counter(keyed: Session) -> Counter:
    return make_counter(keyed, schemes_here=("stadsfonds", "menstruatie", "supermarkt", "ov"))


@pytest.fixture
def holder(keyed: Session) -> Holder:
    return budget_holder(keyed)


@pytest.fixture
def cashier(app: Flask, counter: Counter) -> FlaskClient:
    return portal_client(app, counter)


def scan(client: FlaskClient, **fields: str) -> tuple[int, str]:
    response = client.post("/partner/scan", data={"csrf_token": csrf(client), **fields})
    return response.status_code, response.get_data(as_text=True)


def scan_reference(html: str) -> str:
    start = html.index('name="scan_reference" value="') + len('name="scan_reference" value="')
    return html[start : html.index('"', start)]


def redeem(
    client: FlaskClient, reference: str, scheme: str, amount: str, key: str = ""
) -> tuple[int, str]:
    response = client.post(
        "/partner/afschrijven",
        data={"csrf_token": csrf(client), "scan_reference": reference, "scheme": scheme,
              "amount": amount},
        headers={"Idempotency-Key": key} if key else {},
    )  # fmt: skip
    return response.status_code, response.get_data(as_text=True)


def test_the_portal_is_for_partners_only(client: FlaskClient) -> None:
    response = client.get("/partner")
    assert response.status_code == 303
    assert response.headers["Location"] == "/partner/inloggen?next=/partner"


def test_a_typed_pass_number_shows_green_with_what_is_left_here(
    cashier: FlaskClient, holder: Holder
) -> None:
    status, html = scan(cashier, pass_number=holder.pass_.number)
    assert status == 200
    assert "Geldige Almerepas" in html
    assert 'data-state="valid"' in html
    assert "Stadsfonds sport en cultuur" in html
    assert "Nog over: € 300,00" in html
    assert "Bedrag in euro" in html  # the redeem form for the budget


def test_the_card_code_from_the_camera_shows_green(
    cashier: FlaskClient, keyed: Session, holder: Holder
) -> None:
    status, html = scan(cashier, code=card_code(keyed, holder.pass_))
    assert (status, "Geldige Almerepas" in html) == (200, True)


@pytest.mark.parametrize(
    ("fields", "status", "reason"),
    [
        ({"pass_number": "999999999999"}, 404, "Er is geen Almerepas met dit nummer"),
        ({"code": "not-a-pass"}, 422, "Dit is geen code van een Almerepas"),
        ({}, 400, "Scan de QR-code of vul het pasnummer in."),
    ],
)
def test_a_refused_scan_is_red_with_the_reason_and_never_green(
    cashier: FlaskClient, fields: dict[str, str], status: int, reason: str | None
) -> None:
    got, html = scan(cashier, **fields)
    assert got == status
    assert "Niet goedgekeurd" in html
    assert 'data-state="refused"' in html
    assert "Geldige Almerepas" not in html
    if reason:
        assert reason in html


def test_the_script_gets_the_answer_alone(cashier: FlaskClient, holder: Holder) -> None:
    response = cashier.post(
        "/partner/scan",
        data={"csrf_token": csrf(cashier), "pass_number": holder.pass_.number},
        headers=FRAGMENT,
    )
    html = response.get_data(as_text=True)
    assert response.headers["X-Portal-Answer"] == "fragment"
    assert "<html" not in html and "Geldige Almerepas" in html


def test_a_scan_without_a_csrf_token_is_refused(cashier: FlaskClient, holder: Holder) -> None:
    response = cashier.post("/partner/scan", data={"pass_number": holder.pass_.number})
    assert response.status_code == 400
    assert "Geldige Almerepas" not in response.get_data(as_text=True)


def test_redeeming_takes_the_amount_once_per_idempotency_key(
    cashier: FlaskClient, keyed: Session, holder: Holder
) -> None:
    _status, html = scan(cashier, pass_number=holder.pass_.number)
    reference = scan_reference(html)
    first = redeem(cashier, reference, "stadsfonds", "12,50", key="k-1")
    again = redeem(cashier, reference, "stadsfonds", "12,50", key="k-1")  # a double click
    assert first[0] == again[0] == 201
    for html in (first[1], again[1]):
        assert "Afgeschreven: € 12,50" in html
        assert "Nog over: € 287,50" in html
    assert left_of(keyed, holder.grant) == 287_50
    count = keyed.scalar(select(func.count()).select_from(Redemption))
    assert count == 1


def test_a_scan_reference_is_spent_by_one_redemption(
    cashier: FlaskClient, keyed: Session, holder: Holder
) -> None:
    reference = scan_reference(scan(cashier, pass_number=holder.pass_.number)[1])
    assert redeem(cashier, reference, "stadsfonds", "10", key="a")[0] == 201
    status, html = redeem(cashier, reference, "stadsfonds", "10", key="b")
    assert status == 409
    assert "Met deze scan is al iets afgeschreven. Scan de pas opnieuw." in html
    assert "Er is niets afgeschreven." in html
    assert left_of(keyed, holder.grant) == 290_00


@pytest.mark.parametrize(
    ("amount", "status", "reason"),
    [
        ("400,00", 409, "Er is niet genoeg budget over"),
        ("twaalf", 400, "Vul een bedrag in euro in, groter dan nul. Bijvoorbeeld: 12,50"),
        ("0", 400, "Vul een bedrag in euro in, groter dan nul. Bijvoorbeeld: 12,50"),
    ],
)
def test_a_refused_redemption_is_red_and_takes_nothing(
    cashier: FlaskClient, keyed: Session, holder: Holder, amount: str, status: int, reason: str
) -> None:
    reference = scan_reference(scan(cashier, pass_number=holder.pass_.number)[1])
    got, html = redeem(cashier, reference, "stadsfonds", amount)
    assert got == status
    assert reason in html and "Niet goedgekeurd" in html
    assert left_of(keyed, holder.grant) == 300_00


def test_a_quota_is_redeemed_in_packs(cashier: FlaskClient, keyed: Session) -> None:
    packs = quota_holder(keyed)
    reference = scan_reference(scan(cashier, pass_number=packs.pass_.number)[1])
    status, html = redeem(cashier, reference, "menstruatie", "2")
    assert status == 201
    assert "Afgeschreven: 2 pakken" in html and "Nog over: 1 pak" in html


def test_the_portal_speaks_english(cashier: FlaskClient, holder: Holder) -> None:
    cashier.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    status, html = scan(cashier, pass_number=holder.pass_.number)
    assert status == 200
    assert "Valid Almerepas" in html and "Left: €300.00" in html


def _redeemed(cashier: FlaskClient, holder: Holder, amount: str = "12,00") -> None:
    reference = scan_reference(scan(cashier, pass_number=holder.pass_.number)[1])
    assert redeem(cashier, reference, "stadsfonds", amount)[0] == 201


def test_the_holder_sees_the_redemption_on_the_pass_page_at_once(
    app: Flask, cashier: FlaskClient, keyed: Session, holder: Holder, frozen_clock: FrozenClock
) -> None:
    own = holder_client(app, keyed, holder.pass_)
    url = f"/mijn/passen/{holder.pass_.number}/zojuist"
    assert own.get(url).get_json() == {"uses": []}
    _redeemed(cashier, holder)
    uses = own.get(url).get_json()["uses"]
    assert [u["text"] for u in uses] == ["Zojuist gebruikt bij Sportclub Almere: € 12,00"]
    assert uses[0]["time"] == "10:00:00"  # START, on the clock in Almere
    frozen_clock.advance(minutes=6)
    assert own.get(url).get_json() == {"uses": []}  # not "just now" any more


def test_nobody_else_sees_a_holders_recent_use(
    app: Flask, client: FlaskClient, cashier: FlaskClient, keyed: Session, holder: Holder
) -> None:
    _redeemed(cashier, holder)
    url = f"/mijn/passen/{holder.pass_.number}/zojuist"
    other = budget_holder(keyed)
    assert holder_client(app, keyed, other.pass_).get(url).status_code == 404
    assert client.get(url).status_code == 401


def test_the_transactions_page_lists_filters_and_exports_the_partners_own(
    cashier: FlaskClient, keyed: Session, holder: Holder, counter: Counter
) -> None:
    _redeemed(cashier, holder, "12,00")
    page = cashier.get("/partner/transacties").get_data(as_text=True)
    assert "Sporthal Haven" in page and "€ 12,00" in page and "02-03-2026 10:00" in page
    assert "Terugdraaien" in page
    empty = cashier.get("/partner/transacties?regeling=menstruatie").get_data(as_text=True)
    assert "€ 12,00" not in empty and "Er zijn geen transacties" in empty
    later = cashier.get("/partner/transacties?van=2026-03-03").get_data(as_text=True)
    assert "€ 12,00" not in later
    here = cashier.get(f"/partner/transacties?locatie={counter.location.id}&van=2026-03-02")
    assert "€ 12,00" in here.get_data(as_text=True)
    bad = cashier.get("/partner/transacties?van=gisteren")
    assert bad.status_code == 400
    exported = cashier.get("/partner/transacties.csv?regeling=stadsfonds")
    assert exported.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff")),
                           delimiter=";"))  # fmt: skip
    assert rows[0][:6] == ["type", "id", "time", "location", "scheme", "amount"]
    assert [r[0] for r in rows[1:]] == ["redemption"]
    assert rows[1][3:7] == ["Sporthal Haven", "stadsfonds", "12.00", "EUR"]


def test_a_redemption_is_reversed_in_part_then_in_full_within_the_window(
    cashier: FlaskClient, keyed: Session, holder: Holder, frozen_clock: FrozenClock
) -> None:
    _redeemed(cashier, holder, "12,00")
    redemption = keyed.scalars(select(Redemption)).one()
    url = f"/partner/transacties/{redemption.id}/terugdraaien"
    token = csrf(cashier)
    part = cashier.post(url, data={"csrf_token": token, "amount": "2,00"}, follow_redirects=True)
    assert "Teruggedraaid: € 2,00 van Stadsfonds sport en cultuur" in part.get_data(as_text=True)
    assert left_of(keyed, holder.grant) == 290_00
    rest = cashier.post(url, data={"csrf_token": token}, follow_redirects=True)
    assert "Teruggedraaid: € 10,00" in rest.get_data(as_text=True)
    assert "Helemaal teruggedraaid" in rest.get_data(as_text=True)
    assert left_of(keyed, holder.grant) == 300_00


def test_no_reversal_after_the_window(
    app: Flask,
    counter: Counter,
    cashier: FlaskClient,
    keyed: Session,
    holder: Holder,
    frozen_clock: FrozenClock,
) -> None:
    _redeemed(cashier, holder, "12,00")
    redemption = keyed.scalars(select(Redemption)).one()
    frozen_clock.advance(days=31)
    cashier = portal_client(app, counter)  # a pairing lasts a day: the counter pairs again
    page = cashier.get("/partner/transacties").get_data(as_text=True)
    assert "Termijn voorbij (30 dagen)" in page
    response = cashier.post(
        f"/partner/transacties/{redemption.id}/terugdraaien",
        data={"csrf_token": csrf(cashier)},
        follow_redirects=True,
    )
    assert "De termijn om dit terug te draaien is voorbij" in response.get_data(as_text=True)
    assert left_of(keyed, holder.grant) == 288_00


def test_the_same_idempotency_key_for_another_amount_is_refused(
    cashier: FlaskClient, keyed: Session, holder: Holder
) -> None:
    reference = scan_reference(scan(cashier, pass_number=holder.pass_.number)[1])
    assert redeem(cashier, reference, "stadsfonds", "5,00", key="k-9")[0] == 201
    status, html = redeem(cashier, reference, "stadsfonds", "50,00", key="k-9")
    assert status == 422
    assert "Deze Idempotency-Key is al gebruikt voor een ander verzoek." in html
    assert left_of(keyed, holder.grant) == 295_00


def test_a_refused_attempt_keeps_nothing_so_its_key_may_try_again(
    cashier: FlaskClient, keyed: Session, holder: Holder
) -> None:
    reference = scan_reference(scan(cashier, pass_number=holder.pass_.number)[1])
    assert redeem(cashier, reference, "stadsfonds", "400,00", key="k-5")[0] == 409
    assert redeem(cashier, reference, "stadsfonds", "400,00", key="k-5")[0] == 409
    assert left_of(keyed, holder.grant) == 300_00


def test_a_refused_redemption_leaves_its_scan_for_the_next_try(
    cashier: FlaskClient, keyed: Session, holder: Holder
) -> None:
    # The page commits after a refusal (it shows it); the spent scan must have been given back.
    reference = scan_reference(scan(cashier, pass_number=holder.pass_.number)[1])
    assert redeem(cashier, reference, "stadsfonds", "400,00")[0] == 409
    assert redeem(cashier, reference, "stadsfonds", "12,00")[0] == 201
    assert redeem(cashier, reference, "stadsfonds", "1,00")[0] == 409  # now it is used
    assert left_of(keyed, holder.grant) == 288_00


def test_a_discount_is_computed_from_the_basket(cashier: FlaskClient, keyed: Session) -> None:
    shopper = quota_holder(keyed, "supermarkt")
    _status, html = scan(cashier, pass_number=shopper.pass_.number)
    assert "25% korting. Nog € 50,00 korting over." in html
    assert "Bedrag van de aankoop in euro" in html
    status, html = redeem(cashier, scan_reference(html), "supermarkt", "24,80")
    assert status == 201
    assert "Korting afgeschreven: € 6,20" in html
    assert "Aankoop € 24,80, korting € 6,20. De klant betaalt € 18,60." in html
    assert left_of(keyed, shopper.grant) == 43_80


def test_a_right_records_one_ride_without_an_amount(cashier: FlaskClient, keyed: Session) -> None:
    rider = quota_holder(keyed, "ov")
    _status, html = scan(cashier, pass_number=rider.pass_.number)
    assert "Vrij reizen: geen bedrag, één rit per scan." in html
    assert "Eén rit registreren" in html and 'name="amount"' not in html
    status, html = redeem(cashier, scan_reference(html), "ov", "")
    assert (status, "Rit geregistreerd" in html) == (201, True)
    page = cashier.get("/partner/transacties").get_data(as_text=True)
    assert "Eén rit" in page
