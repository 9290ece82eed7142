"""The caseworker API: register, search, open, assess, check eligibility; bad input gets 4xx."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almerepas.core import clock
from almerepas.models import AuditEvent, Role
from tests.factories import make_staff, token_headers
from tests.fixtures import CountQueries, FrozenClock, QueryCount


@pytest.fixture
def caseworker(client: FlaskClient, reference: Session) -> dict[str, str]:
    user, _, _ = make_staff(reference, Role.caseworker, app=client.application)
    return token_headers(reference, user)


def register(client: FlaskClient, headers: dict[str, str], **address: Any) -> dict[str, Any]:
    body = {
        "address": {"postcode": "1315 AB", "house_number": 12, "street": "Stadhuisplein", **address}
    }
    response = client.post("/api/v1/households", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    household: dict[str, Any] = response.get_json()
    return household


def add(client: FlaskClient, headers: dict[str, str], household_id: int, **member: Any) -> Any:
    body = {"given_name": "Sara", "family_name": "Bakker", "date_of_birth": "1990-04-01",
            "role": "applicant", "valid_from": "2024-01-01", **member}  # fmt: skip
    return client.post(f"/api/v1/households/{household_id}/members", json=body, headers=headers)


def test_a_caseworker_registers_assesses_and_sees_eligibility(
    client: FlaskClient, caseworker: dict[str, str], reference: Session
) -> None:
    household = register(client, caseworker)
    assert household["district"] == "almere_stad"
    assert add(client, caseworker, household["id"], bsn="111222333").status_code == 201
    child = add(client, caseworker, household["id"], given_name="Ilias", date_of_birth="2016-05-05",
                role="child")  # fmt: skip
    assert child.status_code == 201

    # Exactly 110% of the single-parent norm on 1 March 2026 (provisional 139853 cents).
    assessed = client.post(
        f"/api/v1/households/{household['id']}/assessments",
        json={"net_income": 153838, "assessed_on": "2026-03-01", "evidence_ref": "loonstrook-03"},
        headers=caseworker,
    )
    assert assessed.status_code == 201, assessed.get_json()
    body = assessed.get_json()
    assert body["norm_amount"] == 139853 and body["norm_provisional"] is True
    assert body["percentage_bp"] == 11000
    assert body["valid_to"] == "2027-02-28"

    opened = client.get(f"/api/v1/households/{household['id']}", headers=caseworker).get_json()
    assert [m["bsn_masked"] for m in opened["member_history"]] == ["******333", None]
    assert "111222333" not in str(opened)

    eligible = client.get(
        f"/api/v1/households/{household['id']}/eligibility?date=2026-03-15", headers=caseworker
    ).get_json()
    verdicts = {(i["scheme"], i["person_name"]): i for i in eligible["items"]}
    assert verdicts[("stadsfonds", "Ilias Bakker")]["eligible"] is True
    sara = verdicts[("stadsfonds", "Sara Bakker")]
    assert sara["eligible"] is False
    failing = {r["rule"]: r["reason"] for r in sara["rules"] if not r["ok"]}
    assert list(failing) == ["age"] and "4 tot en met 17 jaar" in failing["age"]

    actions = [e.action for e in reference.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert {
        "household.create",
        "household.add_member",
        "assessment.create",
        "household.view",
    } <= set(actions)
    assert all("111222333" not in str(e.changes) for e in reference.scalars(select(AuditEvent)))


def test_search_by_name_postcode_and_bsn_in_the_body(
    client: FlaskClient, caseworker: dict[str, str]
) -> None:
    household = register(client, caseworker, postcode="1363 AB")
    add(client, caseworker, household["id"], family_name="Yilmaz", bsn="123456782")

    by_name = client.get("/api/v1/households?name=yilm", headers=caseworker).get_json()
    assert [h["id"] for h in by_name["items"]] == [household["id"]]
    by_postcode = client.get("/api/v1/households?postcode=1363ab", headers=caseworker).get_json()
    assert [h["id"] for h in by_postcode["items"]] == [household["id"]]
    by_bsn = client.post(
        "/api/v1/households/_search", json={"bsn": "123456782"}, headers=caseworker
    )
    assert [h["id"] for h in by_bsn.get_json()["items"]] == [household["id"]]


#: GET /households/{id}: the token with its staff member, the household, its members with their
#: persons (one SELECT ... IN for all of them), the audit row, the grants, the assessments.
OPEN_HOUSEHOLD_STATEMENTS = 6


def open_counted(
    client: FlaskClient, headers: dict[str, str], count_queries: CountQueries, household_id: int
) -> tuple[dict[str, Any], QueryCount]:
    with count_queries() as counted:
        response = client.get(f"/api/v1/households/{household_id}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json(), counted


def test_opening_a_household_takes_the_same_statements_for_any_number_of_members(
    client: FlaskClient, caseworker: dict[str, str], count_queries: CountQueries
) -> None:
    household = register(client, caseworker)
    add(client, caseworker, household["id"])
    client.post(
        f"/api/v1/households/{household['id']}/assessments",
        json={"net_income": 100000, "assessed_on": "2026-03-01"},
        headers=caseworker,
    )
    alone, counted = open_counted(client, caseworker, count_queries, household["id"])
    assert len(alone["member_history"]) == 1 and len(alone["assessments"]) == 1
    assert counted.statements == OPEN_HOUSEHOLD_STATEMENTS, counted.report()

    add(client, caseworker, household["id"], given_name="Tom", role="partner")
    for name, born_on in [("Ilias", "2016-05-05"), ("Noor", "2019-02-01"), ("Sem", "2023-07-07")]:
        add(client, caseworker, household["id"], given_name=name, date_of_birth=born_on,
            role="child")  # fmt: skip
    family, counted = open_counted(client, caseworker, count_queries, household["id"])
    assert len(family["member_history"]) == 5
    assert counted.statements == OPEN_HOUSEHOLD_STATEMENTS, counted.report()


def test_opening_a_household_takes_the_same_statements_for_any_number_of_grants(
    client: FlaskClient,
    caseworker: dict[str, str],
    reference: Session,
    count_queries: CountQueries,
    frozen_clock: FrozenClock,
) -> None:
    household = register(client, caseworker)
    add(client, caseworker, household["id"])
    add(client, caseworker, household["id"], given_name="Ilias", date_of_birth="2016-05-05",
        role="child")  # fmt: skip
    client.post(
        f"/api/v1/households/{household['id']}/assessments",
        json={"net_income": 100000, "assessed_on": "2026-03-01"},
        headers=caseworker,
    )
    _, counted = open_counted(client, caseworker, count_queries, household["id"])
    assert counted.statements == OPEN_HOUSEHOLD_STATEMENTS, counted.report()

    finance, _, _ = make_staff(reference, Role.finance, app=client.application)
    for period in ("2026-03", "2026"):  # the clock is frozen in March 2026
        response = client.post(
            "/api/v1/grant-runs", json={"period": period}, headers=token_headers(reference, finance)
        )
        assert response.status_code == 201, response.get_json()
    granted, counted = open_counted(client, caseworker, count_queries, household["id"])
    assert [(g["scheme"], g["balance"]) for g in granted["grants"]] == [
        ("menstruatie", 3),
        ("ov", None),
        ("ov", None),
        ("supermarkt", 50_00),
        ("stadsfonds", 800_00),
        ("volwassenenfonds", 700_00),
    ]  # four of them hold an account, loaded with the grants
    assert counted.statements == OPEN_HOUSEHOLD_STATEMENTS, counted.report()


def address(postcode: str, number: int = 1) -> dict[str, Any]:
    return {"address": {"postcode": postcode, "house_number": number, "street": "Dam"}}


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        (address("1012 AB"), "postcode_outside_almere", None),
        (address("13150"), "validation_failed", "postcode"),
        (address("1315AB", 0), "validation_failed", "address.house_number"),
    ],
)
def test_bad_addresses_are_refused(
    client: FlaskClient,
    caseworker: dict[str, str],
    body: dict[str, Any],
    code: str,
    field: str | None,
) -> None:
    response = client.post("/api/v1/households", json=body, headers=caseworker)
    assert response.status_code == 400
    problem = response.get_json(force=True)
    assert problem["code"] == code
    if field:
        assert field in [e["field"] for e in problem["errors"]]


@pytest.mark.parametrize(
    ("assessment", "status", "code"),
    [
        ({"net_income": -1, "assessed_on": "2026-03-01"}, 400, "validation_failed"),
        ({"net_income": 1500.5, "assessed_on": "2026-03-01"}, 400, "validation_failed"),
        ({"net_income": "1500", "assessed_on": "2026-03-01"}, 400, "validation_failed"),
        ({"net_income": 150000, "assessed_on": "2027-03-01"}, 400, "no_norm"),
    ],
)
def test_bad_assessments_are_refused_and_write_nothing(
    client: FlaskClient,
    caseworker: dict[str, str],
    assessment: dict[str, Any],
    status: int,
    code: str,
) -> None:
    household = register(client, caseworker)
    add(client, caseworker, household["id"])
    response = client.post(
        f"/api/v1/households/{household['id']}/assessments", json=assessment, headers=caseworker
    )
    assert response.status_code == status
    assert response.get_json(force=True)["code"] == code
    opened = client.get(f"/api/v1/households/{household['id']}", headers=caseworker).get_json()
    assert opened["assessments"] == []


def test_a_birth_date_in_the_future_is_refused(
    client: FlaskClient, caseworker: dict[str, str]
) -> None:
    household = register(client, caseworker)
    future = (clock.today() + dt.timedelta(days=2)).isoformat()
    response = add(client, caseworker, household["id"], date_of_birth=future)
    assert response.status_code == 400
    problem = response.get_json(force=True)
    assert problem["code"] == "validation_failed"
    assert "date_of_birth" in [e["field"] for e in problem["errors"]]


def test_unknown_household_is_404(client: FlaskClient, caseworker: dict[str, str]) -> None:
    assert client.get("/api/v1/households/999999", headers=caseworker).status_code == 404


@pytest.mark.parametrize("role", [Role.finance, Role.policy, Role.administrator])
def test_other_roles_may_not_open_households(
    client: FlaskClient, reference: Session, role: Role
) -> None:
    user, _, _ = make_staff(reference, role, app=client.application)
    response = client.get("/api/v1/households", headers=token_headers(reference, user))
    assert response.status_code == 403
    assert client.get("/api/v1/households").status_code == 401


def test_people_leave_and_households_move_out_with_history(
    client: FlaskClient, caseworker: dict[str, str]
) -> None:
    household = register(client, caseworker)
    add(client, caseworker, household["id"])
    partner = add(client, caseworker, household["id"], given_name="Tom", role="partner").get_json()
    tom = next(m for m in partner["member_history"] if m["given_name"] == "Tom")

    left = client.post(
        f"/api/v1/households/{household['id']}/departures",
        json={"person_id": tom["person_id"], "last_day": "2026-06-30"},
        headers=caseworker,
    )
    assert left.status_code == 201
    history = {m["given_name"]: m for m in left.get_json()["member_history"]}
    assert history["Tom"]["valid_to"] == "2026-06-30" and history["Sara"]["valid_to"] is None

    again = client.post(
        f"/api/v1/households/{household['id']}/departures",
        json={"person_id": tom["person_id"], "last_day": "2026-08-01"},
        headers=caseworker,
    )
    assert again.status_code == 404

    moved = client.post(
        f"/api/v1/households/{household['id']}/move-outs",
        json={"day": "2026-09-30"},
        headers=caseworker,
    )
    assert moved.status_code == 201
    body = moved.get_json()
    assert body["moved_out_on"] == "2026-09-30"
    assert all(m["valid_to"] is not None for m in body["member_history"])


def test_a_move_out_before_someone_moved_in_is_refused_not_a_database_conflict(
    client: FlaskClient, caseworker: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    """Found by the fuzz: the membership would end before it began (was a 409 'conflict')."""
    household = register(client, caseworker)
    add(client, caseworker, household["id"])  # lives there from 2024-01-01

    moved = client.post(
        f"/api/v1/households/{household['id']}/move-outs",
        json={"day": "2023-12-31"},
        headers=caseworker,
    )
    assert moved.status_code == 400, moved.get_json(force=True)
    assert moved.get_json(force=True)["code"] == "validation_failed"
    assert "integrity error" not in caplog.text
    opened = client.get(f"/api/v1/households/{household['id']}", headers=caseworker).get_json()
    assert opened["moved_out_on"] is None
    assert [m["valid_to"] for m in opened["member_history"]] == [None]


def test_eligibility_shows_the_amount_a_newcomer_would_get(
    client: FlaskClient, caseworker: dict[str, str], reference: Session
) -> None:
    admin, _, _ = make_staff(reference, Role.administrator, app=client.application)
    prorata = client.patch(
        "/api/v1/schemes/stadsfonds",
        json={"mid_period_entry": "pro_rata"},
        headers=token_headers(reference, admin),
    )
    assert prorata.status_code == 200
    household = register(client, caseworker)
    add(client, caseworker, household["id"], valid_from="2026-09-10")
    add(client, caseworker, household["id"], given_name="Ilias", date_of_birth="2016-05-05",
        role="child", valid_from="2026-09-10")  # fmt: skip
    client.post(
        f"/api/v1/households/{household['id']}/assessments",
        json={"net_income": 100000, "assessed_on": "2026-09-10"},
        headers=caseworker,
    )
    eligible = client.get(
        f"/api/v1/households/{household['id']}/eligibility?date=2026-09-15", headers=caseworker
    ).get_json()
    ilias = next(
        i
        for i in eligible["items"]
        if i["scheme"] == "stadsfonds" and i["person_name"] == "Ilias Bakker"
    )
    assert ilias["eligible"] is True
    assert ilias["amount"] == 266_67  # September to December of 800.00, as the grant run gives


MARCH = "2026-03-01"


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code", "field"),
    [
        # The int converter takes the id; the database cannot hold it (SQLite: OverflowError,
        # PostgreSQL: DataError "bigint out of range"), which problems.py makes a 400, not a 404.
        ("get", "/api/v1/households/10000000000000000000000000", None,
         400, "value_out_of_range", None),
        ("get", "/api/v1/households/1/eligibility?date=9999-12-31", None,
         400, "validation_failed", "date"),
        ("post", "/api/v1/households/1/assessments", {"net_income": 10**19, "assessed_on": MARCH},
         400, "validation_failed", "net_income"),
        ("post", "/api/v1/households/1/assessments",
         {"net_income": 100, "assessed_on": MARCH, "valid_from": "9999-12-01"},
         400, "validation_failed", "valid_from"),
        ("post", "/api/v1/households", address("1315AB", 10**19),
         400, "validation_failed", "address.house_number"),
    ],
)  # fmt: skip
def test_values_too_large_are_a_400_never_a_500(
    client: FlaskClient,
    caseworker: dict[str, str],
    method: str,
    path: str,
    body: Any,
    status: int,
    code: str,
    field: str | None,
) -> None:
    household = register(client, caseworker)
    path = path.replace("/households/1/", f"/households/{household['id']}/")
    response = getattr(client, method)(path, json=body, headers=caseworker)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    problem = response.get_json(force=True)
    assert problem["code"] == code
    assert [e["field"] for e in problem.get("errors", [])] == ([field] if field else [])


def test_registering_survives_a_retried_transaction(
    client: FlaskClient, caseworker: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """@transactional runs a view again after a serialization failure: it must work the second
    time too (the parsed body must still be whole)."""
    from sqlalchemy.exc import OperationalError

    from almerepas.casework import operations as casework

    class SerializationFailure(Exception):
        sqlstate = "40001"

    real = casework.register_household
    calls: list[int] = []

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("UPDATE ...", {}, SerializationFailure())
        return real(*args, **kwargs)

    monkeypatch.setattr(casework, "register_household", flaky)
    household = register(client, caseworker)
    assert len(calls) == 2
    assert household["postcode"] == "1315AB"


def test_audit_rows_show_before_and_after(
    client: FlaskClient, caseworker: dict[str, str], reference: Session
) -> None:
    household = register(client, caseworker)
    add(client, caseworker, household["id"])
    url = f"/api/v1/households/{household['id']}/assessments"
    first = client.post(
        url, json={"net_income": 100000, "assessed_on": "2026-01-01"}, headers=caseworker
    )
    client.post(url, json={"net_income": 90000, "assessed_on": "2026-05-01"}, headers=caseworker)
    client.post(f"/api/v1/households/{household['id']}/move-outs", json={"day": "2026-09-30"},
                headers=caseworker)  # fmt: skip

    events = {
        e.action: e.changes for e in reference.scalars(select(AuditEvent).order_by(AuditEvent.id))
    }
    assert events["household.create"]["street"] == [None, "Stadhuisplein"]
    superseded = f"assessment_{first.get_json()['id']}.valid_to"
    assert events["assessment.create"][superseded] == ["2026-12-31", "2026-04-30"]
    moved = events["household.move_out"]
    assert moved["moved_out_on"] == [None, "2026-09-30"]
    assert [None, "2026-09-30"] in moved.values() and len(moved) == 2


def test_percent_and_underscore_in_a_name_are_letters_not_wildcards(
    client: FlaskClient, caseworker: dict[str, str]
) -> None:
    household = register(client, caseworker)
    assert add(client, caseworker, household["id"], family_name="Bakker").status_code == 201

    def found(name: str) -> list[int]:
        response = client.get("/api/v1/households", query_string={"name": name}, headers=caseworker)
        assert response.status_code == 200, response.get_json()
        return [h["id"] for h in response.get_json()["items"]]

    assert found("akk") == [household["id"]]
    assert found("%") == []
    assert found("_") == []
    assert found("a_k") == []  # as a LIKE pattern it would match "akk" in Bakker
    assert found("b%r") == []


BSN_SHAPES = ["111222333", "111 222 333", "111.222.333", "Bakker 111222333", "123456789"]


@pytest.mark.parametrize("name", BSN_SHAPES)
def test_a_bsn_in_the_name_search_is_refused_without_echoing_it(
    client: FlaskClient,
    caseworker: dict[str, str],
    reference: Session,
    caplog: pytest.LogCaptureFixture,
    name: str,
) -> None:
    """A BSN belongs in the body of POST /households/_search, never in a URL; the refusal says
    so, and neither the answer, the audit log nor the log holds the number."""
    household = register(client, caseworker)
    add(client, caseworker, household["id"], bsn="111222333")
    before = reference.scalar(select(func.count()).select_from(AuditEvent))
    with caplog.at_level(logging.DEBUG):
        response = client.get("/api/v1/households", query_string={"name": name}, headers=caseworker)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    problem = response.get_json(force=True)
    assert problem["code"] == "bsn_in_name_search"
    assert "POST /api/v1/households/_search" in problem["detail"]
    text = response.get_data(as_text=True)
    digits = name.split()[-1].replace(".", "").replace(" ", "")
    for shape in (name, digits, digits[:3], name.split()[-1]):
        if shape[0].isdigit():
            assert shape not in text
    assert reference.scalar(select(func.count()).select_from(AuditEvent)) == before
    assert digits not in caplog.text and name not in caplog.text
