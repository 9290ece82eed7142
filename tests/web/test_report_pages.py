"""The figures pages: who may see them, the charts and their tables, CSV with hidden counts."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from almerepas.core import clock
from almerepas.models import Role
from almerepas.reports import snapshot
from tests.fixtures import FrozenClock
from tests.reports.support import make_year
from tests.web.conftest import SignIn, main_of, page


@pytest.fixture
def policy(sign_in: SignIn, reference: Session) -> FlaskClient:
    make_year(reference)
    return sign_in(Role.policy)


def test_a_caseworker_may_not_see_figures(sign_in: SignIn) -> None:
    client = sign_in(Role.caseworker)
    assert client.get("/medewerkers/cijfers?jaar=2026").status_code == 403
    assert client.get("/medewerkers/cijfers/regelingen.csv?jaar=2026").status_code == 403


def test_the_menu_links_figures_for_policy_staff_only(sign_in: SignIn) -> None:
    assert "/medewerkers/cijfers" in page(sign_in(Role.policy).get("/medewerkers"))
    assert "/medewerkers/cijfers" not in page(sign_in(Role.caseworker).get("/medewerkers"))


def test_the_dashboard_has_three_charts_each_with_a_table(policy: FlaskClient) -> None:
    html = main_of(page(policy.get("/medewerkers/cijfers?jaar=2026&regeling=stadsfonds")))
    assert html.count('<svg class="chart"') == 3
    for table in ("table-months", "table-schemes", "table-districts", "table-partners"):
        assert f'id="{table}"' in html
    # Five children: every count of persons is hidden, the amounts are not.
    assert "&lt; 10" in html
    assert "€ 1.500,00" in html  # granted
    assert "€ 330,00 van € 2.000,00 (17%)" in html  # spent against the yearly budget
    assert "Almere Haven" in html and "minder dan 10 personen" in html
    assert "Sportclub Almere" in html


def test_a_wrong_filter_is_named(policy: FlaskClient) -> None:
    response = policy.get("/medewerkers/cijfers?jaar=twee&maand=13&wijk=mars")
    assert response.status_code == 400
    html = page(response)
    for name in ("jaar", "maand", "wijk"):
        assert f'href="#{name}"' in html


def test_csv_hides_small_counts_too(policy: FlaskClient) -> None:
    response = policy.get("/medewerkers/cijfers/wijken-stadsfonds.csv?jaar=2026")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "wijken-stadsfonds-2026-geteld-" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:2] == ["Wijk", "Personen met recht"]
    *figures, counted = rows[1:]
    assert [row[0] for row in figures] == ["Almere Stad", "Almere Haven", "Alle wijken"]
    assert all(cell == "< 10" for row in figures for cell in row[1:-1])
    assert counted[0] == "Geteld op"
    schemes = policy.get("/medewerkers/cijfers/regelingen.csv?jaar=2026").get_data(as_text=True)
    fund = next(r for r in csv.reader(io.StringIO(schemes)) if r[0] == "stadsfonds")
    assert "< 10" in fund and "150000" in fund


def test_an_unknown_table_is_404(policy: FlaskClient) -> None:
    assert policy.get("/medewerkers/cijfers/geheim.csv?jaar=2026").status_code == 404


def test_a_district_filter_narrows_every_table(policy: FlaskClient) -> None:
    html = main_of(page(policy.get("/medewerkers/cijfers?jaar=2026&wijk=almere_haven")))
    assert '<option value="almere_haven" selected>' in html
    # In Haven only b1 redeemed, at the Buurtsuper.
    assert "Buurtsuper" in html and "Sportclub Almere" not in html
    assert "wijk=almere_haven" in html  # the CSV links keep the filter
    response = policy.get("/medewerkers/cijfers/partners.csv?jaar=2026&wijk=almere_haven")
    assert "partners-2026-almere_haven-geteld-" in response.headers["Content-Disposition"]
    assert "Sportclub" not in response.get_data(as_text=True)


def test_in_english_the_schemes_have_their_english_names(policy: FlaskClient) -> None:
    html = main_of(page(policy.get("/medewerkers/cijfers?jaar=2026&lang=en")))
    assert "Stadsfonds sport en cultuur" not in html
    assert "City fund for sport and culture" in html


def test_the_page_says_when_the_figures_were_counted(
    policy: FlaskClient, reference: Session, frozen_clock: FrozenClock
) -> None:
    live = main_of(page(policy.get("/medewerkers/cijfers?jaar=2026")))
    assert "Deze cijfers zijn op dit moment geteld." in live

    # The clock stays put (the staff session would expire); the count is dated back instead.
    now = frozen_clock.moment
    counted = now - dt.timedelta(hours=8)
    snapshot.refresh(reference, 2026, now=counted)
    reference.commit()
    fresh = main_of(page(policy.get("/medewerkers/cijfers?jaar=2026")))
    local = counted.astimezone(clock.LOCAL)
    assert f"Deze cijfers zijn geteld op {local:%d-%m-%Y} om {local:%H:%M}." in fresh
    assert "meer dan een dag geleden" not in fresh
    # The same figures as counted live: the snapshot is read, not an empty table.
    assert "€ 330,00" in fresh and "€ 330,00" in live

    snapshot.refresh(reference, 2026, now=now - dt.timedelta(days=2))
    reference.commit()
    stale = main_of(page(policy.get("/medewerkers/cijfers?jaar=2026")))
    assert "Dat is meer dan een dag geleden." in stale


def _csv(client: FlaskClient, url: str) -> tuple[TestResponse, list[list[str]]]:
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return response, list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_a_csv_file_says_when_its_figures_were_counted(
    policy: FlaskClient, reference: Session, frozen_clock: FrozenClock
) -> None:
    """Opened in a spreadsheet a week later, the file still says when it was counted."""
    now = frozen_clock.moment
    counted = now - dt.timedelta(hours=8)
    snapshot.refresh(reference, 2026, now=counted)
    reference.commit()
    local = counted.astimezone(clock.LOCAL)

    response, rows = _csv(policy, "/medewerkers/cijfers/wijken-stadsfonds.csv?jaar=2026")
    # The header stays the first row; the totals are followed by one row that dates them.
    assert rows[0][:2] == ["Wijk", "Personen met recht"]
    assert rows[-2][0] == "Alle wijken"
    assert rows[-1][:3] == [
        "Geteld op",
        local.isoformat(timespec="minutes"),
        f"Deze cijfers zijn geteld op {local:%d-%m-%Y} om {local:%H:%M}. "
        "Wat daarna is gebeurd, staat er nog niet in.",
    ]
    # As wide as the table, so a reader that wants equal rows takes the file as it is.
    assert {len(row) for row in rows} == {len(rows[0])}
    assert response.last_modified == counted
    assert response.headers["Counted-From"] == "snapshot"
    filename = f"wijken-stadsfonds-2026-geteld-{local:%Y-%m-%d-%H%M}.csv"
    assert f'filename="{filename}"' in response.headers["Content-Disposition"]

    # A month and a district read the same snapshot, so they carry the same moment.
    response, rows = _csv(
        policy, "/medewerkers/cijfers/partners.csv?jaar=2026&maand=6&wijk=almere_haven"
    )
    assert rows[-1][1] == local.isoformat(timespec="minutes")
    filename = f"partners-2026-06-almere_haven-geteld-{local:%Y-%m-%d-%H%M}.csv"
    assert f'filename="{filename}"' in response.headers["Content-Disposition"]


def test_a_csv_file_of_live_figures_says_it_was_counted_when_downloaded(
    policy: FlaskClient, frozen_clock: FrozenClock
) -> None:
    local = frozen_clock.moment.astimezone(clock.LOCAL)
    response, rows = _csv(policy, "/medewerkers/cijfers/regelingen.csv?jaar=2026")
    assert rows[-1][:3] == [
        "Geteld op",
        local.isoformat(timespec="minutes"),
        "Deze cijfers zijn op dit moment geteld.",
    ]
    assert {len(row) for row in rows} == {len(rows[0])}
    assert response.last_modified == frozen_clock.moment
    assert response.headers["Counted-From"] == "live"
    filename = f"regelingen-2026-geteld-{local:%Y-%m-%d-%H%M}.csv"
    assert f'filename="{filename}"' in response.headers["Content-Disposition"]

    # In English the sentence is the page's English one.
    _response, rows = _csv(policy, "/medewerkers/cijfers/regelingen.csv?jaar=2026&lang=en")
    assert rows[-1][2] == "These figures were counted just now."
