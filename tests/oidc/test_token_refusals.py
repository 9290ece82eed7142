"""ID tokens a real provider does not make, each refused with its own code and audited: a
wrong audience, a wrong nonce, expired, signed with a key the provider does not publish, a
forged signature, another issuer, an answer to a login this browser never started, and a login
without the multi-factor level (acr) the configuration asks for.

A loopback fake provider (tests/oidc/conftest.py) serves the discovery document, its JWKS and
a token endpoint that answers with the token the test signed; the app goes through the same
Authlib client and callback as with the real provider (test_staff_sso.py). Times are the frozen
clock's, so the expiry check does not depend on today's date.
"""

from __future__ import annotations

from typing import Any

import pytest
from joserfc.jwk import RSAKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.households.members import set_bsn
from almerepas.models import StaffUser
from tests.factories import KEYS
from tests.fixtures import FrozenClock
from tests.holders.helpers import family, member
from tests.oidc.conftest import BSN, RESIDENT_CLIENT, STAFF_CLIENT, FakeProvider, MakeSsoApp
from tests.oidc.helpers import audit_rows, browser, claims_for, go_to_provider, query, signed
from tests.web.conftest import page

STRANGER = RSAKey.generate_key(2048, parameters={"kid": "stranger"})
#: An acr value the gemeente's provider gives a login with a second factor.
MFA = "urn:almere:mfa"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"aud": "een-andere-app"}, "sso_wrong_audience"),
        ({"aud": [STAFF_CLIENT[0], "een-andere-app"]}, "sso_wrong_audience"),  # no azp
        ({"nonce": "niet-de-goede"}, "sso_wrong_nonce"),
        ({"exp": -600}, "sso_token_expired"),
        ({"iss": "https://idp.elders.example"}, "sso_wrong_issuer"),
        ({"key": "unknown"}, "sso_unknown_key"),
        ({"key": "forged"}, "sso_bad_signature"),
        ({}, None),  # the same token untouched logs in: the refusals above are the changes
    ],
)
def test_a_bad_id_token_is_refused_with_its_code_and_audited(
    make_sso_app: MakeSsoApp,
    fake_provider: FakeProvider,
    db: Session,
    frozen_clock: FrozenClock,
    change: dict[str, Any],
    code: str | None,
) -> None:
    app = make_sso_app(fake_provider.issuer)
    client = browser(app)
    asked = query(go_to_provider(client, "/inloggen/gemeente"))
    claims = claims_for(fake_provider, asked["nonce"], frozen_clock.now())
    key, kid = fake_provider.key, None
    for name, value in change.items():
        if name == "exp":
            claims["exp"] = int(frozen_clock.now().timestamp()) + value
        elif name == "key":
            # unknown: a key the provider never published; forged: another key, the same kid
            key, kid = STRANGER, ("stranger" if value == "unknown" else str(fake_provider.key.kid))
        else:
            claims[name] = value
    fake_provider.id_token = signed(key, claims, kid)

    answer = client.get(f"/inloggen/gemeente/terug?code=de-code&state={asked['state']}")

    assert "code_verifier=" in fake_provider.token_requests[-1]  # PKCE
    if code is None:
        assert answer.status_code == 303 and answer.headers["Location"] == "/medewerkers"
        account = db.execute(select(StaffUser.sso_issuer, StaffUser.sso_subject)).one()
        assert tuple(account) == (fake_provider.issuer, "jan")
        return
    assert answer.status_code == 401
    html = page(answer)
    assert "Inloggen is niet gelukt." in html and code in html
    assert client.get("/medewerkers").status_code == 303
    assert db.scalar(select(StaffUser.id)) is None
    assert audit_rows(db, "staff.") == [("staff.sso_refused", "anonymous", {"reason": code})]


def test_an_answer_to_a_login_this_browser_never_started_is_refused(
    make_sso_app: MakeSsoApp, fake_provider: FakeProvider, db: Session, frozen_clock: FrozenClock
) -> None:
    app = make_sso_app(fake_provider.issuer)
    victim, attacker = browser(app), browser(app)
    asked = query(go_to_provider(attacker, "/inloggen/gemeente"))
    fake_provider.id_token = signed(
        fake_provider.key, claims_for(fake_provider, asked["nonce"], frozen_clock.now())
    )

    answer = victim.get(f"/inloggen/gemeente/terug?code=de-code&state={asked['state']}")

    assert answer.status_code == 401 and "sso_state_invalid" in page(answer)
    assert fake_provider.token_requests == []  # the code was never exchanged
    # Only a browser's newest login may come back: an older one started there is refused too.
    older = query(go_to_provider(attacker, "/inloggen/gemeente"))
    go_to_provider(attacker, "/inloggen/gemeente")
    answer = attacker.get(f"/inloggen/gemeente/terug?code=de-code&state={older['state']}")
    assert answer.status_code == 401 and "sso_state_invalid" in page(answer)
    assert (
        audit_rows(db, "staff.")
        == [("staff.sso_refused", "anonymous", {"reason": "sso_state_invalid"})] * 2
    )


