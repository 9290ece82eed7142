"""Logins on a database of their own: a TOTP code works once at the same moment, and a login
attempt commits on its own without waiting for the request that carries it."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pyotp
from flask import Flask
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from almerepas.models import AuditEvent, Role, StaffUser
from almerepas.staff.accounts import authenticate
from almerepas.staff.errors import LoginFailed
from tests.factories import KEYS, make_staff

THREADS = 4  # fewer than five, so the replays do not lock the account


def test_a_code_cannot_be_used_twice_even_at_the_same_moment(
    fresh_engine: Engine, make_app: Callable[..., Flask]
) -> None:
    app = make_app(fresh_engine.url.render_as_string(hide_password=False))
    with app.app_context(), Session(fresh_engine) as session:
        user, password, secret = make_staff(session, Role.finance)
        session.commit()
        username = user.username
    code = pyotp.TOTP(secret).now()

    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def worker() -> None:
        with app.app_context(), Session(fresh_engine) as session:
            start.wait()
            try:
                authenticate(
                    session, username=username, password=password, totp_code=code, keys=KEYS
                )
                session.commit()
                result = "ok"
            except LoginFailed:
                session.commit()  # the failure count is kept, as the views do
                result = "refused"
        with lock:
            outcomes[result] += 1

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == Counter(ok=1, refused=THREADS - 1)


def test_logging_in_again_with_a_token_in_hand_is_not_blocked_by_it(
    fresh_engine: Engine, make_app: Callable[..., Flask]
) -> None:
    """A request that carries a token logs in again: the attempt's own transaction must not wait
    for a lock the request itself took (on SQLite a read through the request's session holds the
    write lock), and a refusal of that attempt is still counted."""
    app = make_app(
        fresh_engine.url.render_as_string(hide_password=False), SQLITE_BUSY_TIMEOUT_MS=300
    )
    with app.app_context(), Session(fresh_engine) as session:
        user, password, secret = make_staff(session, Role.finance)
        session.commit()
        username = user.username
    client = app.test_client()
    body = {"username": username, "password": password}
    first = client.post("/api/v1/tokens", json=body | {"totp_code": pyotp.TOTP(secret).now()})
    assert first.status_code == 201, first.get_json()
    held = {"Authorization": f"Bearer {first.get_json()['token']}"}

    wrong = client.post(
        "/api/v1/tokens", json=body | {"password": "x" * 12, "totp_code": "000000"}, headers=held
    )
    assert wrong.status_code == 401, wrong.get_json()
    with Session(fresh_engine) as session:
        refused = session.scalars(select(StaffUser).where(StaffUser.username == username)).one()
        assert refused.failed_logins == 1
        logged = session.scalars(
            select(AuditEvent.actor).where(AuditEvent.action == "staff.login_failed")
        ).all()
        assert logged == ["anonymous"]  # not the staff member whose token was sent along
