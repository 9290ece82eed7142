"""Passwords (argon2id), TOTP with replay protection, lock-out, and bearer tokens, in the domain."""

from __future__ import annotations

from pathlib import Path

import pyotp
import pytest
from argon2 import Type
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from almerepas.config import load_config
from almerepas.core.crypto import hasher_for
from almerepas.models import ApiToken, AuditEvent, Role, StaffUser
from almerepas.staff.accounts import (
    LOCKOUT,
    MAX_FAILURES,
    authenticate,
    create_staff_user,
)
from almerepas.staff.errors import (
    AccountLocked,
    InvalidStaffUser,
    LoginFailed,
    UsernameTaken,
    WeakPassword,
)
from almerepas.staff.tokens import issue_token, revoke_token, user_for_token
from tests.factories import KEYS, TEST_ACTOR, make_staff
from tests.fixtures import FrozenClock

pytestmark = pytest.mark.usefixtures("app_context")


def code_at(secret: str, clock: FrozenClock, steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(clock.moment, counter_offset=steps)


def login(db: Session, user: StaffUser, password: str, code: str) -> StaffUser:
    return authenticate(db, username=user.username, password=password, totp_code=code, keys=KEYS)


def test_password_is_an_argon2id_hash_and_only_the_right_one_works(
    db: Session, frozen_clock: FrozenClock
) -> None:
    user, password, secret = make_staff(db, Role.caseworker)
    assert user.password_hash.startswith("$argon2id$")
    assert password not in user.password_hash

    with pytest.raises(LoginFailed):
        login(db, user, password + "x", code_at(secret, frozen_clock))
    assert login(db, user, password, code_at(secret, frozen_clock)).id == user.id


def test_totp_secret_is_encrypted_at_rest(db: Session) -> None:
    user, _password, secret = make_staff(db, Role.finance)
    stored = db.execute(
        text("SELECT totp_secret_encrypted FROM staff_user WHERE id = :id"), {"id": user.id}
    ).scalar_one()
    assert secret.encode() not in bytes(stored)


def test_password_rule_is_at_least_12_characters(db: Session) -> None:
    with pytest.raises(WeakPassword):
        create_staff_user(
            db,
            username="kort",
            display_name="K",
            role=Role.policy,
            password="elf tekens!",
            keys=KEYS,
            actor=TEST_ACTOR,
        )
    user, _secret = create_staff_user(
        db,
        username="lang",
        display_name="L",
        role="policy",
        password="twaalf teken",
        keys=KEYS,
        actor=TEST_ACTOR,
    )
    assert user.role is Role.policy


def test_invalid_accounts_are_refused(db: Session) -> None:
    make_staff(db, Role.auditor, username="dubbel")
    with pytest.raises(UsernameTaken):
        make_staff(db, Role.auditor, username="Dubbel")  # usernames ignore case
    with pytest.raises(InvalidStaffUser):
        make_staff(db, "superuser")
    with pytest.raises(InvalidStaffUser):
        make_staff(db, Role.auditor, username="met spatie")


def test_totp_right_code_works_wrong_and_replayed_codes_do_not(
    db: Session, frozen_clock: FrozenClock
) -> None:
    user, password, secret = make_staff(db, Role.caseworker)
    code = code_at(secret, frozen_clock)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    with pytest.raises(LoginFailed):
        login(db, user, password, wrong)
    login(db, user, password, code)
    with pytest.raises(LoginFailed):
        login(db, user, password, code)  # the same code a second time
    frozen_clock.advance(seconds=30)
    login(db, user, password, code_at(secret, frozen_clock))  # the next code works


def test_totp_accepts_one_step_of_clock_drift_and_no_more(
    db: Session, frozen_clock: FrozenClock
) -> None:
    user, password, secret = make_staff(db, Role.caseworker)
    for steps in (-2, 2):
        with pytest.raises(LoginFailed):
            login(db, user, password, code_at(secret, frozen_clock, steps))
    login(db, user, password, code_at(secret, frozen_clock, -1))
    login(db, user, password, code_at(secret, frozen_clock, 1))
    # A code older than one already used is refused, even inside the window.
    with pytest.raises(LoginFailed):
        login(db, user, password, code_at(secret, frozen_clock, 0))


def test_unknown_user_wrong_password_and_wrong_code_look_the_same(
    db: Session, frozen_clock: FrozenClock
) -> None:
    user, password, secret = make_staff(db, Role.caseworker)
    code = code_at(secret, frozen_clock)
    attempts = [
        ("niemand.bekend", password, code),
        (user.username, "wrong password!", code),
        (user.username, password, "000000" if code != "000000" else "111111"),
    ]
    refusals = []
    for username, attempt_password, attempt_code in attempts:
        with pytest.raises(LoginFailed) as refused:
            authenticate(
                db, username=username, password=attempt_password, totp_code=attempt_code, keys=KEYS
            )
        error = refused.value
        refusals.append((type(error), error.code, error.status, str(error.detail)))
    assert len(set(refusals)) == 1
    assert refusals[0][1:3] == ("unauthorized", 401)


def test_an_inactive_account_cannot_log_in(db: Session, frozen_clock: FrozenClock) -> None:
    user, password, secret = make_staff(db, Role.caseworker)
    user.active = False
    db.flush()
    with pytest.raises(LoginFailed):
        login(db, user, password, code_at(secret, frozen_clock))


def test_five_failures_lock_the_account_for_15_minutes(
    db: Session, frozen_clock: FrozenClock
) -> None:
    user, password, secret = make_staff(db, Role.finance)
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(LoginFailed):
            login(db, user, "wrong password!", code_at(secret, frozen_clock))
    with pytest.raises(AccountLocked) as locked:
        login(db, user, "wrong password!", code_at(secret, frozen_clock))
    assert locked.value.code == "account_locked"
    assert locked.value.retry_after == LOCKOUT.total_seconds() == 15 * 60

    # Locked: even the right password and code are refused, and the code is not used up.
    frozen_clock.advance(minutes=14, seconds=59)
    with pytest.raises(AccountLocked):
        login(db, user, password, code_at(secret, frozen_clock))

    frozen_clock.advance(seconds=2)
    assert login(db, user, password, code_at(secret, frozen_clock)).id == user.id
    actions = db.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.entity_type == "staff_user", AuditEvent.entity_id == str(user.id))
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["staff.create", *["staff.login_failed"] * 4, "staff.lock", "staff.login"]


