"""Staff log in through a real OpenID Connect provider (oidc-provider under Node on loopback):
the account is made at the first login with the role the group claim maps to, found again by
the provider's subject, its role refreshed; no mapped role, two roles, an account turned off
and the password login switched off are refused, and every login and refusal is audited."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.config import ConfigError, load_config
from almerepas.models import Role, StaffUser
from tests.factories import make_staff, totp_now
from tests.fixtures import FrozenClock
from tests.oidc.conftest import MakeSsoApp, OidcProvider
from tests.oidc.helpers import audit_rows, browser, come_back, go_to_provider, query, sso_login
from tests.web.conftest import page

START = "/inloggen/gemeente"


def test_a_colleague_in_the_caseworkers_group_logs_in_as_caseworker(
    make_sso_app: MakeSsoApp, oidc_provider: OidcProvider, db: Session, frozen_clock: FrozenClock
) -> None:
    app = make_sso_app(oidc_provider.issuer)
    client = browser(app)
    login_page = page(client.get("/inloggen"))
    assert "Inloggen via de gemeente" in login_page and 'name="password"' in login_page

    authorize = go_to_provider(client, START)
    asked = query(authorize)
    assert authorize.startswith(oidc_provider.issuer)
    assert asked["code_challenge_method"] == "S256" and asked["code_challenge"]
    assert asked["state"] and asked["nonce"] and "roles" in asked["scope"]

    done = come_back(client, oidc_provider.log_in(authorize, "jan"))
    assert done.status_code == 303 and done.headers["Location"] == "/medewerkers"
    home = page(client.get("/medewerkers"))
    assert "Jan Jansen" in home and "Een huishouden zoeken" in home  # the caseworker's menu

    user = db.scalars(select(StaffUser).where(StaffUser.sso_subject == "jan")).one()
    assert (user.username, user.role, user.active) == ("j.jansen", Role.caseworker, True)
    assert audit_rows(db, "staff.") == [
        ("staff.create", "anonymous", {
            "username": [None, "j.jansen"], "display_name": [None, "Jan Jansen"],
            "role": [None, "caseworker"]}),
        ("staff.login", "staff:j.jansen", {"method": "sso"}),
    ]  # fmt: skip

    # Logging out ends it, and the next login finds the same account again.
    client.post("/uitloggen", data={"csrf_token": _csrf(client)})
    assert client.get("/medewerkers").status_code == 303
    again = sso_login(browser(app), oidc_provider, START, "jan")
    assert again.status_code == 303
    assert db.scalar(select(StaffUser.id).where(StaffUser.username.like("j.jansen%"))) == user.id


def _csrf(client: FlaskClient) -> str:
    html = client.get("/medewerkers").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no logout form"
    return match.group(1)


def test_the_role_follows_the_group_at_every_login(
    make_sso_app: MakeSsoApp, oidc_provider: OidcProvider, db: Session, frozen_clock: FrozenClock
) -> None:
    app = make_sso_app(oidc_provider.issuer)
    user, _password, _secret = make_staff(db, Role.finance, app=app, username="jan.oud")
    user.sso_subject = "jan"
    db.commit()

    assert sso_login(browser(app), oidc_provider, START, "jan").status_code == 303

    db.refresh(user)
    assert user.role == Role.caseworker
    assert ("staff.role_change", "anonymous", {"role": ["finance", "caseworker"]}) in audit_rows(
        db, "staff."
    )


@pytest.mark.parametrize(
    ("account", "code", "words"),
    [
        ("piet", "sso_no_role", "U heeft geen rol in Almerepas."),
        ("fien", "sso_several_roles", "U staat in meer dan één groep van Almerepas."),
    ],
)
def test_a_colleague_without_one_mapped_role_is_refused(
    make_sso_app: MakeSsoApp,
    oidc_provider: OidcProvider,
    db: Session,
    frozen_clock: FrozenClock,
    account: str,
    code: str,
    words: str,
) -> None:
    app = make_sso_app(oidc_provider.issuer)
    client = browser(app)

    refused = sso_login(client, oidc_provider, START, account)

    assert refused.status_code == 403
    html = page(refused)
    assert words in html and code in html
    assert client.get("/medewerkers").status_code == 303  # not logged in
    assert db.scalar(select(StaffUser.id)) is None  # no account made
    assert audit_rows(db, "staff.") == [("staff.sso_refused", "anonymous", {"reason": code})]


def test_an_account_an_administrator_turned_off_stays_off(
    make_sso_app: MakeSsoApp, oidc_provider: OidcProvider, db: Session, frozen_clock: FrozenClock
) -> None:
    app = make_sso_app(oidc_provider.issuer)
    user, _password, _secret = make_staff(db, Role.caseworker, app=app)
    user.sso_subject, user.active = "jan", False
    db.commit()

    refused = sso_login(browser(app), oidc_provider, START, "jan")

    assert refused.status_code == 403
    assert "Uw account in Almerepas staat uit." in page(refused)
    db.refresh(user)
    assert user.active is False
    assert audit_rows(db, "staff.")[-1] == (
        "staff.sso_refused",
        "anonymous",
        {"reason": "sso_account_disabled"},
    )


def test_with_the_password_login_off_only_the_gemeente_login_remains(
    make_sso_app: MakeSsoApp, oidc_provider: OidcProvider, db: Session, frozen_clock: FrozenClock
) -> None:
    # No CSRF check here: the login page has no form to take a token from any more, and the
    # refusal under test must be the switch's, not the CSRF check's.
    app = make_sso_app(oidc_provider.issuer, LOCAL_STAFF_LOGIN=False, WTF_CSRF_ENABLED=False)
    _user, password, secret = make_staff(db, Role.caseworker, app=app, username="lokaal")
    db.commit()
    client = browser(app)

    login_page = page(client.get("/inloggen"))
    assert "Inloggen via de gemeente" in login_page and 'name="password"' not in login_page
    api = app.test_client().post(
        "/api/v1/tokens",
        json={"username": "lokaal", "password": password, "totp_code": totp_now(secret)},
    )
    assert api.status_code == 403 and api.get_json()["code"] == "local_login_disabled"
    with app.app_context():
        form = client.post(
            "/inloggen",
            data={"username": "lokaal", "password": password, "code": totp_now(secret)},
        )
    assert form.status_code == 403
    assert "Inloggen met een wachtwoord staat uit." in page(form)
    assert client.get("/medewerkers").status_code == 303

    assert sso_login(client, oidc_provider, START, "jan").status_code == 303
    assert client.get("/medewerkers").status_code == 200


def test_an_account_made_by_single_sign_on_has_no_password_login(
    make_sso_app: MakeSsoApp, oidc_provider: OidcProvider, db: Session, frozen_clock: FrozenClock
) -> None:
    app = make_sso_app(oidc_provider.issuer)
    sso_login(browser(app), oidc_provider, START, "jan")

    answer = app.test_client().post(
        "/api/v1/tokens", json={"username": "j.jansen", "password": "!sso", "totp_code": "000000"}
    )
    assert answer.status_code == 401 and answer.get_json()["code"] == "unauthorized"


def test_the_switch_cannot_lock_everyone_out(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ALMEREPAS_STAFF_OIDC_ISSUER"):
        load_config(tmp_path, {"ALMEREPAS_LOCAL_STAFF_LOGIN": "off"})


def test_a_role_map_with_a_role_we_do_not_have_stops_the_start(
    make_sso_app: MakeSsoApp, oidc_provider: OidcProvider
) -> None:
    with pytest.raises(ConfigError, match="ROLE_MAP"):
        make_sso_app(oidc_provider.issuer, STAFF_OIDC_ROLE_MAP="GG-Almerepas=superuser")
