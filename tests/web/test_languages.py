"""Dutch, English and Arabic on every resident page: the switch, its cookie, right to left, and
an Arabic translation for every text the resident pages show (docs/languages.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.models import Message
from tests.factories import KEYS
from tests.fixtures import FrozenClock
from tests.holders.helpers import EMAIL, family, last_code, member
from tests.web.conftest import page
from tests.web.test_holder_pages import (
    ask_code,
    browser,
    budgets,
    enter_code,
    make_pass,
    signed_in,
)

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "almerepas" / "web" / "templates"
AR_CATALOGUE = ROOT / "almerepas" / "translations" / "ar" / "LC_MESSAGES" / "messages.po"
#: The pages a resident sees, and the macros they import.
RESIDENT_TEMPLATES = [
    "base.html",
    "index.html",
    "accessibility.html",
    "offers.html",
    "error.html",
    "desk/*.html",
    "holder/*.html",
    "staff/_forms.html",
    "caseworker/_parts.html",
]
#: The Python behind them: what they say in sentences, the check, the reasons, the login.
RESIDENT_MODULES = [
    "web/holder/*.py",
    "web/desk/*.py",
    "http/words.py",
    "http/reasons.py",
    "http/problems.py",
    "holders/*.py",
]
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None}
DIRECTION = {"nl": "ltr", "en": "ltr", "ar": "rtl"}
PUBLIC_PAGES = ["/", "/toegankelijkheid", "/aanbod", "/recht", "/mijn/inloggen"]


def html_tag(html: str) -> str:
    match = re.search(r"<html [^>]*>", html)
    assert match, "no <html> tag"
    return match.group(0)


@pytest.mark.parametrize("lang", ["nl", "en", "ar"])
@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_every_public_page_says_its_language_and_direction(
    client: FlaskClient, reference: Session, frozen_clock: FrozenClock, path: str, lang: str
) -> None:
    html = page(client.get(f"{path}?lang={lang}"))
    assert html_tag(html) == f'<html lang="{lang}" dir="{DIRECTION[lang]}">'
    assert f'<span lang="{lang}" dir="{DIRECTION[lang]}" aria-current="true">' in html
    for other in {"nl", "en", "ar"} - {lang}:
        assert f'lang="{other}" hreflang="{other}"' in html


def test_the_start_page_in_arabic(client: FlaskClient) -> None:
    html = page(client.get("/?lang=ar"))
    assert "<h1>Almerepas: بطاقة مدينة ألميره</h1>" in html
    assert "ركوب الحافلة مجانًا في ألميره." in html
    assert '<nav aria-label="اللغة" class="language-switch">' in html
    assert 'href="/?lang=ar" lang="ar" hreflang="ar" dir="rtl">العربية</a>' in page(
        client.get("/?lang=nl")
    )


def test_the_choice_sticks_and_beats_the_browser_language(client: FlaskClient) -> None:
    switched = client.get("/recht?lang=ar", headers={"Accept-Language": "en"})
    assert "lang=ar" in switched.headers["Set-Cookie"]
    assert switched.headers["Content-Language"] == "ar"
    later = page(client.get("/toegankelijkheid", headers={"Accept-Language": "en"}))
    assert html_tag(later) == '<html lang="ar" dir="rtl">'
    assert "<h1>سهولة الوصول</h1>" in later


def test_an_arabic_browser_gets_arabic_without_choosing(client: FlaskClient) -> None:
    html = page(client.get("/", headers={"Accept-Language": "ar-MA,ar;q=0.9,nl;q=0.5"}))
    assert html_tag(html) == '<html lang="ar" dir="rtl">'


def test_the_language_links_never_lead_to_another_site(client: FlaskClient) -> None:
    """A link to //evil.example/x would leave us; the page links to /evil.example/x instead."""
    response = client.get(
        "/", headers={"Accept": "text/html"}, environ_overrides={"PATH_INFO": "//evil.example/x"}
    )
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert 'href="/evil.example/x?lang=ar"' in html
    assert 'href="//' not in html


def test_the_check_and_its_answer_in_arabic(
    client: FlaskClient, reference: Session, frozen_clock: FrozenClock
) -> None:
    client.get("/?lang=ar")
    form = page(client.get("/recht"))
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token and "1. هل تسكن وحدك أم مع شريك؟" in form
    data = {"huishouden": "alleen", "leeftijd": "35", "kinderen": "4, 11", "inkomen": "1.234,56"}
    answer = client.post("/recht", data={**data, "csrf_token": token.group(1)})
    html = page(answer)
    assert html_tag(html) == '<html lang="ar" dir="rtl">'
    assert "النتيجة: ما الذي يحق لك؟" in html
    assert "طفلك البالغ من العمر 4 سنوات" in html  # Arabic plural form 3 (3 to 10)
    wrong = client.post("/recht", data={**data, "leeftijd": "", "csrf_token": token.group(1)})
    assert "أدخل عمرك بالسنوات الكاملة. مثلًا: 35." in page(wrong)


