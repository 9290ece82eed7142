"""Staff accounts: argon2id passwords, TOTP as second factor, lock-out after repeated failures.

Domain functions: they take the session, flush and never commit. ``authenticate`` flushes the
failure counter before it raises; the caller commits that too (in a transaction of its own:
almerepas.http.guard.attempt_login), because a refused login is a change of state (the counter,
the lock, the audit event).
"""

from __future__ import annotations

import datetime as dt
import functools
import hmac
import re
from typing import NoReturn
from urllib.parse import quote

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.core import clock
from almerepas.core.crypto import Keyring
from almerepas.staff.errors import (
    AccountLocked,
    InvalidStaffUser,
    LoginFailed,
    UsernameTaken,
    WeakPassword,
)
from almerepas.staff.models import Role, StaffUser

MIN_PASSWORD_LENGTH = 12
#: argon2 reads every byte it is given; a bound keeps a huge "password" from costing CPU.
MAX_PASSWORD_LENGTH = 1024
MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)
#: Accept the previous and the next 30-second step too, for clocks that drift a little.
TOTP_VALID_WINDOW = 1
TOTP_ISSUER = "Almerepas"
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,79}")
#: Who tries to log in, when the face does not say which request it came with.
ANONYMOUS = Actor("anonymous")


@functools.cache
def _dummy_hash(profile: PasswordHasher) -> str:
    """A hash to verify against for unknown users, so they take as long as known ones."""
    return profile.hash("not-a-real-password-for-timing")


def normalise_username(username: str) -> str:
    return username.strip().lower()


def check_password_rule(password: str) -> None:
    """The password rule: at least 12 characters; length beats complexity rules (NIST 800-63B)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword()
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(f"Een wachtwoord mag hoogstens {MAX_PASSWORD_LENGTH} tekens hebben")


def create_staff_user(
    session: Session,
    *,
    username: str,
    display_name: str,
    role: Role | str,
    password: str,
    email: str | None = None,
    keys: Keyring,
    actor: Actor,
) -> tuple[StaffUser, str]:
    """Create an account and return it with its TOTP secret, which is shown to the user once."""
    username = normalise_username(username)
    if not USERNAME.fullmatch(username):
        raise InvalidStaffUser(
            "Een gebruikersnaam heeft 2 tot 80 tekens: kleine letters, cijfers, punt, - of _"
        )
    display_name = display_name.strip()
    if not display_name or len(display_name) > 200:
        raise InvalidStaffUser("Vul een naam in van hoogstens 200 tekens")
    try:
        role = Role(role)
    except ValueError:
        raise InvalidStaffUser("Kies een rol: " + ", ".join(r.value for r in Role)) from None
    if email is not None and (len(email) > 254 or "@" not in email):
        raise InvalidStaffUser("Dit e-mailadres klopt niet")
    check_password_rule(password)
    if session.scalar(select(StaffUser.id).where(StaffUser.username == username)) is not None:
        raise UsernameTaken()

    secret = pyotp.random_base32()
    user = StaffUser(
        username=username,
        display_name=display_name,
        email=email,
        role=role,
        password_hash=keys.password_hasher.hash(password),
        totp_secret_encrypted=keys.encrypt(secret),
        totp_last_step=None,
        failed_logins=0,
        locked_until=None,
        active=True,
        created_at=clock.now(),
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        action="staff.create",
        entity_type="staff_user",
        entity_id=str(user.id),
        changes=audit.changes_between(
            {}, {"username": username, "display_name": display_name, "role": role.value}
        ),
        actor=actor,
    )
    return user, secret


def provisioning_uri(secret: str, username: str) -> str:
    """The otpauth:// URI an authenticator app reads from a QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=quote(username), issuer_name=TOTP_ISSUER)


def _password_matches(hasher: PasswordHasher, password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _totp_step(user: StaffUser, code: str, moment: dt.datetime, keys: Keyring) -> int | None:
    """The time step ``code`` belongs to, if it is valid now and newer than the last one used."""
    code = code.replace(" ", "")
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(keys.decrypt(user.totp_secret_encrypted))
    current = totp.timecode(moment)
    for step in range(current - TOTP_VALID_WINDOW, current + TOTP_VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            if user.totp_last_step is not None and step <= user.totp_last_step:
                return None  # replayed: each step's code works once
            return step
    return None


def locked_for(user: StaffUser, moment: dt.datetime) -> dt.timedelta | None:
    """How long the account stays locked, or None when it is not locked."""
    if user.locked_until is None or user.locked_until <= moment:
        return None
    return user.locked_until - moment


def authenticate(
    session: Session,
    *,
    username: str,
    password: str,
    totp_code: str,
    keys: Keyring,
    origin: Actor = ANONYMOUS,
) -> StaffUser:
    """Check password and TOTP code; count failures and lock the account after five in a row.

    An unknown user, an inactive one, a wrong password and a wrong or replayed code all get the
    same ``LoginFailed``. A locked account gets ``AccountLocked`` without its password being
    checked, so guessing stops while it is locked.
    """
    moment = clock.now()
    # FOR UPDATE: two logins of one user run one after the other on PostgreSQL, so a TOTP code
    # cannot be used twice and no failure is lost. SQLite serialises writers anyway.
    user = session.scalars(
        select(StaffUser)
        .where(StaffUser.username == normalise_username(username))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if user is None or not user.active:
        _password_matches(keys.password_hasher, _dummy_hash(keys.password_hasher), password)
        raise LoginFailed()
    remaining = locked_for(user, moment)
    if remaining is not None:
        raise AccountLocked(retry_after=int(remaining.total_seconds()) + 1)

    password_ok = _password_matches(keys.password_hasher, user.password_hash, password)
    step = _totp_step(user, totp_code, moment, keys) if password_ok else None
    if step is None:
        _count_failure(session, user, moment, origin)

    user.totp_last_step = step
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = moment
    if keys.password_hasher.check_needs_rehash(user.password_hash):
        user.password_hash = keys.password_hasher.hash(password)
    session.flush()
    audit.record(
        session,
        action="staff.login",
        entity_type="staff_user",
        entity_id=str(user.id),
        actor=origin.as_staff(user.username, user.role.value),
    )
    return user


def _count_failure(
    session: Session, user: StaffUser, moment: dt.datetime, origin: Actor
) -> NoReturn:
    """Count a failed login, lock after MAX_FAILURES in a row, flush, and refuse."""
    user.failed_logins += 1
    locked = user.failed_logins >= MAX_FAILURES
    if locked:
        user.locked_until = moment + LOCKOUT
        user.failed_logins = 0
    session.flush()
    audit.record(
        session,
        action="staff.lock" if locked else "staff.login_failed",
        entity_type="staff_user",
        entity_id=str(user.id),
        actor=origin,
    )
    if locked:
        raise AccountLocked(retry_after=int(LOCKOUT.total_seconds()))
    raise LoginFailed()
