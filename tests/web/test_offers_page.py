"""/aanbod: the partners' own offers for every resident, Dutch or English, no JavaScript."""

from __future__ import annotations

import datetime as dt

import html5lib
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from almerepas.contracts import offers, partners
from tests.factories import TEST_ACTOR
from tests.fixtures import START, FrozenClock


def test_the_offers_page_shows_what_is_valid_today_in_the_readers_language(
    client: FlaskClient, db: Session, frozen_clock: FrozenClock
) -> None:
    today = START.date()
    club = partners.create_partner(
        db,
        {"name": "Zwembad De Duikbeker", "kvk_number": "12345678",
         "iban": "NL91ABNA0417164300", "payout_method": "sepa"},
        actor=TEST_ACTOR,
    )  # fmt: skip
    gone = partners.create_partner(
        db,
        {"name": "Gesloten Winkel", "kvk_number": "87654321",
         "iban": "NL91ABNA0417164300", "payout_method": "sepa"},
        actor=TEST_ACTOR,
    )  # fmt: skip
    texts = {"description_nl": "Aan de kassa.", "description_en": "At the desk."}
    offers.create_offer(
        db, club,
        {"title_nl": "10 % korting op een zwemkaart", "title_en": "10% off a swimming pass",
         "conditions_nl": "Niet met andere kortingen.", "valid_from": today, **texts},
        actor=TEST_ACTOR,
    )  # fmt: skip
    offers.create_offer(
        db, club,
        {"title_nl": "Pas volgende maand", "title_en": "Next month",
         "valid_from": today + dt.timedelta(days=40), **texts},
        actor=TEST_ACTOR,
    )  # fmt: skip
    offers.create_offer(
        db, gone,
        {"title_nl": "Van een partner die stopte", "title_en": "Stopped", "valid_from": today,
         **texts},
        actor=TEST_ACTOR,
    )  # fmt: skip
    partners.deactivate_partner(db, gone, actor=TEST_ACTOR)

    dutch = client.get("/aanbod").get_data(as_text=True)
    html5lib.HTMLParser(strict=True).parse(dutch)
    assert "<script" not in dutch
    assert "Zwembad De Duikbeker" in dutch and "10 % korting op een zwemkaart" in dutch
    assert "Niet met andere kortingen." in dutch
    assert "Pas volgende maand" not in dutch
    assert "Gesloten Winkel" not in dutch

    english = client.get("/aanbod?lang=en").get_data(as_text=True)
    assert "Offers with the Almerepas" in english
    assert "10% off a swimming pass" in english and "At the desk." in english
    # No English conditions given: the Dutch ones are shown rather than none.
    assert "Niet met andere kortingen." in english


def test_without_offers_the_page_says_so(client: FlaskClient, db: Session) -> None:
    page = client.get("/aanbod").get_data(as_text=True)
    assert "Er is nu geen aanbod." in page
