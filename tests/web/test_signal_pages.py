"""The signals page: finance and the auditor see the evidence, nobody else; CSV; the period."""

from __future__ import annotations

import csv
import io

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.models import AuditEvent, Role
from tests.fixtures import FrozenClock
from tests.partners.portal_support import make_counter, portal_client
from tests.reports.signal_support import December, at, make_december
from tests.web.conftest import SignIn, main_of, page

PERIOD = "van=24-12-2026&tot=31-12-2026"


@pytest.fixture
def december(reference: Session, frozen_clock: FrozenClock) -> December:
    frozen_clock.set(at(31, 18))
    return make_december(reference)


@pytest.mark.parametrize("role", [Role.caseworker, Role.policy, Role.administrator])
def test_only_finance_and_the_auditor_see_signals(sign_in: SignIn, role: Role) -> None:
    client = sign_in(role)
    assert client.get(f"/medewerkers/signalen?{PERIOD}").status_code == 403
    assert client.get(f"/medewerkers/signalen/plaatsen.csv?{PERIOD}").status_code == 403
    assert "/medewerkers/signalen" not in page(client.get("/medewerkers"))


def test_a_partner_is_not_let_in(app: Flask, reference: Session) -> None:
    client = portal_client(app, make_counter(reference))
    response = client.get(f"/medewerkers/signalen?{PERIOD}")
    assert response.status_code == 303 and "/inloggen" in response.headers["Location"]


@pytest.mark.parametrize("role", [Role.finance, Role.auditor])
def test_finance_sees_each_signal_with_its_evidence(
    sign_in: SignIn, reference: Session, december: December, role: Role
) -> None:
    client = sign_in(role)
    assert "/medewerkers/signalen" in page(client.get("/medewerkers"))
    response = client.get(f"/medewerkers/signalen?{PERIOD}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = main_of(page(response))
    assert "opvallend patroon" in html and "om na te kijken" in html
    assert "fraude" not in html.lower()
    # With the default thresholds: the Judoclub's day of twelve, and pass E1 at two places.
    assert "Judoclub Oost" in html and "28-12-2026" in html
    e1 = december.passes["E1"].number
    assert e1[-5:-1] in html and e1 not in html and e1[:4] not in html
    assert "Bibliotheek locatie" in html and "Zwembad locatie" in html
    assert "Lid" not in html  # no holder's name
    # No five budgets a day. Before the expiry, over the 28 days before (most without any
    # redemption), the last week of three partners stands out.
    assert html.count("Niets opvallends in deze periode.") == 1
    spikes = html[html.index('id="verval"') : html.index('id="dagen"')]
    for name in ("Sporthal Centrum", "Judoclub Oost", "Theater Poort"):
        assert name in spikes
    viewed = reference.scalars(select(AuditEvent).where(AuditEvent.action == "signals.view")).one()
    assert viewed.changes == {"from": "2026-12-24", "to": "2026-12-31", "listed": 5}


def test_csv_has_the_evidence_in_cents(sign_in: SignIn, december: December) -> None:
    client = sign_in(Role.finance)
    response = client.get(f"/medewerkers/signalen/dagen.csv?{PERIOD}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "signalen-dagen-2026-12-24-2026-12-31.csv" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:4] == ["Partner", "Dag", "Aantal", "Bedrag"]
    judo = next(row for row in rows if row[0] == "Judoclub Oost")
    assert judo == ["Judoclub Oost", "2026-12-28", "12", "6000", "1", "500", "11", "aantal"]
    assert [row[0] for row in rows[1:]] == ["Judoclub Oost"]
    assert client.get(f"/medewerkers/signalen/geheim.csv?{PERIOD}").status_code == 404


def test_the_period_defaults_to_four_weeks_and_a_wrong_one_is_named(
    sign_in: SignIn, december: December
) -> None:
    client = sign_in(Role.finance)
    html = page(client.get("/medewerkers/signalen"))
    assert 'value="04-12-2026"' in html and 'value="31-12-2026"' in html
    response = client.get("/medewerkers/signalen?van=gisteren&tot=01-01-2026")
    assert response.status_code == 400
    assert 'href="#van"' in page(response)
    backwards = client.get("/medewerkers/signalen?van=31-12-2026&tot=01-12-2026")
    assert backwards.status_code == 400 and 'href="#tot"' in page(backwards)
    assert client.get("/medewerkers/signalen/dagen.csv?van=nooit").status_code == 400
