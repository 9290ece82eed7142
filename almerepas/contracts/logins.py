"""Partner users log in, and a browser at a counter is paired with a device.

A partner user logs in by the staff accounts' rules (``almerepas.staff.login_rules``): argon2id
password, the TOTP code when the user has a second factor (a manager always has one), five
failures in a row lock the account for 15 minutes, and one refusal (``LoginFailed``) for an
unknown user, an inactive user or partner, a wrong password and a wrong, missing or replayed code.

A login gives a token (``almpu_`` and 32 random bytes): a bearer token for the partner API, or
the server side of a portal page session. Only its SHA-256 is stored; it ends after 8 hours,
when the user logs out, or as soon as the user or the partner stops taking part.

Pairing: a cashier at a shared counter pastes the device's key once; the browser gets a page
session of its own that acts as that device (``DeviceSession``). The key itself is not kept,
not in the cookie and not here. Revoking the device ends every paired browser at once.

Domain functions: they take the session, flush and never commit.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.contracts.devices import authenticate_device
from almerepas.contracts.models import Device, DeviceSession, PartnerUser, PartnerUserToken
from almerepas.core.crypto import Keyring, sha256_hex
from almerepas.staff.accounts import normalise_username
from almerepas.staff.login_rules import LoginActions, check_login, refuse_unknown

#: Every partner-user token starts with this, so it is never taken for a device key
#: (``almdev_``) and a leaked one is easy to recognise.
TOKEN_PREFIX = "almpu_"  # noqa: S105 - a prefix, not a secret
TOKEN_LIFETIME = dt.timedelta(hours=8)
#: A paired browser at a counter works a whole opening day without pasting the key again.
DEVICE_SESSION_LIFETIME = dt.timedelta(hours=12)
#: token_urlsafe(32) gives 43 characters; anything much longer is not one of ours.
MAX_TOKEN_LENGTH = 128
PARTNER_LOGIN_ACTIONS = LoginActions(
    "partner_user", failed="partner.user_login_failed", lock="partner.user_lock"
)


def user_actor(user: PartnerUser, request_id: str | None = None) -> Actor:
    """How the audit log names a partner user: ``partner:<username>`` in the user's role."""
    return Actor(f"partner:{user.username}", user.role.value, request_id)


def device_actor(device: Device, request_id: str | None = None) -> Actor:
    """How the audit log names a device: ``device:<id>``."""
    return Actor(f"device:{device.id}", "device", request_id)


def may_log_in(user: PartnerUser) -> bool:
    return user.active and user.partner.active


def authenticate_partner_user(
    session: Session,
    *,
    username: str,
    password: str,
    totp_code: str | None,
    now: dt.datetime,
    keys: Keyring,
    origin: Actor,
) -> PartnerUser:
    """The partner user these credentials belong to; refused with ``LoginFailed`` or, while
    locked, ``AccountLocked``. A refusal has flushed the failure count: commit it anyway."""
    # FOR UPDATE: two logins of one user run one after the other on PostgreSQL, so a TOTP code
    # cannot be used twice and no failure is lost. SQLite serialises writers anyway.
    user = session.scalars(
        select(PartnerUser)
        .where(PartnerUser.username == normalise_username(username))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if user is None or not may_log_in(user):
        refuse_unknown(password, keys)
    check_login(
        session,
        user,
        password=password,
        totp_code=totp_code,
        moment=now,
        keys=keys,
        origin=origin,
        actions=PARTNER_LOGIN_ACTIONS,
    )
    audit.record(
        session,
        actor=user_actor(user, origin.request_id),
        action="partner.user_login",
        entity_type="partner_user",
        entity_id=user.id,
    )
    return user


# -- tokens of partner users ----------------------------------------------------------------------


class IssuedToken(NamedTuple):
    #: the token itself: handed out once, never stored
    token: str
    expires_at: dt.datetime


def issue_token(session: Session, user: PartnerUser, *, now: dt.datetime) -> IssuedToken:
    """A new token for ``user``, valid for 8 hours; the caller hands it out once."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = PartnerUserToken(
        partner_user_id=user.id,
        token_hash=sha256_hex(token),
        created_at=now,
        expires_at=now + TOKEN_LIFETIME,
    )
    session.add(record)
    session.flush()
    return IssuedToken(token, record.expires_at)


def _token_record(session: Session, token: str) -> PartnerUserToken | None:
    if not token.startswith(TOKEN_PREFIX) or len(token) > MAX_TOKEN_LENGTH:
        return None
    return session.scalars(
        select(PartnerUserToken).where(PartnerUserToken.token_hash == sha256_hex(token))
    ).one_or_none()


def _live_token(session: Session, token: str, now: dt.datetime) -> PartnerUserToken | None:
    record = _token_record(session, token)
    if record is None or record.revoked_at is not None or record.expires_at <= now:
        return None
    return record


def user_for_token(session: Session, token: str, now: dt.datetime) -> PartnerUser | None:
    """The partner user of a live token; None when unknown, expired or revoked, or when the
    user or the partner no longer takes part."""
    record = _live_token(session, token, now)
    if record is None or not may_log_in(record.partner_user):
        return None
    return record.partner_user


def log_out(session: Session, token: str, *, now: dt.datetime, actor: Actor) -> bool:
    """End the token at once and write ``partner.user_logout``; False when it had ended."""
    record = _live_token(session, token, now)
    if record is None:
        return False
    record.revoked_at = now
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="partner.user_logout",
        entity_type="partner_user",
        entity_id=record.partner_user_id,
    )
    return True


# -- a browser paired with a device ---------------------------------------------------------------


def pair_device(
    session: Session, key: str, *, now: dt.datetime, keys: Keyring, origin: Actor
) -> tuple[Device, str]:
    """Check the device key and open a page session that acts as the device; returns the
    device and the session's token (for the cookie). Refused as ``authenticate_device`` is."""
    device = authenticate_device(session, key.strip(), keys)
    token = secrets.token_urlsafe(32)
    session.add(
        DeviceSession(
            device_id=device.id,
            token_hash=sha256_hex(token),
            created_at=now,
            expires_at=now + DEVICE_SESSION_LIFETIME,
        )
    )
    session.flush()
    audit.record(
        session,
        actor=device_actor(device, origin.request_id),
        action="device.pair",
        entity_type="partner_device",
        entity_id=device.id,
    )
    return device, token


def _live_device_session(session: Session, token: str, now: dt.datetime) -> DeviceSession | None:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    record = session.scalars(
        select(DeviceSession).where(DeviceSession.token_hash == sha256_hex(token))
    ).one_or_none()
    if record is None or record.revoked_at is not None or record.expires_at <= now:
        return None
    return record


def device_for_session(session: Session, token: str, now: dt.datetime) -> Device | None:
    """The device a paired browser acts as; None when the pairing ended or expired, or the
    device was revoked or its partner or location no longer takes part."""
    record = _live_device_session(session, token, now)
    if record is None:
        return None
    device = record.device
    if device.revoked_at is not None or not device.partner.active or not device.location.active:
        return None
    return device


def unpair_device(session: Session, token: str, *, now: dt.datetime, actor: Actor) -> bool:
    """End a paired browser's session and write ``device.unpair``; False when it had ended."""
    record = _live_device_session(session, token, now)
    if record is None:
        return False
    record.revoked_at = now
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="device.unpair",
        entity_type="partner_device",
        entity_id=record.device_id,
    )
    return True
