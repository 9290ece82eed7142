"""The finance API: a run from prepare to confirm, four eyes, and every refusal as a problem."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import pytest
import sepaxml
import xmlschema
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from almerepas.ledger import posting as ledger
from almerepas.settlements import accounts
from almerepas.staff.models import Role
from tests.factories import staff_headers
from tests.fixtures import FrozenClock
from tests.redemptions.support import child_budget
from tests.settlements.support import JULY, contracted, redeem_at


@pytest.fixture
def june(reference: Session, frozen_clock: FrozenClock) -> Session:
    """A sport club with € 57,75 redeemed in June 2026; the clock on 2 July."""
    partner, place = contracted(reference, "stadsfonds", name="Zwemvereniging De Ühr & Co")
    grant = child_budget(reference)
    redeem_at(reference, grant, partner, place, 45_50)
    redeem_at(reference, grant, partner, place, 12_25)
    frozen_clock.set(JULY)
    return reference


PAIN_09 = Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.09.xsd"


def balance(session: Session, code: str) -> int:
    account = ledger.get_account(session, code)
    return 0 if account is None else ledger.balance_of(session, account)


def test_a_run_goes_from_prepared_to_confirmed_with_four_eyes(
    client: FlaskClient, june: Session
) -> None:
    fien = staff_headers(client, june, Role.finance)
    ahmed = staff_headers(client, june, Role.finance)

    prepared = client.post("/api/v1/settlement-runs", json={"period": "2026-06"}, headers=fien)
    assert prepared.status_code == 201, prepared.get_json()
    run = prepared.get_json()
    assert (run["status"], run["total"]) == ("draft", 57_75)
    assert [s["amount"] for s in run["schemes"]] == [57_75]
    url = f"/api/v1/settlement-runs/{run['id']}"

    own = client.post(f"{url}/approval", json={"lines_hash": run["lines_hash"]}, headers=fien)
    assert own.status_code == 403
    assert own.get_json()["code"] == "settlement_own_approval"
    early = client.post(f"{url}/sepa-file", headers=ahmed)
    assert (early.status_code, early.get_json()["code"]) == (409, "settlement_run_state")

    approved = client.post(f"{url}/approval", json={"lines_hash": run["lines_hash"]}, headers=ahmed)
    assert approved.status_code == 200, approved.get_json()
    assert approved.get_json()["status"] == "approved"

    made = client.post(f"{url}/sepa-file", headers=ahmed)
    assert made.status_code == 201, made.get_json()
    content = base64.b64decode(made.get_json()["content_base64"])
    xmlschema.XMLSchema(str(PAIN_09)).validate(content)
    assert b'<InstdAmt Ccy="EUR">57.75</InstdAmt>' in content
    again = client.post(f"{url}/sepa-file", headers=fien)
    assert base64.b64decode(again.get_json()["content_base64"]) == content
    assert client.get(url, headers=fien).get_json()["status"] == "paid_out"

    done = client.post(f"{url}/confirmation", headers=fien)
    assert done.status_code == 200
    assert done.get_json()["status"] == "confirmed"
    partner_id = run["payments"][0]["partner_id"]
    assert balance(june, f"owed:partner:{partner_id}") == 0
    assert balance(june, accounts.IN_TRANSIT) == 0
    assert balance(june, accounts.BANK) == 57_75
    assert ledger.find_drift(june) == []


def test_only_finance_prepares_and_the_auditor_only_reads(
    client: FlaskClient, june: Session
) -> None:
    caseworker = staff_headers(client, june, Role.caseworker)
    auditor = staff_headers(client, june, Role.auditor)
    body = {"period": "2026-06"}
    assert client.post("/api/v1/settlement-runs", json=body, headers=caseworker).status_code == 403
    assert client.post("/api/v1/settlement-runs", json=body, headers=auditor).status_code == 403
    assert client.get("/api/v1/settlement-runs", headers=auditor).status_code == 200


def test_bad_requests_get_a_clear_problem(client: FlaskClient, june: Session) -> None:
    fien = staff_headers(client, june, Role.finance)
    open_month = client.post("/api/v1/settlement-runs", json={"period": "2026-07"}, headers=fien)
    assert (open_month.status_code, open_month.get_json()["code"]) == (
        409,
        "settlement_period_open",
    )
    year = client.post("/api/v1/settlement-runs", json={"period": "2026"}, headers=fien)
    assert year.status_code == 400
    missing = client.get("/api/v1/settlement-runs/999999", headers=fien)
    assert (missing.status_code, missing.get_json()["code"]) == (404, "settlement_run_not_found")
    first = client.post("/api/v1/settlement-runs", json={"period": "2026-06"}, headers=fien)
    assert first.status_code == 201
    second = client.post("/api/v1/settlement-runs", json={"period": "2026-06"}, headers=fien)
    assert (second.status_code, second.get_json()["code"]) == (409, "settlement_nothing_new")


def test_finance_sees_what_is_owed_and_what_is_late(
    client: FlaskClient, june: Session, frozen_clock: FrozenClock
) -> None:
    fien = staff_headers(client, june, Role.finance)
    now = client.get("/api/v1/settlements/overview", headers=fien).get_json()
    assert [(o["partner_name"], o["amount"]) for o in now["owed"]] == [
        ("Zwemvereniging De Ühr & Co", 57_75)
    ]
    assert now["late"] == []

    frozen_clock.set(JULY + dt.timedelta(days=14))  # 16 July: June was due on the 14th
    fien = staff_headers(client, june, Role.finance)  # a new working day, a new login
    late = client.get("/api/v1/settlements/overview", headers=fien).get_json()["late"]
    assert late == [
        {"period": "2026-06", "due": "2026-07-14", "state": "not_prepared", "run_id": None}
    ]
