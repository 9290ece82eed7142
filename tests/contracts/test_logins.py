"""Partner users log in by the staff login rules; their tokens and paired browsers end when
they should. The domain alone: no app, no request."""

from __future__ import annotations

import pyotp
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.audit.log import Actor
from almerepas.contracts import devices, logins, partners
from almerepas.contracts.errors import DeviceRevoked, DeviceUnknown
from almerepas.contracts.models import DeviceSession, Partner, PartnerUser, PartnerUserToken
from almerepas.models import AuditEvent
from almerepas.staff.errors import AccountLocked, LoginFailed
from almerepas.staff.login_rules import LOCKOUT, MAX_FAILURES
from tests.factories import (
    KEYS,
    TEST_ACTOR,
    make_device,
    make_location,
    make_partner,
    make_partner_user,
)
from tests.fixtures import FrozenClock

ORIGIN = Actor("anonymous", request_id="req-1")


def log_in(
    session: Session, clock: FrozenClock, username: str, password: str, code: str | None = None
) -> PartnerUser:
    return logins.authenticate_partner_user(
        session,
        username=username,
        password=password,
        totp_code=code,
        now=clock.moment,
        keys=KEYS,
        origin=ORIGIN,
    )


def code_at(secret: str | None, clock: FrozenClock, steps: int = 0) -> str:
    assert secret is not None
    return pyotp.TOTP(secret).at(clock.moment, counter_offset=steps)


def audit_rows(session: Session) -> list[tuple[str, str, str | None]]:
    """(action, actor, entity id) of the login rows, oldest first."""
    rows = session.execute(
        select(AuditEvent.action, AuditEvent.actor, AuditEvent.entity_id)
        .where(AuditEvent.action.not_in(["partner.create", "partner.user_create"]))
        .where(AuditEvent.action.not_like("partner.location%"))
        .where(AuditEvent.action != "device.create")
        .order_by(AuditEvent.id)
    )
    return [(row.action, row.actor, row.entity_id) for row in rows]


@pytest.fixture
def partner(db: Session) -> Partner:
    return make_partner(db)


def test_a_cashier_without_a_second_factor_logs_in_with_the_password(
    db: Session, partner: Partner, frozen_clock: FrozenClock
) -> None:
    user, password, secret = make_partner_user(db, partner, "cashier", username="kassa.piet")
    assert secret is None
    assert log_in(db, frozen_clock, " Kassa.Piet ", password) is user
    assert user.last_login_at == frozen_clock.moment
    assert audit_rows(db) == [("partner.user_login", "partner:kassa.piet", str(user.id))]
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "partner.user_login")).one()
    assert (event.role, event.request_id) == ("cashier", "req-1")


def test_a_manager_needs_the_code_and_each_code_works_once(
    db: Session, partner: Partner, frozen_clock: FrozenClock
) -> None:
    user, password, secret = make_partner_user(db, partner, "manager")
    with pytest.raises(LoginFailed):
        log_in(db, frozen_clock, user.username, password)  # no code
    with pytest.raises(LoginFailed):
        log_in(db, frozen_clock, user.username, password, code_at(secret, frozen_clock, 3))
    assert log_in(db, frozen_clock, user.username, password, code_at(secret, frozen_clock)) is user
    with pytest.raises(LoginFailed):  # the same code again: replayed
        log_in(db, frozen_clock, user.username, password, code_at(secret, frozen_clock))
    assert [row[0] for row in audit_rows(db)] == [
        "partner.user_login_failed",
        "partner.user_login_failed",
        "partner.user_login",
        "partner.user_login_failed",
    ]


def test_a_cashier_with_a_second_factor_needs_the_code_too(
    db: Session, partner: Partner, frozen_clock: FrozenClock
) -> None:
    user, password, secret = make_partner_user(db, partner, "cashier", second_factor=True)
    with pytest.raises(LoginFailed):
        log_in(db, frozen_clock, user.username, password)
    assert log_in(db, frozen_clock, user.username, password, code_at(secret, frozen_clock)) is user


def test_unknown_user_wrong_password_and_stopped_partner_get_the_same_refusal(
    db: Session, partner: Partner, frozen_clock: FrozenClock
) -> None:
    user, password, _secret = make_partner_user(db, partner)
    refusals = []
    for username, attempt in [("niemand", password), (user.username, "wrong password!")]:
        with pytest.raises(LoginFailed) as refused:
            log_in(db, frozen_clock, username, attempt)
        refusals.append((refused.value.code, refused.value.title, refused.value.status))
    partners.deactivate_partner(db, partner, actor=TEST_ACTOR)
    with pytest.raises(LoginFailed) as refused:
        log_in(db, frozen_clock, user.username, password)
    refusals.append((refused.value.code, refused.value.title, refused.value.status))
    assert len(set(refusals)) == 1
    assert refusals[0][:1] == ("unauthorized",)


def test_a_deactivated_user_cannot_log_in(
    db: Session, partner: Partner, frozen_clock: FrozenClock
) -> None:
    user, password, _secret = make_partner_user(db, partner)
    user.active = False
    db.flush()
    with pytest.raises(LoginFailed):
        log_in(db, frozen_clock, user.username, password)