def test_only_consecutive_failures_count(db: Session, frozen_clock: FrozenClock) -> None:
    user, password, secret = make_staff(db, Role.finance)
    for _round in range(2):
        for _ in range(MAX_FAILURES - 1):
            with pytest.raises(LoginFailed):
                login(db, user, "wrong password!", code_at(secret, frozen_clock))
        login(db, user, password, code_at(secret, frozen_clock))
        frozen_clock.advance(seconds=30)
    assert user.locked_until is None


def test_a_token_works_until_it_expires_or_is_revoked(
    db: Session, frozen_clock: FrozenClock
) -> None:
    user, _password, _secret = make_staff(db, Role.auditor)
    token = issue_token(db, user)
    assert db.scalar(select(ApiToken.token_hash).where(ApiToken.staff_user_id == user.id)) != token
    assert user_for_token(db, token) is user

    frozen_clock.advance(hours=7, minutes=59)
    assert user_for_token(db, token) is user
    frozen_clock.advance(minutes=1)
    assert user_for_token(db, token) is None  # 8 hours

    other = issue_token(db, user)
    assert revoke_token(db, other) is True
    assert user_for_token(db, other) is None
    assert revoke_token(db, other) is False
    assert user_for_token(db, "not-a-token") is None
    assert user_for_token(db, "") is None


def test_a_token_of_a_deactivated_user_stops_working(db: Session, app: Flask) -> None:
    user, _password, _secret = make_staff(db, Role.auditor)
    token = issue_token(db, user)
    user.active = False
    db.flush()
    assert user_for_token(db, token) is None


def test_outside_the_test_suite_hashes_use_the_rfc_9106_cost(tmp_path: Path) -> None:
    config = load_config(tmp_path, environ={"ALMEREPAS_ENV": "development"})
    hasher = hasher_for(config["ARGON2_PROFILE"])
    assert (hasher.time_cost, hasher.memory_cost, hasher.parallelism) == (3, 64 * 1024, 4)
    assert hasher.type is Type.ID