def test_a_login_left_open_longer_than_ten_minutes_is_refused(
    make_sso_app: MakeSsoApp, fake_provider: FakeProvider, db: Session, frozen_clock: FrozenClock
) -> None:
    """A provider's answer that comes back after the login's ten minutes (a tab left open, a
    state someone kept) exchanges no code; within them it logs in."""
    app = make_sso_app(fake_provider.issuer)
    late, in_time = browser(app), browser(app)
    asked = query(go_to_provider(late, "/inloggen/gemeente"))
    frozen_clock.advance(minutes=10, seconds=1)
    fake_provider.id_token = signed(
        fake_provider.key, claims_for(fake_provider, asked["nonce"], frozen_clock.now())
    )
    answer = late.get(f"/inloggen/gemeente/terug?code=de-code&state={asked['state']}")
    assert answer.status_code == 401 and "sso_state_invalid" in page(answer)
    assert fake_provider.token_requests == []

    asked = query(go_to_provider(in_time, "/inloggen/gemeente"))
    frozen_clock.advance(minutes=9, seconds=59)
    fake_provider.id_token = signed(
        fake_provider.key, claims_for(fake_provider, asked["nonce"], frozen_clock.now())
    )
    answer = in_time.get(f"/inloggen/gemeente/terug?code=de-code&state={asked['state']}")
    assert answer.status_code == 303 and answer.headers["Location"] == "/medewerkers"


def test_a_residents_token_for_another_app_is_refused_and_audited_without_the_bsn(
    make_sso_app: MakeSsoApp,
    fake_provider: FakeProvider,
    reference: Session,
    frozen_clock: FrozenClock,
) -> None:
    db = reference
    set_bsn(db, member(family(db), 0), BSN, keys=KEYS)
    db.commit()
    app = make_sso_app(fake_provider.issuer)
    client = browser(app)
    asked = query(go_to_provider(client, "/mijn/inloggen/digid"))
    claims = claims_for(fake_provider, asked["nonce"], frozen_clock.now(), "een-andere-app")
    fake_provider.id_token = signed(fake_provider.key, claims)

    answer = client.get(f"/mijn/inloggen/digid/terug?code=de-code&state={asked['state']}")

    assert answer.status_code == 401
    html = page(answer)
    assert "sso_wrong_audience" in html and BSN not in html
    assert client.get("/mijn").status_code == 303
    assert audit_rows(db, "holder.") == [
        ("holder.sso_refused", "anonymous", {"reason": "sso_wrong_audience"})
    ]
    # The right audience logs her in: the refusal above was the audience.
    asked = query(go_to_provider(client, "/mijn/inloggen/digid"))
    claims = claims_for(fake_provider, asked["nonce"], frozen_clock.now(), RESIDENT_CLIENT[0])
    fake_provider.id_token = signed(fake_provider.key, claims)
    answer = client.get(f"/mijn/inloggen/digid/terug?code=de-code&state={asked['state']}")
    assert answer.status_code == 303 and answer.headers["Location"] == "/mijn"


@pytest.mark.parametrize(("acr", "status"), [(None, 401), ("urn:almere:laag", 401), (MFA, 303)])
def test_with_accepted_acr_values_a_login_without_them_is_refused(
    make_sso_app: MakeSsoApp,
    fake_provider: FakeProvider,
    db: Session,
    frozen_clock: FrozenClock,
    acr: str | None,
    status: int,
) -> None:
    app = make_sso_app(fake_provider.issuer, STAFF_OIDC_ACR_VALUES=[MFA, "urn:almere:hoog"])
    client = browser(app)
    asked = query(go_to_provider(client, "/inloggen/gemeente"))
    assert asked["acr_values"] == f"{MFA} urn:almere:hoog"  # asked of the provider, too
    claims = claims_for(fake_provider, asked["nonce"], frozen_clock.now())
    if acr is not None:
        claims["acr"] = acr
    fake_provider.id_token = signed(fake_provider.key, claims)

    answer = client.get(f"/inloggen/gemeente/terug?code=de-code&state={asked['state']}")

    assert answer.status_code == status
    if status == 401:
        assert "sso_acr_too_low" in page(answer)
        assert audit_rows(db, "staff.") == [
            ("staff.sso_refused", "anonymous", {"reason": "sso_acr_too_low"})
        ]
