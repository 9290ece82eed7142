"""The partner's settlement statements in the portal: its approved runs, each run's lines and
totals, the CSV file and the PDF credit note; for its managers only, and only its own."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import NamedTuple

import html5lib
import pypdf
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from almerepas.contracts import agreements, logins
from almerepas.contracts.models import Location, Partner
from almerepas.core import clock
from almerepas.households.models import Person
from almerepas.partners.auth import PAGE_USER_TOKEN_KEY
from almerepas.redemptions import ledger as booking
from almerepas.schemes import catalogue
from almerepas.settlements import paying, runs
from almerepas.settlements.models import SettlementRun
from almerepas.settlements.payouts import Debtor
from tests.factories import make_device, make_location, make_partner_user
from tests.fixtures import FrozenClock
from tests.partners.portal_support import PAIR
from tests.redemptions.support import JUNE, child_budget, monthly_grant
from tests.settlements.support import APPROVER, JULY, PREPARER, contracted, redeem_at

AUGUST = dt.datetime(2026, 8, 3, 9, 0, tzinfo=dt.UTC)
DEBTOR = Debtor(name="Gemeente Almere", iban="NL12BNGH0285010000", bic="BNGHNL2G")
NO_INVOICE = "U hoeft voor dit bedrag geen factuur te sturen; dit is uw creditnota."


def signed_in(app: Flask, session: Session, partner: Partner, role: str) -> FlaskClient:
    """A browser of the partner's user with ``role``, as the login page leaves it: the token
    in the session cookie."""
    user, _password, _secret = make_partner_user(session, partner, role)
    client = app.test_client()
    token = logins.issue_token(session, user, now=clock.now()).token
    with client.session_transaction() as cookie:
        cookie[PAGE_USER_TOKEN_KEY] = token
    return client


def approved(session: Session, now: dt.datetime = JULY, period: str = "2026-06") -> SettlementRun:
    run, _held = runs.prepare(session, period=period, actor=PREPARER, now=now)
    return runs.approve(session, run.id, actor=APPROVER, now=now)


class June(NamedTuple):
    club: Partner
    hall: Location
    holder: Person
    run: SettlementRun
    #: the club's redemptions as its statement names them: ``B12``
    references: list[str]


@pytest.fixture
def june(reference: Session, frozen_clock: FrozenClock) -> June:
    """Sportclub Almere: two budget redemptions and a reversal in June, approved on 2 July; and
    a bakery with a redemption of its own in the same run."""
    frozen_clock.set(JULY)
    club, hall = contracted(reference, "stadsfonds", name="Sportclub Almere")
    bakery, shop = contracted(reference, "stadsfonds", name="Bakkerij De Korenbloem")
    grant = child_budget(reference)
    first = redeem_at(reference, grant, club, hall, 45_50)
    second = redeem_at(reference, grant, club, hall, 12_25, at=JUNE + dt.timedelta(days=1))
    redeem_at(reference, grant, bakery, shop, 77_77)
    run = approved(reference)
    assert grant.person_id is not None
    holder = reference.get_one(Person, grant.person_id)
    return June(club, hall, holder, run, [f"B{first.id}", f"B{second.id}"])


def test_a_manager_sees_the_approved_run_its_lines_and_totals(
    app: Flask, reference: Session, june: June
) -> None:
    club, _hall, _holder, run, references = june
    manager = signed_in(app, reference, club, "manager")

    listing = manager.get("/partner/afrekeningen").get_data(as_text=True)
    html5lib.HTMLParser(strict=True).parse(listing)
    assert "juni 2026" in listing
    assert "goedgekeurd" in listing
    assert "€ 57,75" in listing
    assert "SEPA-overboeking naar NL91 **** 4300" in listing
    assert "Afrekeningen" in listing  # the menu link for managers
    assert f'href="/partner/afrekeningen/{run.id}"' in listing

    page = manager.get(f"/partner/afrekeningen/{run.id}")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    html5lib.HTMLParser(strict=True).parse(html)
    assert "Totaal: € 57,75" in html
    assert "€ 45,50" in html and "€ 12,25" in html
    assert "15-06-2026 12:00" in html  # local time in Almere
    assert "Sporthal Haven" in html and "Stadsfonds" in html
    assert "Afgeschreven" in html
    for ref in references:
        assert f"<td>{ref}</td>" in html
    assert NO_INVOICE in html
    assert "77,77" not in html and "Korenbloem" not in html


def test_drafts_and_cancelled_runs_are_not_shown_and_are_a_404(
    app: Flask, reference: Session, frozen_clock: FrozenClock
) -> None:
    frozen_clock.set(JULY)
    club, hall = contracted(reference, "stadsfonds")
    grant = child_budget(reference)
    redeem_at(reference, grant, club, hall, 20_00)
    draft, _ = runs.prepare(reference, period="2026-06", actor=PREPARER, now=JULY)
    manager = signed_in(app, reference, club, "manager")

    listing = manager.get("/partner/afrekeningen").get_data(as_text=True)
    assert "Er is nog geen afrekening voor u." in listing
    assert "€ 20,00" not in listing
    for suffix in ("", ".csv", ".pdf"):
        assert manager.get(f"/partner/afrekeningen/{draft.id}{suffix}").status_code == 404

    runs.cancel(reference, draft.id, actor=APPROVER, now=JULY)
    listing = manager.get("/partner/afrekeningen").get_data(as_text=True)
    # Cancelled: its lines are open again, and the page says so.
    assert "U heeft € 20,00 tegoed dat nog in geen afrekening zit (1 regel, sinds 15-06-2026)" in (
        listing
    )
    assert manager.get(f"/partner/afrekeningen/{draft.id}").status_code == 404


def test_another_partners_run_is_the_same_404_as_a_missing_one(
    app: Flask, reference: Session, june: June
) -> None:
    run = june.run
    other = contracted(reference, "stadsfonds", name="Zwembad De Meerkoet")[0]
    outsider = signed_in(app, reference, other, "manager")
    for suffix in ("", ".csv", ".pdf"):
        theirs = outsider.get(f"/partner/afrekeningen/{run.id}{suffix}")
        missing = outsider.get(f"/partner/afrekeningen/{run.id + 1000}{suffix}")
        assert theirs.status_code == missing.status_code == 404
        assert theirs.get_data() == missing.get_data()
    listing = outsider.get("/partner/afrekeningen").get_data(as_text=True)
    assert "57,75" not in listing and "Sportclub" not in listing


def test_the_csv_parses_and_its_amounts_add_up_to_the_total(
    app: Flask, reference: Session, june: June
) -> None:
    club, _hall, holder, run, _refs = june
    manager = signed_in(app, reference, club, "manager")
    response = manager.get(f"/partner/afrekeningen/{run.id}.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM: Excel reads it as UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    header, lines = rows[0], rows[1:]
    assert header[0] == "Datum en tijd" and "Bedrag in euro" in header
    amounts = [row[header.index("Bedrag in euro")] for row in lines]
    assert amounts == ["45,50", "12,25"]
    assert [row[-1] for row in lines] == june.references
    cents = sum(int(a.replace(",", "")) for a in amounts)
    assert cents == 57_75 == run.total - 77_77
    text = raw.decode("utf-8-sig")
    assert holder.family_name not in text and holder.given_name not in text


def test_a_location_name_never_becomes_a_formula_in_the_csv(
    app: Flask, reference: Session, frozen_clock: FrozenClock
) -> None:
    frozen_clock.set(JULY)
    club, _hall = contracted(reference, "stadsfonds")
    evil = make_location(reference, club, "=HYPERLINK(1)")
    agreements.create_contract(
        reference, club, scheme=catalogue.get_scheme(reference, "stadsfonds"),
        location_ids=[evil.id], valid_from=dt.date(2026, 1, 1), valid_to=None,
        tariff_kind="amount_redeemed", tariff=None, actor=APPROVER,
    )  # fmt: skip
    redeem_at(reference, child_budget(reference), club, evil, 5_00)
    run = approved(reference)
    manager = signed_in(app, reference, club, "manager")
    text = manager.get(f"/partner/afrekeningen/{run.id}.csv").get_data(as_text=True)
    [line] = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))[1:]
    assert line[1] == "'=HYPERLINK(1)"


def test_the_pdf_is_a_credit_note_without_holder_data(
    app: Flask, reference: Session, june: June
) -> None:
    club, _hall, holder, run, _refs = june
    manager = signed_in(app, reference, club, "manager")
    response = manager.get(f"/partner/afrekeningen/{run.id}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.get_data()))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Creditnota" in text
    assert f"CN-{run.id}-{club.id}" in text
    assert "Sportclub Almere" in text and club.kvk_number in text
    assert "NL91 ABNA 0417 1643 00" in text
    assert "Gemeente Almere" in text
    assert "57,75" in text
    assert " ".join(NO_INVOICE.split()) in " ".join(text.split())
    payment = next(p for p in run.payments if p.partner_id == club.id)
    assert payment.end_to_end_id and payment.end_to_end_id in text
    for holder_data in (holder.given_name, holder.family_name, "Korenbloem", "77,77"):
        assert holder_data not in text


def test_a_long_month_runs_over_several_pages(
    app: Flask, reference: Session, frozen_clock: FrozenClock
) -> None:
    frozen_clock.set(JULY)
    club, hall = contracted(reference, "stadsfonds")
    grant = child_budget(reference, 800_00)
    for day in range(90):
        redeem_at(reference, grant, club, hall, 1_00, at=JUNE + dt.timedelta(minutes=day))
    run = approved(reference)
    manager = signed_in(app, reference, club, "manager")
    reader = pypdf.PdfReader(
        io.BytesIO(manager.get(f"/partner/afrekeningen/{run.id}.pdf").get_data())
    )
    assert len(reader.pages) >= 2
    last = reader.pages[-1].extract_text()
    assert "90,00" in last and f"pagina {len(reader.pages)}" in last
    assert "Datum en tijd" in reader.pages[1].extract_text()  # the table's header again


def test_a_paid_run_says_how_and_when_and_a_hold_is_explained(
    app: Flask, reference: Session, june: June
) -> None:
    club, _hall, _holder, run, _refs = june
    paying.sepa_file(
        reference, run.id, debtor=DEBTOR, schema="pain.001.001.09",
        execution_date=dt.date(2026, 7, 3), actor=APPROVER, now=JULY,
    )  # fmt: skip
    manager = signed_in(app, reference, club, "manager")
    listing = manager.get("/partner/afrekeningen").get_data(as_text=True)
    assert "betaald" in listing and "02-07-2026" in listing
    paying.confirm(reference, run.id, actor=APPROVER, now=JULY)
    assert "op de bank bevestigd" in manager.get("/partner/afrekeningen").get_data(as_text=True)

    # In July the club's IBAN goes wrong: the August run holds it back, and the page says why.
    grant = child_budget(reference)
    redeem_at(reference, grant, club, june.hall, 9_00, at=JULY)
    club.iban = "NL00ABNA0417164300"
    other, place = contracted(reference, "stadsfonds", name="Zwembad De Meerkoet")
    redeem_at(reference, grant, other, place, 3_00, at=JULY)
    approved(reference, now=AUGUST, period="2026-07")
    listing = manager.get("/partner/afrekeningen").get_data(as_text=True)
    assert "Uw IBAN klopt niet: neem contact op met de gemeente." in listing
    assert "€ 9,00" in listing  # held, so still not settled


@pytest.mark.parametrize("who", ["cashier", "device"])
def test_a_cashier_and_a_counter_are_refused_and_see_no_link(
    app: Flask, reference: Session, june: June, who: str
) -> None:
    club, _hall, _holder, run, _refs = june
    if who == "cashier":
        client = signed_in(app, reference, club, "cashier")
    else:
        _device, key = make_device(reference, club, june.hall)
        client = app.test_client()
        page = client.get(PAIR).get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token
        assert client.post(PAIR, data={"key": key, "csrf_token": token.group(1)}).status_code == 303
    for path in ("", f"/{run.id}", f"/{run.id}.csv", f"/{run.id}.pdf"):
        response = client.get(f"/partner/afrekeningen{path}")
        assert response.status_code == 403, path
        assert "57,75" not in response.get_data(as_text=True)
    assert "/partner/afrekeningen" not in client.get("/partner/transacties").get_data(as_text=True)


def test_packs_a_reversal_and_stripe_read_in_words(
    app: Flask, reference: Session, frozen_clock: FrozenClock
) -> None:
    frozen_clock.set(AUGUST)
    shop, place = contracted(
        reference, "menstruatie", "per_unit", 4_99, name="Drogist Centrum",
        payout_method="stripe", stripe_account="acct_1Drogist",
    )  # fmt: skip
    grant = monthly_grant(reference, "menstruatie")
    packs = redeem_at(reference, grant, shop, place, 3)
    approved(reference)
    booking.reverse(reference, packs, 1, actor=APPROVER, now=JULY)
    redeem_at(reference, monthly_grant(reference, "menstruatie", "2026-07"), shop, place, 2, JULY)
    july = approved(reference, now=AUGUST, period="2026-07")
    manager = signed_in(app, reference, shop, "manager")

    listing = manager.get("/partner/afrekeningen").get_data(as_text=True)
    assert "juli 2026" in listing and "juni 2026" in listing
    assert "<td>Stripe</td>" in listing and "€ 14,97" in listing and "€ 4,99" in listing
    html = manager.get(f"/partner/afrekeningen/{july.id}").get_data(as_text=True)
    assert "Teruggedraaid" in html and "-1 pak" in html and "-€ 4,99" in html
    assert "2 pakken" in html and "€ 9,98" in html
    assert "Totaal: € 4,99" in html
    rows = list(
        csv.reader(
            io.StringIO(
                manager.get(f"/partner/afrekeningen/{july.id}.csv").get_data(as_text=True)[1:]
            ),
            delimiter=";",
        )
    )
    assert [(r[3], r[4], r[5], r[6]) for r in rows[1:]] == [
        ("Afgeschreven", "2", "pak", "9,98"),
        ("Teruggedraaid", "-1", "pak", "-4,99"),
    ]