def test_five_failures_lock_the_account_for_15_minutes(
    db: Session, partner: Partner, frozen_clock: FrozenClock
) -> None:
    user, password, _secret = make_partner_user(db, partner)
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(LoginFailed):
            log_in(db, frozen_clock, user.username, "wrong password!")
    with pytest.raises(AccountLocked) as locked:
        log_in(db, frozen_clock, user.username, "wrong password!")
    assert locked.value.retry_after == LOCKOUT.total_seconds()
    frozen_clock.advance(minutes=14)
    with pytest.raises(AccountLocked):  # even the right password, while locked
        log_in(db, frozen_clock, user.username, password)
    frozen_clock.advance(minutes=1, seconds=1)
    assert log_in(db, frozen_clock, user.username, password) is user
    assert [row[0] for row in audit_rows(db)] == [
        *["partner.user_login_failed"] * (MAX_FAILURES - 1),
        "partner.user_lock",
        "partner.user_login",
    ]


def test_a_token_works_for_8_hours_until_logout(
    db: Session, partner: Partner, frozen_clock: FrozenClock
) -> None:
    user, _password, _secret = make_partner_user(db, partner)
    issued = logins.issue_token(db, user, now=frozen_clock.moment)
    assert issued.token.startswith("almpu_")
    stored = db.scalars(select(PartnerUserToken.token_hash)).one()
    assert issued.token not in stored  # only a hash is kept
    assert logins.user_for_token(db, issued.token, frozen_clock.moment) is user
    later = frozen_clock.moment + logins.TOKEN_LIFETIME
    assert logins.user_for_token(db, issued.token, later) is None

    assert logins.log_out(db, issued.token, now=frozen_clock.moment, actor=TEST_ACTOR)
    assert logins.user_for_token(db, issued.token, frozen_clock.moment) is None
    assert not logins.log_out(db, issued.token, now=frozen_clock.moment, actor=TEST_ACTOR)
    assert audit_rows(db) == [("partner.user_logout", "test", str(user.id))]


def test_a_device_key_is_no_user_token(db: Session, partner: Partner) -> None:
    location = make_location(db, partner)
    _device, key = make_device(db, partner, location)
    assert logins.user_for_token(db, key, partner.created_at) is None


def test_tokens_stop_working_when_the_user_or_the_partner_stops(
    db: Session, partner: Partner, frozen_clock: FrozenClock
) -> None:
    user, _password, _secret = make_partner_user(db, partner)
    token = logins.issue_token(db, user, now=frozen_clock.moment).token
    user.active = False
    db.flush()
    assert logins.user_for_token(db, token, frozen_clock.moment) is None
    user.active = True
    partners.deactivate_partner(db, partner, actor=TEST_ACTOR)
    assert logins.user_for_token(db, token, frozen_clock.moment) is None


def test_a_paired_browser_works_as_the_device_until_unpaired_or_revoked(
    db: Session, partner: Partner, frozen_clock: FrozenClock
) -> None:
    location = make_location(db, partner)
    device, key = make_device(db, partner, location)
    paired, token = logins.pair_device(
        db, f" {key} ", now=frozen_clock.moment, keys=KEYS, origin=ORIGIN
    )
    assert paired is device
    stored = db.scalars(select(DeviceSession.token_hash)).one()
    assert key not in stored and token not in stored
    assert logins.device_for_session(db, token, frozen_clock.moment) is device
    assert logins.device_for_session(db, key, frozen_clock.moment) is None  # the key is no token

    assert logins.unpair_device(db, token, now=frozen_clock.moment, actor=TEST_ACTOR)
    assert logins.device_for_session(db, token, frozen_clock.moment) is None

    _device, token = logins.pair_device(db, key, now=frozen_clock.moment, keys=KEYS, origin=ORIGIN)
    devices.revoke_device(db, device, actor=TEST_ACTOR)
    assert logins.device_for_session(db, token, frozen_clock.moment) is None
    with pytest.raises(DeviceRevoked):
        logins.pair_device(db, key, now=frozen_clock.moment, keys=KEYS, origin=ORIGIN)
    with pytest.raises(DeviceUnknown):
        logins.pair_device(db, key + "x", now=frozen_clock.moment, keys=KEYS, origin=ORIGIN)
    assert [row[:2] for row in audit_rows(db)] == [
        ("device.pair", f"device:{device.id}"),
        ("device.unpair", "test"),
        ("device.pair", f"device:{device.id}"),
        ("device.revoke", "test"),
    ]


def test_a_pairing_ends_after_12_hours(
    db: Session, partner: Partner, frozen_clock: FrozenClock
) -> None:
    device, key = make_device(db, partner, make_location(db, partner))
    _device, token = logins.pair_device(db, key, now=frozen_clock.moment, keys=KEYS, origin=ORIGIN)
    almost = frozen_clock.moment + logins.DEVICE_SESSION_LIFETIME - LOCKOUT
    assert logins.device_for_session(db, token, almost) is device
    ended = frozen_clock.moment + logins.DEVICE_SESSION_LIFETIME
    assert logins.device_for_session(db, token, ended) is None
