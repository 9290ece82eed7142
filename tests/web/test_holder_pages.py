"""Mijn Almerepas through Flask's test client: logging in with a code, the limits, the same
answer for anyone, and what a holder sees of their household, in Dutch and English."""

from __future__ import annotations

import datetime as dt
import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almerepas.contracts import offers
from almerepas.core import clock
from almerepas.grants.runs import issue
from almerepas.holders.sessions import open_session
from almerepas.models import (
    AuditEvent,
    HolderSession,
    Household,
    Message,
    MessageStatus,
    Pass,
    PassStatus,
    Person,
)
from almerepas.web.holder.session import PERSON_KEY, TOKEN_KEY
from tests.factories import TEST_ACTOR, assess
from tests.fixtures import FrozenClock
from tests.holders.helpers import EMAIL, family, last_code, member
from tests.partners.support import open_counter
from tests.web.conftest import BROWSER_ACCEPT, page

#: Page responses are HTML forms: every POST carries the CSRF token of the page it came from.
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def browser(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT"] = BROWSER_ACCEPT
    return client


def post_form(client: FlaskClient, path: str, form_page: str, data: dict[str, str]):  # type: ignore[no-untyped-def]
    html = client.get(form_page).get_data(as_text=True)
    match = TOKEN.search(html)
    assert match, f"no CSRF token on {form_page}"
    return client.post(path, data={**data, "csrf_token": match.group(1)})


def ask_code(client: FlaskClient, contact: str):  # type: ignore[no-untyped-def]
    """Ask for a code; close the response as a server does once it has sent it, which is when
    the outbox hands the message over."""
    response = post_form(client, "/mijn/inloggen", "/mijn/inloggen", {"contact": contact})
    response.close()
    return response


def enter_code(client: FlaskClient, code: str):  # type: ignore[no-untyped-def]
    return post_form(client, "/mijn/inloggen/code", "/mijn/inloggen/code", {"code": code})


def field_error(html: str) -> str:
    match = re.search(r'<p class="field-error" id="[a-z]+-error">([^<]+)</p>', html)
    assert match, "no field error"
    return match.group(1)


def signed_in(app: Flask, db: Session, person: Person) -> FlaskClient:
    client = browser(app)
    token = open_session(db, person, now=clock.now())
    db.commit()
    with client.session_transaction() as cookie:
        cookie[TOKEN_KEY] = token
        cookie[PERSON_KEY] = person.id
    return client


def make_pass(
    db: Session, person: Person, number: str, status: PassStatus = PassStatus.active
) -> Pass:
    found = Pass(
        number=number,
        person_id=person.id,
        status=status,
        generation=1,
        valid_from=dt.date(2026, 1, 1),
        valid_until=dt.date(2026, 12, 31),
    )
    db.add(found)
    db.flush()
    return found


def test_a_resident_logs_in_with_the_code_from_the_e_mail(
    app: Flask, reference: Session, frozen_clock: FrozenClock
) -> None:
    db = reference
    mother = member(family(db), 0)
    client = browser(app)

    asked = ask_code(client, EMAIL)
    assert asked.status_code == 303
    assert asked.headers["Location"] == "/mijn/inloggen/code"
    code_page = page(client.get("/mijn/inloggen/code"))
    assert "f•••@example.nl" in code_page and EMAIL not in code_page

    # The message left after the response: the log mailer (no SMTP configured) took it.
    message = db.scalars(select(Message)).one()
    db.refresh(message)
    assert message.status == MessageStatus.sent

    done = enter_code(client, last_code(db))
    assert done.status_code == 303 and done.headers["Location"] == "/mijn"
    overview = page(client.get("/mijn"))
    assert "Welkom, Fatima." in overview
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.action.like("holder.%")))
    assert list(actions) == ["holder.code_sent", "holder.login"]
    assert db.scalar(select(HolderSession.person_id)) == mother.id


def test_an_unknown_contact_gets_exactly_the_same_pages(
    app: Flask, reference: Session, frozen_clock: FrozenClock
) -> None:
    family(reference)
    known, unknown = browser(app), browser(app)
    answers = [
        ask_code(c, contact) for c, contact in ((known, EMAIL), (unknown, "fatima@example.com"))
    ]
    assert [a.status_code for a in answers] == [303, 303]
    assert answers[0].headers["Location"] == answers[1].headers["Location"]
    pages = [
        TOKEN.sub("", page(c.get("/mijn/inloggen/code"))).replace(masked, "X")
        for c, masked in ((known, "f•••@example.nl"), (unknown, "f•••@example.com"))
    ]
    assert pages[0] == pages[1]
    wrong = [enter_code(c, "000001") for c in (known, unknown)]
    assert [w.status_code for w in wrong] == [401, 401]
    assert field_error(wrong[0].get_data(as_text=True)) == field_error(
        wrong[1].get_data(as_text=True)
    )


