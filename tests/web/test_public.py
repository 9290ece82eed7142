"""The start page: Dutch first, English through the catalogue, valid HTML, no JavaScript needed."""

from __future__ import annotations

import html5lib
import pytest
from flask.testing import FlaskClient


def parse_strict(html: str) -> None:
    """html5lib in strict mode raises on any HTML parse error."""
    html5lib.HTMLParser(strict=True).parse(html)


@pytest.mark.parametrize("path", ["/", "/toegankelijkheid"])
def test_pages_are_valid_html_without_scripts(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    parse_strict(html)
    assert "<script" not in html  # everything works without JavaScript
    assert '<html lang="nl" dir="ltr">' in html
    assert "<title>" in html and "<h1>" in html and '<main id="inhoud"' in html


def test_start_page_is_dutch_by_default(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    assert "Almerepas: de stadspas van Almere" in html
    assert "Gratis met de bus in Almere." in html


def test_accept_language_english_gives_english(client: FlaskClient) -> None:
    response = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    html = response.get_data(as_text=True)
    assert '<html lang="en"' in html
    assert "Almerepas: the city pass of Almere" in html
    assert "Free bus travel in Almere." in html
    assert response.headers["Content-Language"] == "en"


def test_the_language_switch_is_remembered(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert 'href="/?lang=en" lang="en" hreflang="en">English</a>' in page

    switched = client.get("/?lang=en")
    assert "the city pass of Almere" in switched.get_data(as_text=True)
    assert "lang=en" in switched.headers["Set-Cookie"]
    # The next page, without ?lang, stays English even for a Dutch browser.
    again = client.get("/toegankelijkheid", headers={"Accept-Language": "nl"})
    assert '<html lang="en"' in again.get_data(as_text=True)
    back = client.get("/?lang=nl", headers={"Accept-Language": "en"})
    assert '<html lang="nl"' in back.get_data(as_text=True)


def test_stylesheet_is_served_from_our_own_static_folder(client: FlaskClient) -> None:
    with client.get("/static/css/almerepas.css") as response:
        assert response.status_code == 200
        assert "--alm-color-primary" in response.get_data(as_text=True)


def test_an_unknown_language_falls_back_to_dutch(client: FlaskClient) -> None:
    html = client.get("/?lang=xx", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="nl"' in html


def test_switching_language_keeps_the_query(client: FlaskClient) -> None:
    html = client.get("/bestaat-niet?q=1&lang=nl", headers={"Accept": "text/html"}).get_data(
        as_text=True
    )
    assert 'href="/bestaat-niet?q=1&amp;lang=en"' in html
