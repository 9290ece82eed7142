"""Managing staff accounts in the domain: the refusals that keep the gemeente in control, and
what disabling, a new second factor and unlocking do to logging in."""

from __future__ import annotations

import pyotp
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.audit.log import Actor
from almerepas.models import AuditEvent, Role, StaffUser
from almerepas.staff import admin
from almerepas.staff.accounts import MAX_FAILURES, authenticate
from almerepas.staff.errors import (
    AccountLocked,
    LastAdministrator,
    LoginFailed,
    OwnAccountDisable,
    OwnRoleChange,
)
from almerepas.staff.tokens import issue_token, user_for_token
from tests.factories import KEYS, STAFF_PASSWORD, make_staff
from tests.fixtures import FrozenClock

pytestmark = pytest.mark.usefixtures("app_context")
ADMIN = Actor("staff:beheer", "administrator")


def login(db: Session, user: StaffUser, secret: str, clock: FrozenClock) -> StaffUser:
    """Log in with the code of the next 30 seconds (each code works once)."""
    clock.advance(seconds=30)
    code = pyotp.TOTP(secret).at(clock.moment)
    return authenticate(
        db, username=user.username, password=STAFF_PASSWORD, totp_code=code, keys=KEYS
    )


def audit_rows(db: Session, user: StaffUser) -> list[tuple[str, str]]:
    query = select(AuditEvent.action, AuditEvent.actor).where(
        AuditEvent.entity_type == "staff_user",
        AuditEvent.entity_id == str(user.id),
        AuditEvent.action.not_in(["staff.create", "staff.login", "staff.login_failed"]),
    )
    return [(a, b) for a, b in db.execute(query.order_by(AuditEvent.id))]


def test_nobody_changes_their_own_role_or_disables_themselves(db: Session) -> None:
    boss, _pw, _secret = make_staff(db, Role.administrator)
    with pytest.raises(OwnRoleChange):
        admin.change_role(db, boss, Role.auditor, by=boss, actor=ADMIN)
    with pytest.raises(OwnAccountDisable):
        admin.disable_staff_user(db, boss, by=boss, actor=ADMIN)
    assert (boss.role, boss.active) == (Role.administrator, True)


def test_the_last_active_administrator_keeps_the_role_and_stays_on(db: Session) -> None:
    for other in db.scalars(select(StaffUser).where(StaffUser.role == Role.administrator)):
        other.active = False  # whatever another fixture made
    last, _pw, _secret = make_staff(db, Role.administrator)
    with pytest.raises(LastAdministrator):
        admin.change_role(db, last, Role.caseworker, by=None, actor=ADMIN)
    with pytest.raises(LastAdministrator):
        admin.disable_staff_user(db, last, by=None, actor=ADMIN)

    second, _pw, _secret = make_staff(db, Role.administrator)
    admin.change_role(db, last, Role.caseworker, by=second, actor=ADMIN)
    assert last.role is Role.caseworker
    with pytest.raises(LastAdministrator):
        admin.disable_staff_user(db, second, by=None, actor=ADMIN)


def test_a_disabled_account_cannot_log_in_or_use_its_token_until_enabled(
    db: Session, frozen_clock: FrozenClock
) -> None:
    user, _pw, secret = make_staff(db, Role.finance)
    token = issue_token(db, user)
    admin.disable_staff_user(db, user, by=None, actor=ADMIN)
    assert user_for_token(db, token) is None
    with pytest.raises(LoginFailed):
        login(db, user, secret, frozen_clock)

    admin.enable_staff_user(db, user, actor=ADMIN)
    assert user_for_token(db, token) is None  # the old session stays ended
    assert login(db, user, secret, frozen_clock).id == user.id
    disabled = db.scalars(select(AuditEvent).where(AuditEvent.action == "staff.disable")).one()
    assert disabled.changes == {"active": [True, False], "tokens_ended": 1}
    assert audit_rows(db, user) == [
        ("staff.disable", "staff:beheer"),
        ("staff.enable", "staff:beheer"),
    ]


def test_unlock_lets_a_locked_account_log_in_at_once(
    db: Session, frozen_clock: FrozenClock
) -> None:
    user, _pw, secret = make_staff(db, Role.caseworker)
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(LoginFailed):
            authenticate(db, username=user.username, password="fout", totp_code="000000", keys=KEYS)
    with pytest.raises(AccountLocked):
        authenticate(db, username=user.username, password="fout", totp_code="000000", keys=KEYS)
    with pytest.raises(AccountLocked):
        login(db, user, secret, frozen_clock)

    admin.unlock_staff_user(db, user, actor=ADMIN)
    assert login(db, user, secret, frozen_clock).id == user.id
    assert audit_rows(db, user)[-1] == ("staff.unlock", "staff:beheer")


def test_a_new_second_factor_makes_the_old_app_useless(
    db: Session, frozen_clock: FrozenClock
) -> None:
    user, _pw, old_secret = make_staff(db, Role.policy)
    token = issue_token(db, user)
    new_secret = admin.reset_second_factor(db, user, keys=KEYS, actor=ADMIN)
    assert new_secret != old_secret
    assert user_for_token(db, token) is None
    with pytest.raises(LoginFailed):
        login(db, user, old_secret, frozen_clock)
    assert login(db, user, new_secret, frozen_clock).id == user.id
    event = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "staff.second_factor_reset")
    ).one()
    assert event.entity_id == str(user.id) and event.changes is None
