"""The account pages for administrators: the list, a new account, and each change asked first,
posted with CSRF, refused for one's own account and written to the audit log."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.core import clock
from almerepas.models import AuditEvent, Role, StaffUser
from almerepas.staff.accounts import LOCKOUT
from almerepas.staff.tokens import issue_token, user_for_token
from tests.factories import make_staff
from tests.web.conftest import SignIn, location, main_of, page, submit

LIST = "/medewerkers/beheer/accounts"


@pytest.fixture
def boss(sign_in: SignIn) -> FlaskClient:
    return sign_in(Role.administrator)


def newest_admin(db: Session) -> StaffUser:
    query = select(StaffUser).where(StaffUser.role == Role.administrator)
    return db.scalars(query.order_by(StaffUser.id.desc()).limit(1)).one()


def audited(db: Session, user: StaffUser) -> list[str]:
    query = select(AuditEvent.action).where(
        AuditEvent.entity_type == "staff_user", AuditEvent.entity_id == str(user.id)
    )
    return list(db.scalars(query.order_by(AuditEvent.id)))


def test_only_administrators_see_the_pages(sign_in: SignIn) -> None:
    assert sign_in(Role.auditor).get(LIST).status_code == 403


def test_the_list_and_a_new_account_with_its_secrets_shown_once(
    boss: FlaskClient, reference: Session
) -> None:
    assert "Accounts van medewerkers" in page(boss.get(LIST))
    assert page(boss.get(f"{LIST}/nieuw"))
    refused = submit(boss, f"{LIST}/nieuw", {"username": "", "display_name": "X", "role": ""})
    assert refused.status_code == 400
    made = submit(
        boss,
        f"{LIST}/nieuw",
        {"username": "w.web", "display_name": "Wim Web", "role": "finance", "email": ""},
    )
    html = page(made)
    assert made.status_code == 200 and "Alleen nu te zien" in html
    assert made.headers["Cache-Control"] == "no-store"
    assert re.search(r"otpauth://totp/", html)
    user = reference.scalars(select(StaffUser).where(StaffUser.username == "w.web")).one()
    assert user.role is Role.finance
    assert "w.web" in page(boss.get(LIST))


def test_each_action_is_asked_first_then_done_and_audited(
    boss: FlaskClient, reference: Session
) -> None:
    user, _pw, _secret = make_staff(reference, Role.caseworker)
    token = issue_token(reference, user)
    account = f"{LIST}/{user.id}"

    question = page(boss.get(f"{account}/uitzetten"))
    assert "Account uitzetten?" in question and 'name="csrf_token"' in question
    assert boss.post(f"{account}/uitzetten").status_code == 400  # no CSRF token, no change
    assert user.active
    assert location(submit(boss, f"{account}/uitzetten", {})).endswith(account)
    reference.expire_all()  # the page wrote through its own session
    assert not user.active and user_for_token(reference, token) is None
    location(submit(boss, f"{account}/aanzetten", {}))
    location(submit(boss, f"{account}/rol", {"role": "policy"}))
    reference.expire_all()
    assert user.role is Role.policy

    user.locked_until = clock.now() + LOCKOUT
    reference.flush()
    assert "Blokkade opheffen" in main_of(page(boss.get(account)))
    location(submit(boss, f"{account}/deblokkeren", {}))
    reference.expire_all()
    assert user.locked_until is None
    reset = submit(boss, f"{account}/tweede-factor", {})
    assert reset.status_code == 200 and "Sleutel" in page(reset)

    assert audited(reference, user)[1:] == [
        "staff.disable",
        "staff.enable",
        "staff.role_change",
        "staff.unlock",
        "staff.second_factor_reset",
    ]


def test_own_role_and_own_account_are_refused_on_the_page(
    boss: FlaskClient, reference: Session
) -> None:
    me = newest_admin(reference)
    refused = submit(boss, f"{LIST}/{me.id}/rol", {"role": "auditor"})
    assert refused.status_code == 409
    assert "eigen rol" in main_of(page(refused))
    off = submit(boss, f"{LIST}/{me.id}/uitzetten", {})
    assert off.status_code == 409 and "eigen account" in main_of(page(off))
    reference.expire_all()
    assert (me.role, me.active) == (Role.administrator, True)
