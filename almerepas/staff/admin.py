"""Managing staff accounts (``staff.manage``): disable, enable, role, second factor, password,
unlock.

Domain functions: they flush and never commit, and each writes one audit row. ``by`` is the
staff member who acts (None for the system); nobody changes their own role or disables their
own account, and the last active administrator keeps that role and stays active.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from typing import Any

import pyotp
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.core import clock
from almerepas.core.crypto import Keyring
from almerepas.core.errors import NotFound
from almerepas.core.i18n import N_
from almerepas.staff.accounts import normalise_username
from almerepas.staff.errors import (
    InvalidStaffUser,
    LastAdministrator,
    OwnAccountDisable,
    OwnRoleChange,
)
from almerepas.staff.models import ApiToken, Role, StaffUser


def initial_password() -> str:
    """A one-time password for a new account, given to its owner once (24 random characters)."""
    return secrets.token_urlsafe(18)


def is_locked(user: StaffUser, moment: dt.datetime) -> bool:
    """Locked after failed logins, and the lock has not ended yet."""
    return user.locked_until is not None and user.locked_until > moment


def list_staff_users(session: Session) -> list[StaffUser]:
    """Every account, by username."""
    return list(session.scalars(select(StaffUser).order_by(StaffUser.username)))


def get_staff_user(session: Session, user_id: int) -> StaffUser:
    user = session.get(StaffUser, user_id)
    if user is None:
        raise NotFound(N_("Deze medewerker bestaat niet"))
    return user


def staff_user_by_username(session: Session, username: str) -> StaffUser:
    user = session.scalars(
        select(StaffUser).where(StaffUser.username == normalise_username(username))
    ).one_or_none()
    if user is None:
        raise NotFound(f"Er is geen medewerker met gebruikersnaam {username}")
    return user


def _check_not_last_administrator(session: Session, target: StaffUser) -> None:
    """Refuse when ``target`` is the only active administrator left."""
    if target.role is not Role.administrator or not target.active:
        return
    others = session.scalar(
        select(func.count())
        .select_from(StaffUser)
        .where(
            StaffUser.role == Role.administrator,
            StaffUser.active.is_(True),
            StaffUser.id != target.id,
        )
    )
    if not others:
        raise LastAdministrator()


def revoke_all_tokens(session: Session, user: StaffUser) -> int:
    """End every API token and page session of ``user`` now; the number ended."""
    result = session.execute(
        update(ApiToken)
        .where(ApiToken.staff_user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=clock.now())
        .execution_options(synchronize_session="fetch")
    )
    session.flush()
    return int(getattr(result, "rowcount", 0) or 0)


def _record(
    session: Session, user: StaffUser, actor: Actor, *, action: str, changes: Mapping[str, Any]
) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        entity_type="staff_user",
        entity_id=user.id,
        changes=changes or None,
    )


def disable_staff_user(
    session: Session, user: StaffUser, *, by: StaffUser | None, actor: Actor
) -> None:
    """Turn an account off: it cannot log in, and its tokens and sessions end at once."""
    if by is not None and by.id == user.id:
        raise OwnAccountDisable()
    if not user.active:
        return
    _check_not_last_administrator(session, user)
    user.active = False
    ended = revoke_all_tokens(session, user)
    _record(
        session,
        user,
        actor,
        action="staff.disable",
        changes={"active": [True, False], "tokens_ended": ended},
    )


def enable_staff_user(session: Session, user: StaffUser, *, actor: Actor) -> None:
    """Turn an account on again; it logs in with its own password and code, as before."""
    if user.active:
        return
    user.active = True
    session.flush()
    _record(session, user, actor, action="staff.enable", changes={"active": [False, True]})


def change_role(
    session: Session, user: StaffUser, role: Role | str, *, by: StaffUser | None, actor: Actor
) -> None:
    """Give an account another role; never one's own, never away from the last administrator."""
    try:
        role = Role(role)
    except ValueError:
        raise InvalidStaffUser("Kies een rol: " + ", ".join(r.value for r in Role)) from None
    if by is not None and by.id == user.id:
        raise OwnRoleChange()
    if role is user.role:
        return
    if role is not Role.administrator:
        _check_not_last_administrator(session, user)
    before = user.role
    user.role = role
    session.flush()
    _record(
        session,
        user,
        actor,
        action="staff.role_change",
        changes={"role": [before.value, role.value]},
    )


def reset_second_factor(session: Session, user: StaffUser, *, keys: Keyring, actor: Actor) -> str:
    """Give the account a new TOTP secret and return it, shown once to hand to its owner.

    The old app's codes stop working at once, and the account's sessions end: the owner logs in
    again with the new secret in their authenticator app.
    """
    secret = pyotp.random_base32()
    user.totp_secret_encrypted = keys.encrypt(secret)
    user.totp_last_step = None
    revoke_all_tokens(session, user)
    session.flush()
    _record(session, user, actor, action="staff.second_factor_reset", changes={})
    return secret


def reset_password(session: Session, user: StaffUser, *, keys: Keyring, actor: Actor) -> str:
    """Give the account a new random password and return it, shown once to hand to its owner.

    For a forgotten password, and for every account after a restore of the open export, which
    carries no password hashes (docs/operations.md). The old password stops working and the
    account's sessions end.
    """
    password = initial_password()
    user.password_hash = keys.password_hasher.hash(password)
    ended = revoke_all_tokens(session, user)
    session.flush()
    _record(session, user, actor, action="staff.password_reset", changes={"tokens_ended": ended})
    return password


def unlock_staff_user(session: Session, user: StaffUser, *, actor: Actor) -> None:
    """End a lock after failed logins now, and start the count of failures afresh."""
    before = {"failed_logins": user.failed_logins, "locked_until": user.locked_until}
    user.failed_logins = 0
    user.locked_until = None
    session.flush()
    after = {"failed_logins": 0, "locked_until": None}
    changes = audit.changes_between(before, after)
    _record(session, user, actor, action="staff.unlock", changes=changes)
