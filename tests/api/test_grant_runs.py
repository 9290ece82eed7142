"""Grant runs through the API: finance runs, policy previews; previews write nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from almerepas.models import AuditEvent, Grant, JournalEntry, MemberRole, Role
from almerepas.schemes import catalogue as schemes
from tests.factories import TEST_ACTOR, assess, born, make_household, make_staff, token_headers
from tests.fixtures import FrozenClock

TODAY = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_today(frozen_clock: FrozenClock) -> None:
    frozen_clock.set(TODAY)


@pytest.fixture
def city(reference: Session, app: object) -> Session:
    with app.test_request_context():  # type: ignore[attr-defined]
        family = make_household(
            reference, [(MemberRole.applicant, born(40)), (MemberRole.child, born(9))]
        )
        assess(reference, family, (105, 100))
    return reference


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def as_role(client: FlaskClient, session: Session, role: Role) -> dict[str, str]:
    user, _, _ = make_staff(session, role, app=client.application)
    return token_headers(session, user)


def test_policy_previews_without_writing_and_finance_runs_once(
    client: FlaskClient, city: Session
) -> None:
    before = (count(city, Grant), count(city, JournalEntry))
    preview = client.get(
        "/api/v1/grant-runs/preview?period=2026-12", headers=as_role(client, city, Role.policy)
    )
    assert preview.status_code == 200, preview.get_json()
    runs = {r["scheme"]: r for r in preview.get_json()["runs"]}
    assert runs["ov"]["granted"] == 2 and runs["stadsfonds"]["granted"] == 1
    assert (count(city, Grant), count(city, JournalEntry)) == before

    finance = as_role(client, city, Role.finance)
    done = client.post("/api/v1/grant-runs", json={"period": "2026-12"}, headers=finance)
    assert done.status_code == 201
    assert {r["scheme"]: r["granted"] for r in done.get_json()["runs"]} == {
        k: v["granted"] for k, v in runs.items()
    }
    again = client.post(
        "/api/v1/grant-runs", json={"period": "2026-12"}, headers=finance
    ).get_json()
    assert sum(r["granted"] for r in again["runs"]) == 0


def test_runs_too_far_ahead_or_badly_written_are_400(client: FlaskClient, city: Session) -> None:
    finance = as_role(client, city, Role.finance)
    ahead = client.post("/api/v1/grant-runs", json={"period": "2027-02"}, headers=finance)
    assert ahead.status_code == 400 and ahead.get_json(force=True)["code"] == "period_too_far_ahead"
    bad = client.post("/api/v1/grant-runs", json={"period": "december"}, headers=finance)
    assert bad.status_code == 400 and bad.get_json(force=True)["code"] == "validation_failed"
    month = client.post("/api/v1/grant-runs", json={"period": "2026-13"}, headers=finance)
    assert month.status_code == 400 and month.get_json(force=True)["code"] == "invalid_period"


def test_expiry_only_after_the_period(client: FlaskClient, city: Session) -> None:
    finance = as_role(client, city, Role.finance)
    client.post("/api/v1/grant-runs", json={"period": "2026-10"}, headers=finance)
    early = client.post("/api/v1/grant-expiries", json={"period": "2026-11"}, headers=finance)
    assert early.status_code == 409 and early.get_json(force=True)["code"] == "period_not_ended"
    done = client.post("/api/v1/grant-expiries", json={"period": "2026-10"}, headers=finance)
    assert done.status_code == 201
    assert {r["scheme"] for r in done.get_json()["runs"]} == {"menstruatie", "supermarkt"}


def test_the_api_takes_the_date_in_almere_after_midnight(
    client: FlaskClient, city: Session, frozen_clock: FrozenClock
) -> None:
    # 22:59 UTC on 30 November is still November in Almere: the month has not ended.
    frozen_clock.set(dt.datetime(2026, 11, 30, 22, 59, tzinfo=dt.UTC))
    finance = as_role(client, city, Role.finance)
    client.post("/api/v1/grant-runs", json={"period": "2026-11"}, headers=finance)
    early = client.post("/api/v1/grant-expiries", json={"period": "2026-11"}, headers=finance)
    assert early.status_code == 409, early.get_json(force=True)
    # 23:30 UTC is 00:30 on 1 December in Almere, though still 30 November in UTC.
    frozen_clock.set(dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC))
    done = client.post("/api/v1/grant-expiries", json={"period": "2026-11"}, headers=finance)
    assert done.status_code == 201, done.get_json(force=True)


@pytest.mark.parametrize("role", [Role.policy, Role.caseworker, Role.auditor, Role.administrator])
def test_only_finance_may_run(client: FlaskClient, city: Session, role: Role) -> None:
    response = client.post(
        "/api/v1/grant-runs", json={"period": "2026-12"}, headers=as_role(client, city, role)
    )
    assert response.status_code == 403


def test_an_unknown_scheme_is_named_not_ignored(client: FlaskClient, city: Session) -> None:
    finance = as_role(client, city, Role.finance)
    response = client.post(
        "/api/v1/grant-runs", json={"period": "2026-12", "schemes": ["ov", "bus"]}, headers=finance
    )
    assert response.status_code == 404
    assert "bus" in response.get_json(force=True)["detail"]


def test_a_scheme_with_a_long_name_still_grants(client: FlaskClient, city: Session) -> None:
    admin = as_role(client, city, Role.administrator)
    renamed = client.patch("/api/v1/schemes/stadsfonds", json={"name_nl": "B" * 200}, headers=admin)
    assert renamed.status_code == 200
    finance = as_role(client, city, Role.finance)
    response = client.post("/api/v1/grant-runs", json={"period": "2026-12"}, headers=finance)
    assert response.status_code == 201


@pytest.fixture
def queue(reference: Session, app: object) -> list[int]:
    """Issue 9.8: four adults assessed on days out of step with the order they were entered; the
    adult fund's budget covers two. The adults' person ids in the order they were assessed."""
    with app.test_request_context():  # type: ignore[attr-defined]
        fund = schemes.get_scheme(reference, "volwassenenfonds")
        schemes.update_scheme(reference, fund, {"annual_budget": 2 * 700_00}, actor=TEST_ACTOR)
        assessed = []
        for day in (
            dt.date(2026, 2, 20),
            dt.date(2026, 1, 10),
            dt.date(2026, 2, 1),
            dt.date(2026, 1, 20),
        ):
            adult = make_household(reference, [(MemberRole.applicant, born(30))])
            assess(reference, adult, (125, 100), on=day)
            assessed.append((day, adult.memberships[0].person_id))
    return [person for _day, person in sorted(assessed)]


def test_policy_sees_who_waits_for_a_spent_budget_in_assessment_order(
    client: FlaskClient, reference: Session, queue: list[int]
) -> None:
    first, second, third, fourth = queue
    finance = as_role(client, reference, Role.finance)
    done = client.post(
        "/api/v1/grant-runs",
        json={"period": "2026", "schemes": ["volwassenenfonds"]},
        headers=finance,
    )
    assert done.status_code == 201, done.get_json()
    (fund,) = done.get_json()["runs"]
    assert (fund["granted"], fund["budget_exhausted"]) == (2, 2)
    assert fund["reasons"]["Het budget van deze regeling is op."] == 2
    granted = reference.scalars(select(Grant.person_id)).all()
    assert set(granted) == {first, second}

    policy = as_role(client, reference, Role.policy)
    shown = client.get("/api/v1/schemes/volwassenenfonds/waiting-list?period=2026", headers=policy)
    assert shown.status_code == 200, shown.get_json()
    body = shown.get_json()
    assert (body["total"], body["period"]) == (2, "2026")
    assert [i["person_id"] for i in body["items"]] == [third, fourth]
    assert [i["assessed_on"] for i in body["items"]] == ["2026-02-01", "2026-02-20"]
    assert [i["position"] for i in body["items"]] == [1, 2]
    assert not {"name", "given_name", "family_name", "bsn", "bsn_masked"} & set(body["items"][0])
    assert reference.scalars(select(Grant.person_id)).all() == granted  # looking grants nothing

    second_page = client.get(
        "/api/v1/schemes/volwassenenfonds/waiting-list?period=2026&page=2&pageSize=1",
        headers=policy,
    )
    assert [i["person_id"] for i in second_page.get_json()["items"]] == [fourth]
    assert second_page.get_json()["items"][0]["position"] == 2
    assert 'rel="prev"' in second_page.headers["Link"]

    rows = reference.scalars(
        select(AuditEvent).where(AuditEvent.action == "grants.waiting_list").order_by(AuditEvent.id)
    ).all()
    assert [r.changes["persons"] for r in rows if r.changes] == [[third, fourth], [fourth]]


@pytest.mark.parametrize("role", [Role.caseworker, Role.finance])
def test_only_policy_sees_the_waiting_list(
    client: FlaskClient, reference: Session, queue: list[int], role: Role
) -> None:
    shown = client.get(
        "/api/v1/schemes/volwassenenfonds/waiting-list?period=2026",
        headers=as_role(client, reference, role),
    )
    assert shown.status_code == 403


def test_the_waiting_list_of_an_unknown_scheme_is_404(
    client: FlaskClient, reference: Session
) -> None:
    shown = client.get(
        "/api/v1/schemes/nope/waiting-list?period=2026",
        headers=as_role(client, reference, Role.policy),
    )
    assert shown.status_code == 404
