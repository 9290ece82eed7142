"""Residents log in with DigiD through an OpenID Connect broker (a real oidc-provider on
loopback stands in for it): the BSN in the token finds the person by its keyed hash and opens
the same holder session as the e-mailed code; a BSN nobody in Almere has gets a kind page that
says how to apply; the BSN itself is never stored, logged or shown."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.households.members import set_bsn
from almerepas.models import AuditEvent, HolderSession, Pass, PassStatus
from tests.factories import KEYS
from tests.fixtures import FrozenClock
from tests.holders.helpers import family, member
from tests.oidc.conftest import BSN, UNKNOWN_BSN, MakeSsoApp, OidcProvider
from tests.oidc.helpers import audit_rows, browser, sso_login
from tests.web.conftest import page

START = "/mijn/inloggen/digid"


def test_a_resident_logs_in_with_digid_and_sees_her_pass(
    make_sso_app: MakeSsoApp,
    oidc_provider: OidcProvider,
    reference: Session,
    frozen_clock: FrozenClock,
) -> None:
    db = reference
    mother = member(family(db), 0)
    set_bsn(db, mother, BSN, keys=KEYS)
    db.add(
        Pass(
            number="100000000001",
            person_id=mother.id,
            status=PassStatus.active,
            generation=1,
            valid_from=dt.date(2026, 1, 1),
            valid_until=dt.date(2026, 12, 31),
        )
    )
    db.commit()
    app = make_sso_app(oidc_provider.issuer)
    client = browser(app)
    assert "Inloggen met DigiD" in page(client.get("/mijn/inloggen"))

    done = sso_login(client, oidc_provider, START, "inwoner")

    assert done.status_code == 303 and done.headers["Location"] == "/mijn"
    overview = page(client.get("/mijn"))
    assert "Welkom, Fatima." in overview and "/mijn/passen/100000000001" in overview
    assert db.scalar(select(HolderSession.person_id)) == mother.id
    assert audit_rows(db, "holder.") == [
        ("holder.login", f"holder:{mother.id}", {"method": "digid"})
    ]
    everything = [str(row) for row in db.execute(select(AuditEvent)).scalars()]
    assert not any(BSN in row for row in everything)


def test_someone_without_a_pass_gets_a_kind_page_that_says_how_to_apply(
    make_sso_app: MakeSsoApp,
    oidc_provider: OidcProvider,
    reference: Session,
    frozen_clock: FrozenClock,
) -> None:
    db = reference
    set_bsn(db, member(family(db), 0), BSN, keys=KEYS)  # someone else has a pass
    db.commit()
    app = make_sso_app(oidc_provider.issuer)
    client = browser(app)

    answer = sso_login(client, oidc_provider, START, "nieuwkomer")

    assert answer.status_code == 404
    html = page(answer)
    assert "Wij hebben geen Almerepas voor u gevonden" in html
    assert 'href="/aanvragen"' in html and "14 036" in html
    assert UNKNOWN_BSN not in html
    assert client.get("/mijn").status_code == 303  # not logged in
    assert db.scalar(select(HolderSession.id)) is None
    assert audit_rows(db, "holder.") == [
        ("holder.sso_refused", "anonymous", {"reason": "no_pass_for_bsn"})
    ]