def test_five_wrong_codes_then_even_the_right_one_is_refused(
    app: Flask, reference: Session, frozen_clock: FrozenClock
) -> None:
    db = reference
    family(db)
    client = browser(app)
    ask_code(client, EMAIL)
    right = last_code(db)
    wrong = "111111" if right != "111111" else "222222"
    errors = []
    for _ in range(5):
        response = enter_code(client, wrong)
        errors.append((response.status_code, field_error(response.get_data(as_text=True))))
    assert errors[0] == (
        401,
        "Deze code klopt niet. Kijk of u de laatste code goed heeft overgenomen.",
    )
    assert errors[4] == (
        401,
        "U heeft 5 keer een verkeerde code ingevuld. Vraag een nieuwe code aan.",
    )
    response = enter_code(client, right)
    assert response.status_code == 401
    assert "5 keer" in field_error(response.get_data(as_text=True))
    assert page(client.get("/mijn", follow_redirects=True)).count("Inloggen op Mijn Almerepas") >= 1


def test_an_expired_code_and_a_used_code_are_refused(
    app: Flask, reference: Session, frozen_clock: FrozenClock
) -> None:
    db = reference
    family(db)
    client = browser(app)
    ask_code(client, EMAIL)
    code = last_code(db)
    frozen_clock.advance(minutes=10, seconds=1)
    expired = enter_code(client, code)
    assert (expired.status_code, field_error(expired.get_data(as_text=True))) == (
        401,
        "Deze code is verlopen. Een code werkt 10 minuten. Vraag een nieuwe code aan.",
    )
    ask_code(client, EMAIL)
    code = last_code(db)
    assert enter_code(client, code).status_code == 303
    other = browser(app)  # someone who saw the code over her shoulder
    with other.session_transaction() as cookie:
        cookie["holder_contact"] = EMAIL
    reused = enter_code(other, code)
    assert reused.status_code == 401


def test_the_fourth_code_in_a_quarter_is_refused_for_known_and_unknown_alike(
    app: Flask, reference: Session, frozen_clock: FrozenClock
) -> None:
    family(reference)
    for contact in (EMAIL, "niemand@example.nl"):
        client = browser(app)
        for _ in range(3):
            assert ask_code(client, contact).status_code == 303
        refused = ask_code(client, contact)
        assert refused.status_code == 429, contact
        assert refused.headers["Retry-After"] == str(15 * 60 + 1)
        assert "3 keer" in field_error(refused.get_data(as_text=True))
    assert reference.scalar(select(func.count()).select_from(Message)) == 3


def test_a_page_of_mijn_without_login_goes_to_the_login_and_back(
    app: Flask, reference: Session
) -> None:
    client = browser(app)
    response = client.get("/mijn/geschiedenis")
    assert response.status_code == 303
    assert response.headers["Location"] == "/mijn/inloggen?next=/mijn/geschiedenis"


def test_logging_out_ends_the_session_and_clears_the_phone(
    app: Flask, reference: Session, frozen_clock: FrozenClock
) -> None:
    db = reference
    mother = member(family(db), 0)
    client = signed_in(app, db, mother)
    response = post_form(client, "/mijn/uitloggen", "/mijn", {})
    assert response.status_code == 303
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'
    assert client.get("/mijn").status_code == 303
    assert db.scalar(select(HolderSession.revoked_at)) == frozen_clock.now()


def budgets(db: Session, household: Household, today: dt.date) -> None:
    """Grants for 2026 as a grant run makes them: a household at 100% of its norm."""
    assess(db, household, (100, 100))
    issue(db, period="2026", actor=TEST_ACTOR, today=today)
    issue(db, period=f"{today:%Y-%m}", actor=TEST_ACTOR, today=today)


def test_a_parent_sees_the_household_budgets_in_plain_words(
    app: Flask, reference: Session, frozen_clock: FrozenClock
) -> None:
    db = reference
    household = family(db)
    budgets(db, household, frozen_clock.now().date())
    mother, child = member(household, 0), member(household, 2)
    child.given_name = "Sanne"
    make_pass(db, mother, "100000000001")
    make_pass(db, child, "100000000002")
    db.commit()

    html = page(signed_in(app, db, mother).get("/mijn"))

    assert "Sanne" in html
    assert "Stadsfonds sport en cultuur" in html
    assert "Nog € 800 dit jaar." in html  # the child's sport and culture budget
    assert "/mijn/passen/100000000002" in html  # the child's pass, for the parent
    assert "U bespaarde dit jaar € 0 met de pas." in html
    assert "Voor het hele huishouden" in html  # the household's own budget, for its adults
    assert "25% korting. U krijgt deze maand nog € 50 korting." in html
    for word in ("minima", "inkomen", "norm", "%  van"):
        assert word not in html.lower()


