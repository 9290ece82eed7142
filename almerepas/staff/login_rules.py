"""The login rules every account shares: staff (``accounts.py``) and partner users (contracts).

An argon2id password, a TOTP code when the account has a second factor (each time step's code
works once), and a lock of 15 minutes after five failed logins in a row. Every refusal is the
one ``LoginFailed`` (no user enumeration), except ``AccountLocked`` while the lock lasts, which
is given without the password being checked, so guessing stops.

These functions flush and never commit; the face commits a refusal too, in a transaction of
its own, because the failure count, the lock and the audit row must be kept.
"""

from __future__ import annotations

import datetime as dt
import functools
import hmac
from dataclasses import dataclass
from typing import NoReturn, Protocol

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.core.crypto import Keyring
from almerepas.staff.errors import AccountLocked, LoginFailed

MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)
#: Accept the previous and the next 30-second step too, for clocks that drift a little.
TOTP_VALID_WINDOW = 1


class LoginAccount(Protocol):
    """What an account row needs for the login rules (StaffUser and PartnerUser have it)."""

    id: int
    password_hash: str
    totp_last_step: int | None
    failed_logins: int
    locked_until: dt.datetime | None
    last_login_at: dt.datetime | None

    @property
    def totp_secret_encrypted(self) -> bytes | None: ...


@dataclass(frozen=True)
class LoginActions:
    """The audit actions and entity type a kind of account writes its refusals under."""

    entity_type: str
    failed: str
    lock: str


@functools.cache
def _dummy_hash(profile: PasswordHasher) -> str:
    """A hash to verify against for unknown users, so they take as long as known ones."""
    return profile.hash("not-a-real-password-for-timing")


def password_matches(hasher: PasswordHasher, password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def refuse_unknown(password: str, keys: Keyring) -> NoReturn:
    """Refuse an unknown or inactive account after as much work as a known one costs."""
    password_matches(keys.password_hasher, _dummy_hash(keys.password_hasher), password)
    raise LoginFailed()


def totp_step(account: LoginAccount, code: str, moment: dt.datetime, keys: Keyring) -> int | None:
    """The time step ``code`` belongs to, if it is valid now and newer than the last one used."""
    secret = account.totp_secret_encrypted
    code = code.replace(" ", "")
    if secret is None or not (len(code) == 6 and code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(keys.decrypt(secret))
    current = totp.timecode(moment)
    for step in range(current - TOTP_VALID_WINDOW, current + TOTP_VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            if account.totp_last_step is not None and step <= account.totp_last_step:
                return None  # replayed: each step's code works once
            return step
    return None


def locked_for(account: LoginAccount, moment: dt.datetime) -> dt.timedelta | None:
    """How long the account stays locked, or None when it is not locked."""
    if account.locked_until is None or account.locked_until <= moment:
        return None
    return account.locked_until - moment


def check_login(
    session: Session,
    account: LoginAccount,
    *,
    password: str,
    totp_code: str | None,
    moment: dt.datetime,
    keys: Keyring,
    origin: Actor,
    actions: LoginActions,
) -> None:
    """Check the password, and the TOTP code when the account has a second factor; on success
    reset the failure count and note the login, otherwise count the failure and refuse.

    The caller has found the account active and locked its row (``FOR UPDATE``), and writes
    the audit row of the login itself, as the user who logged in.
    """
    remaining = locked_for(account, moment)
    if remaining is not None:
        raise AccountLocked(retry_after=int(remaining.total_seconds()) + 1)

    password_ok = password_matches(keys.password_hasher, account.password_hash, password)
    if account.totp_secret_encrypted is None:
        ok = password_ok
    else:
        step = totp_step(account, totp_code or "", moment, keys) if password_ok else None
        ok = step is not None
        if step is not None:
            account.totp_last_step = step
    if not ok:
        _count_failure(session, account, moment, origin, actions)

    account.failed_logins = 0
    account.locked_until = None
    account.last_login_at = moment
    if keys.password_hasher.check_needs_rehash(account.password_hash):
        account.password_hash = keys.password_hasher.hash(password)
    session.flush()


def _count_failure(
    session: Session,
    account: LoginAccount,
    moment: dt.datetime,
    origin: Actor,
    actions: LoginActions,
) -> NoReturn:
    """Count a failed login, lock after MAX_FAILURES in a row, flush, and refuse."""
    account.failed_logins += 1
    locked = account.failed_logins >= MAX_FAILURES
    if locked:
        account.locked_until = moment + LOCKOUT
        account.failed_logins = 0
    session.flush()
    audit.record(
        session,
        action=actions.lock if locked else actions.failed,
        entity_type=actions.entity_type,
        entity_id=str(account.id),
        actor=origin,
    )
    if locked:
        raise AccountLocked(retry_after=int(LOCKOUT.total_seconds()))
    raise LoginFailed()
