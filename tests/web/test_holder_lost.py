"""A parent reports a child's pass lost: it stops at once, a new pass follows, and nothing
happens before the confirmation; a pass the holder may not see cannot be reported."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.models import AuditEvent, Pass, PassStatus
from almerepas.passes import credentials
from almerepas.passes import operations as passes
from almerepas.passes.credential_errors import CredentialRefused
from almerepas.passes.verify import verify_code
from tests.factories import KEYS, TEST_ACTOR
from tests.fixtures import FrozenClock
from tests.holders.helpers import family, member
from tests.web.conftest import page
from tests.web.test_holder_pages import post_form, signed_in


def test_a_parent_reports_the_childs_pass_lost_and_gets_a_new_one(
    app: Flask, keyed: Session, frozen_clock: FrozenClock
) -> None:
    db = keyed
    household = family(db)
    mother, child = member(household, 0), member(household, 2)
    old = passes.issue_pass(db, child, actor=TEST_ACTOR, now=frozen_clock.now())
    code = credentials.issue_card_credential(db, old, keys=KEYS, now=frozen_clock.now())
    db.commit()
    client = signed_in(app, db, mother)
    url = f"/mijn/passen/{old.number}/kwijt"

    asked = post_form(client, url, "/mijn", {})
    assert asked.status_code == 200
    assert "werkt deze pas meteen niet meer" in page(asked)
    db.refresh(old)
    assert old.status == PassStatus.active  # only shown, nothing done

    no_reason = post_form(client, url, "/mijn", {"bevestigd": "ja"})
    assert no_reason.status_code == 400
    assert 'href="#reason-lost"' in page(no_reason)

    done = post_form(client, url, "/mijn", {"bevestigd": "ja", "reason": "lost"})
    assert done.status_code == 303
    db.expire_all()
    assert db.get(Pass, old.id).status == PassStatus.blocked
    (new,) = db.scalars(select(Pass).where(Pass.replaces_id == old.id))
    assert new.status == PassStatus.active and new.generation == 2
    assert new.number in page(client.get("/mijn"))
    with pytest.raises(CredentialRefused):
        verify_code(db, code, now=frozen_clock.now(), keys=KEYS)
    rows = db.scalars(
        select(AuditEvent).where(AuditEvent.action.in_(["pass.block", "pass.reissue"]))
    ).all()
    assert [(r.action, r.actor) for r in rows] == [
        ("pass.block", f"holder:{mother.id}"),
        ("pass.reissue", f"holder:{mother.id}"),
    ]


def test_a_child_cannot_report_her_mothers_pass(
    app: Flask, keyed: Session, frozen_clock: FrozenClock
) -> None:
    db = keyed
    household = family(db)
    mother, child = member(household, 0), member(household, 2)
    theirs = passes.issue_pass(db, mother, actor=TEST_ACTOR, now=frozen_clock.now())
    db.commit()
    client = signed_in(app, db, child)
    refused = post_form(
        client,
        f"/mijn/passen/{theirs.number}/kwijt",
        "/mijn",
        {"bevestigd": "ja", "reason": "lost"},
    )
    assert refused.status_code == 404
    db.refresh(theirs)
    assert theirs.status == PassStatus.active