def test_a_child_sees_only_her_own_pass(
    app: Flask, reference: Session, frozen_clock: FrozenClock
) -> None:
    db = reference
    household = family(db)
    budgets(db, household, frozen_clock.now().date())
    mother, child = member(household, 0), member(household, 2)
    make_pass(db, mother, "100000000001")
    make_pass(db, child, "100000000002")
    db.commit()
    client = signed_in(app, db, child)
    html = page(client.get("/mijn"))
    assert "100000000002" in html and "100000000001" not in html
    assert "Stadsfonds sport en cultuur" in html  # her own budget
    assert "Voor het hele huishouden" not in html  # not the household's
    assert "sociale supermarkt" not in html
    assert client.get("/mijn/passen/100000000001").status_code == 404


def test_someone_elses_pass_is_not_found(
    app: Flask, reference: Session, frozen_clock: FrozenClock
) -> None:
    db = reference
    mother = member(family(db), 0)
    stranger = member(family(db, email="ander@example.nl"), 0)
    make_pass(db, stranger, "200000000001")
    db.commit()
    assert signed_in(app, db, mother).get("/mijn/passen/200000000001").status_code == 404


def test_a_budget_that_expires_unused_soon_is_warned_about(
    app: Flask, reference: Session, frozen_clock: FrozenClock
) -> None:
    db = reference
    household = family(db)
    budgets(db, household, frozen_clock.now().date())
    mother, child = member(household, 0), member(household, 2)
    child.given_name = "Sanne"
    db.commit()
    assert "Let op" not in page(signed_in(app, db, mother).get("/mijn"))  # March: far from it
    frozen_clock.set(dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC))  # six weeks before the end
    html = page(signed_in(app, db, mother).get("/mijn"))
    assert (
        "Let op: het tegoed van Sanne voor Stadsfonds sport en cultuur van € 800 vervalt op "
        "31-12-2026." in html
    )


def test_history_shows_what_was_granted_in_words(
    app: Flask, reference: Session, frozen_clock: FrozenClock
) -> None:
    db = reference
    household = family(db)
    budgets(db, household, frozen_clock.now().date())
    db.commit()
    html = page(signed_in(app, db, member(household, 0)).get("/mijn/geschiedenis"))
    assert "Tegoed gekregen voor Stadsfonds sport en cultuur" in html
    assert "+€ 800" in html and "01-01-2026" in html


def test_where_lists_the_places_for_the_holders_schemes_and_every_partners_offers(
    app: Flask, reference: Session, frozen_clock: FrozenClock
) -> None:
    db = reference
    household = family(db)
    budgets(db, household, frozen_clock.now().date())
    club = open_counter(db, "Sportclub Almere", schemes_here=("supermarkt",))
    offers.create_offer(
        db, club.partner,
        {"title_nl": "10 % korting op een zwemkaart", "title_en": "10% off a swimming card",
         "description_nl": "Aan de kassa.", "description_en": "At the desk.",
         "conditions_nl": "Alleen op doordeweekse dagen", "valid_from": dt.date(2026, 1, 1)},
        actor=TEST_ACTOR,
    )  # fmt: skip
    db.commit()
    html = page(signed_in(app, db, member(household, 0)).get("/mijn/waar"))
    assert "Stadspas-aanbod" in html
    assert "Sportclub Almere, Sporthal Haven: Havenstraat 1, 1315 AB Almere" in html
    assert html.count("Sporthal Haven") == 1  # under supermarkt only, the club's one contract
    assert "10 % korting op een zwemkaart" in html and "Alleen op doordeweekse dagen" in html
    english = page(signed_in(app, db, member(household, 0)).get("/mijn/waar?lang=en"))
    assert "10% off a swimming card" in english


def test_the_pages_speak_english(app: Flask, reference: Session, frozen_clock: FrozenClock) -> None:
    db = reference
    household = family(db)
    budgets(db, household, frozen_clock.now().date())
    db.commit()
    client = signed_in(app, db, member(household, 0))
    html = page(client.get("/mijn?lang=en"))
    assert "Welcome, Fatima." in html
    assert "€800 left this year." in html
    assert "You saved €0 with the pass this year." in html
    login = page(browser(app).get("/mijn/inloggen?lang=en"))
    assert "Log in to My Almerepas" in login and "Send me a code" in login
