"""One TOTP code sent by several logins at the same moment logs in exactly once."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pyotp
from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from almerepas.models import Role
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