def test_the_holder_pages_in_arabic(
    app: Flask, reference: Session, frozen_clock: FrozenClock
) -> None:
    db = reference
    household = family(db)
    budgets(db, household, frozen_clock.now().date())
    make_pass(db, member(household, 0), "100000000001")
    db.commit()
    client = signed_in(app, db, member(household, 0))
    overview = page(client.get("/mijn?lang=ar"))
    assert html_tag(overview) == '<html lang="ar" dir="rtl">'
    assert "أهلًا وسهلًا، Fatima." in overview
    assert "متبقٍّ € 800 هذه السنة." in overview  # amounts as on Dutch forms: € 1.234,56
    for path in ("/mijn/passen/100000000001", "/mijn/geschiedenis", "/mijn/waar"):
        shown = client.get(path)
        assert shown.status_code == 200, path
        assert html_tag(shown.get_data(as_text=True)) == '<html lang="ar" dir="rtl">', path
    assert "<h1>بطاقة Fatima</h1>" in client.get("/mijn/passen/100000000001").get_data(as_text=True)


def test_the_login_code_comes_in_the_language_of_the_page(
    app: Flask, reference: Session, frozen_clock: FrozenClock
) -> None:
    family(reference)
    client = browser(app)
    client.get("/mijn/inloggen?lang=ar")
    assert ask_code(client, EMAIL).status_code == 303
    code_page = page(client.get("/mijn/inloggen/code"))
    assert "<h1>أدخل رمزك</h1>" in code_page
    message = reference.scalars(select(Message)).one()
    assert message.subject == "رمزك لـ Mijn Almerepas"
    assert KEYS.decrypt(message.body_encrypted).startswith("رمزك هو ")


def test_an_error_page_in_arabic(client: FlaskClient) -> None:
    html = client.get("/bestaat-niet?lang=ar", headers={"Accept": "text/html"}).get_data(
        as_text=True
    )
    assert html_tag(html) == '<html lang="ar" dir="rtl">'
    assert "هذا غير موجود" in html and "العودة إلى الصفحة الرئيسية" in html


def resident_msgids() -> set[str]:
    """Every text the resident templates and their Python mark, extracted as pybabel does."""
    found: set[str] = set()
    sources = [("jinja2", TEMPLATES, pattern) for pattern in RESIDENT_TEMPLATES]
    sources += [("python", ROOT / "almerepas", pattern) for pattern in RESIDENT_MODULES]
    for method, folder, pattern in sources:
        for path in sorted(folder.glob(pattern)):
            for _line, message, _comments, _context in extract_from_file(
                method, str(path), keywords=KEYWORDS
            ):
                found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_text_of_the_resident_pages_has_an_arabic_translation() -> None:
    with AR_CATALOGUE.open("rb") as po:
        catalogue = read_po(po)
    wanted = resident_msgids()
    assert len(wanted) > 200  # the extraction found the templates and the modules
    missing = sorted(
        msgid
        for msgid in wanted
        if (m := catalogue.get(msgid)) is None
        or m.fuzzy
        or not all(m.string if isinstance(m.string, tuple) else [m.string])
    )
    assert missing == []
    assert catalogue.num_plurals == 6
    problems = [(m.id, errors) for m in catalogue if m.id and (errors := m.check(catalogue))]
    assert problems == []  # the same placeholders as the Dutch, also in every plural form


ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def test_numbers_typed_on_an_arabic_keyboard_count(
    client: FlaskClient, reference: Session, frozen_clock: FrozenClock
) -> None:
    client.get("/?lang=ar")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/recht").get_data(True))
    assert token
    typed = {"huishouden": "alleen", "leeftijd": "٣٥", "kinderen": "٤، ١١", "inkomen": "١٬٢٣٤٫٥٦"}
    html = page(client.post("/recht", data={**typed, "csrf_token": token.group(1)}))
    assert "النتيجة: ما الذي يحق لك؟" in html
    assert "طفلك البالغ من العمر 11 سنة" in html  # plural form 4 (11 to 99)


def test_a_login_code_typed_in_arabic_digits_logs_in(
    app: Flask, reference: Session, frozen_clock: FrozenClock
) -> None:
    family(reference)
    client = browser(app)
    client.get("/mijn/inloggen?lang=ar")
    ask_code(client, EMAIL)
    done = enter_code(client, last_code(reference).translate(ARABIC_DIGITS))
    assert done.status_code == 303 and done.headers["Location"] == "/mijn"


@pytest.mark.parametrize("path", ["/inloggen", "/partner/inloggen", "/partner/apparaat-koppelen"])
def test_pages_for_staff_and_partners_stay_dutch_or_english(client: FlaskClient, path: str) -> None:
    """Arabic covers the resident pages only: elsewhere the page says honestly what it speaks."""
    client.get("/?lang=ar")
    html = page(client.get(path, headers={"Accept-Language": "ar, en;q=0.5"}))
    assert html_tag(html) == '<html lang="en" dir="ltr">'
    assert "العربية" not in html and 'hreflang="nl">Nederlands</a>' in html
    dutch = page(client.get(path, headers={"Accept-Language": "ar"}))
    assert html_tag(dutch) == '<html lang="nl" dir="ltr">'


def test_the_api_answers_dutch_or_english_for_an_arabic_client(client: FlaskClient) -> None:
    response = client.get("/api/v1/bestaat-niet", headers={"Accept-Language": "ar"})
    assert response.status_code == 404
    assert response.headers["Content-Language"] == "nl"
    assert response.get_json()["title"] == "Dit bestaat niet"
