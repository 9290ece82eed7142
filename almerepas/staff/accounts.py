"""Staff accounts: argon2id passwords, TOTP as second factor, lock-out after repeated failures.

The password, TOTP and lock-out rules are shared with partner users (``login_rules.py``).
Domain functions: they take the session, flush and never commit. ``authenticate`` flushes the
failure counter before it raises; the caller commits that too (in a transaction of its own:
almerepas.http.guard.attempt_login), because a refused login is a change of state (the counter,
the lock, the audit event).
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pyotp
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.core import clock, gemeente
from almerepas.core.crypto import Keyring
from almerepas.staff.errors import InvalidStaffUser, UsernameTaken, WeakPassword
from almerepas.staff.login_rules import (
    LOCKOUT,
    MAX_FAILURES,
    TOTP_VALID_WINDOW,
    LoginActions,
    check_login,
    locked_for,
    refuse_unknown,
)
from almerepas.staff.models import Role, StaffUser

__all__ = ["LOCKOUT", "MAX_FAILURES", "TOTP_VALID_WINDOW", "locked_for"]

MIN_PASSWORD_LENGTH = 12
#: argon2 reads every byte it is given; a bound keeps a huge "password" from costing CPU.
MAX_PASSWORD_LENGTH = 1024

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,79}")
#: Who tries to log in, when the face does not say which request it came with.
ANONYMOUS = Actor("anonymous")
STAFF_LOGIN_ACTIONS = LoginActions("staff_user", failed="staff.login_failed", lock="staff.lock")


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
    return pyotp.TOTP(secret).provisioning_uri(
        name=quote(username), issuer_name=gemeente.current().pass_name
    )


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
    # An account of the identity provider has no password of ours: it logs in there only.
    if user is None or not user.active or user.sso_subject is not None:
        refuse_unknown(password, keys)
    check_login(
        session,
        user,
        password=password,
        totp_code=totp_code,
        moment=moment,
        keys=keys,
        origin=origin,
        actions=STAFF_LOGIN_ACTIONS,
    )
    audit.record(
        session,
        action="staff.login",
        entity_type="staff_user",
        entity_id=str(user.id),
        actor=origin.as_staff(user.username, user.role.value),
    )
    return user
