"""A staff account of single sign-on is the provider's issuer and subject together: the same
``sub`` from another issuer (a new provider, or a misconfigured one) is another person and never
reaches the account, its role or its pages. An account made before the issuer was kept is bound
to the issuer of its next login, once, and the audit log says so.

The gemeente's provider is the real oidc-provider (tests/oidc/conftest.py); "another issuer" is
the loopback fake provider, whose tokens the app accepts only when configured with it, as after
a move to a new provider.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from almerepas.audit.log import Actor
from almerepas.models import AuditEvent, Role, StaffUser
from almerepas.staff.sso import parse_role_map, sso_login
from tests.factories import make_staff
from tests.fixtures import FrozenClock
from tests.oidc.conftest import ROLE_MAP, FakeProvider, MakeSsoApp, OidcProvider
from tests.oidc.helpers import (
    audit_rows,
    browser,
    claims_for,
    go_to_provider,
    query,
    signed,
)
from tests.oidc.helpers import sso_login as sso_round
from tests.web.conftest import page

START = "/inloggen/gemeente"
#: The provider the gemeente used before: its "jan" is the administrator.
OLD_ISSUER = "https://login.oud.example"


def fake_login(client: FlaskClient, fake: FakeProvider, clock: FrozenClock) -> TestResponse:
    """The whole round at the fake provider: its "jan", a caseworker, named Jan Jansen."""
    asked = query(go_to_provider(client, START))
    fake.id_token = signed(fake.key, claims_for(fake, asked["nonce"], clock.now()))
    return client.get(f"{START}/terug?code=de-code&state={asked['state']}")


def touched(db: Session, actions: tuple[str, ...]) -> list[str]:
    """The accounts (ids) that audit rows of ``actions`` are about, in order."""
    rows = db.scalars(
        select(AuditEvent.entity_id).where(AuditEvent.action.in_(actions)).order_by(AuditEvent.id)
    )
    return [str(entity) for entity in rows]


def test_the_same_subject_at_another_issuer_never_logs_in_as_that_account(
    make_sso_app: MakeSsoApp, fake_provider: FakeProvider, db: Session, frozen_clock: FrozenClock
) -> None:
    app = make_sso_app(fake_provider.issuer)
    # The old provider's "jan", an administrator, with the username sso_login gave an account
    # without a preferred_username before issuers were kept (from the subject alone).
    legacy_name = "sso." + hashlib.sha256(b"jan").hexdigest()[:16]
    admin, _password, _secret = make_staff(db, Role.administrator, app=app, username=legacy_name)
    admin.sso_subject, admin.sso_issuer = "jan", OLD_ISSUER
    db.commit()
    client = browser(app)

    done = fake_login(client, fake_provider, frozen_clock)

    assert done.status_code == 303 and done.headers["Location"] == "/medewerkers"
    home = page(client.get("/medewerkers"))
    assert "Jan Jansen" in home and "Een huishouden zoeken" in home  # a caseworker of his own
    assert "Test Medewerker" not in home and "Accounts van medewerkers" not in home
    assert client.get("/medewerkers/beheer/accounts").status_code == 403
    db.expire_all()
    assert (admin.role, admin.sso_issuer, admin.last_login_at) == (
        Role.administrator,
        OLD_ISSUER,
        None,
    )
    new = db.scalars(select(StaffUser).where(StaffUser.id != admin.id)).one()
    assert (new.sso_issuer, new.sso_subject, new.role) == (
        fake_provider.issuer,
        "jan",
        Role.caseworker,
    )
    assert new.username.startswith("sso.") and new.username != legacy_name
    assert audit_rows(db, "staff.")[1:] == [
        ("staff.create", "anonymous", {
            "username": [None, new.username], "display_name": [None, "Jan Jansen"],
            "role": [None, "caseworker"]}),
        ("staff.login", f"staff:{new.username}", {"method": "sso"}),
    ]  # fmt: skip
    assert touched(db, ("staff.login", "staff.role_change", "staff.sso_bound")) == [str(new.id)]


def test_an_account_from_before_issuers_were_kept_is_bound_at_its_next_login(
    make_sso_app: MakeSsoApp,
    oidc_provider: OidcProvider,
    fake_provider: FakeProvider,
    db: Session,
    frozen_clock: FrozenClock,
) -> None:
    app = make_sso_app(oidc_provider.issuer)
    user, _password, _secret = make_staff(db, Role.caseworker, app=app, username="j.jansen")
    user.sso_subject = "jan"  # made at a single sign-on before migration e2f3a4b5c6d7
    db.commit()
    assert user.sso_issuer is None

    client = browser(app)
    assert sso_round(client, oidc_provider, START, "jan").status_code == 303
    assert "Test Medewerker" in page(client.get("/medewerkers"))  # his own account
    db.refresh(user)
    assert user.sso_issuer == oidc_provider.issuer
    # Once: the next login is an ordinary one.
    assert sso_round(browser(app), oidc_provider, START, "jan").status_code == 303

    # Bound now: the same "jan" from another provider is someone else.
    elsewhere = browser(make_sso_app(fake_provider.issuer))
    assert fake_login(elsewhere, fake_provider, frozen_clock).status_code == 303
    assert "Jan Jansen" in page(elsewhere.get("/medewerkers"))
    db.expire_all()
    assert (user.sso_issuer, user.role) == (oidc_provider.issuer, Role.caseworker)
    other = db.scalars(select(StaffUser).where(StaffUser.id != user.id)).one()
    assert (other.sso_issuer, other.sso_subject) == (fake_provider.issuer, "jan")
    assert audit_rows(db, "staff.")[1:] == [
        ("staff.sso_bound", "anonymous", {"sso_issuer": [None, oidc_provider.issuer]}),
        ("staff.login", "staff:j.jansen", {"method": "sso"}),
        ("staff.login", "staff:j.jansen", {"method": "sso"}),
        ("staff.create", "anonymous", {
            "username": [None, other.username], "display_name": [None, "Jan Jansen"],
            "role": [None, "caseworker"]}),
        ("staff.login", f"staff:{other.username}", {"method": "sso"}),
    ]  # fmt: skip
    assert touched(db, ("staff.sso_bound",)) == [str(user.id)]


def test_a_refused_login_binds_no_account(
    make_sso_app: MakeSsoApp, oidc_provider: OidcProvider, db: Session, frozen_clock: FrozenClock
) -> None:
    app = make_sso_app(oidc_provider.issuer)
    user, _password, _secret = make_staff(db, Role.caseworker, app=app, username="p.pieters")
    user.sso_subject = "piet"  # from before issuers were kept; now in no Almerepas group
    db.commit()

    refused = sso_round(browser(app), oidc_provider, START, "piet")

    assert refused.status_code == 403 and "U heeft geen rol in Almerepas." in page(refused)
    db.refresh(user)
    assert user.sso_issuer is None
    assert audit_rows(db, "staff.")[1:] == [
        ("staff.sso_refused", "anonymous", {"reason": "sso_no_role"})
    ]
    assert touched(db, ("staff.sso_refused",)) == [str(user.id)]


def _until_it_waits(engine: Engine) -> None:
    """Until another session waits for a lock: on PostgreSQL seen in pg_stat_activity; SQLite
    shows no waiter, so half a second there (its busy timeout is five). Sleeps, never a timed
    wait: the shifted-clock passes run under libfaketime, where a timed wait's deadline is a
    month or a year away."""
    if engine.dialect.name != "postgresql":
        time.sleep(0.5)
        return
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        " AND datname = current_database()"
    )
    for _ in range(400):
        with engine.connect() as conn:
            if conn.scalar(waiting):
                return
        time.sleep(0.05)
    raise AssertionError("the second login never waited for the first")


def test_two_logins_of_an_unbound_account_at_once_bind_it_once_and_both_reach_it(
    fresh_engine: Engine, make_app: Callable[..., Flask], frozen_clock: FrozenClock
) -> None:
    """sso_login called directly, each login in a transaction of its own: the second waits for
    the first's lock and must then find the account bound to its own issuer, not make another
    (the unique pair would refuse that with an error page)."""
    app = make_app(fresh_engine.url.render_as_string(hide_password=False))
    with app.app_context(), Session(fresh_engine) as session:
        user, _password, _secret = make_staff(session, Role.caseworker, username="j.jansen")
        user.sso_subject = "jan"
        session.commit()
        account = user.id
    claims = {"iss": OLD_ISSUER, "sub": "jan", "roles": ["GG-Almerepas-Consulent"]}
    roles = parse_role_map(ROLE_MAP)
    reached: list[int] = []

    def log_in(session: Session) -> None:
        found = sso_login(
            session, claims, role_claim="roles", role_map=roles, origin=Actor("anonymous")
        )
        reached.append(found.id)

    def second() -> None:
        with Session(fresh_engine) as session:
            log_in(session)
            session.commit()

    with Session(fresh_engine) as first:
        log_in(first)  # bound and locked, not committed yet
        waiting = threading.Thread(target=second)
        waiting.start()
        _until_it_waits(fresh_engine)
        assert waiting.is_alive(), "the second login did not wait for the first"
        first.commit()
    waiting.join()  # no timeout: under libfaketime a timed wait may never end

    assert reached == [account, account]
    with Session(fresh_engine) as session:
        bound = session.execute(select(StaffUser.id, StaffUser.sso_issuer)).all()
        assert [tuple(row) for row in bound] == [(account, OLD_ISSUER)]
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.entity_id == str(account))
        ).all()
        assert sorted(actions) == ["staff.create", "staff.login", "staff.login", "staff.sso_bound"]
