"""Staff logging in through the gemeente's identity provider (OpenID Connect; docs/login.md).

The ID token has been checked already (almerepas.core.oidc); here its claims become a staff
account. An account is found by the provider's subject (``sub``), never by a username, so a
provider account cannot take over a local (break-glass) account of the same name. The first
login makes the account; every login sets its role from the role claim through the configured
role map; an account an administrator turned off stays off. Every login and every refusal is in
the audit log.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.core import clock
from almerepas.staff.accounts import USERNAME, normalise_username
from almerepas.staff.errors import SsoAccountDisabled, SsoNoRole, SsoSeveralRoles
from almerepas.staff.models import Role, StaffUser

#: Stored instead of an argon2 hash: no password ever matches it (argon2 hashes start "$").
NO_PASSWORD = "!sso"  # noqa: S105 - a marker, not a secret


def parse_role_map(text: str) -> dict[str, Role]:
    """``group=role,group=role`` (ALMEREPAS_STAFF_OIDC_ROLE_MAP) -> group -> role; ValueError
    for a pair without ``=`` or a role Almerepas does not have."""
    mapping: dict[str, Role] = {}
    for pair in filter(None, (part.strip() for part in text.split(","))):
        group, sep, role = pair.rpartition("=")
        if not sep or not group.strip():
            raise ValueError(f"not group=role: {pair!r}")
        mapping[group.strip()] = Role(role.strip())
    return mapping


def role_from_claims(claims: Mapping[str, Any], claim: str, role_map: Mapping[str, Role]) -> Role:
    """The one role the claim's groups map to; SsoNoRole for none, SsoSeveralRoles for more."""
    value = claims.get(claim)
    groups = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    roles = {role_map[g] for g in groups if isinstance(g, str) and g in role_map}
    if not roles:
        raise SsoNoRole()
    if len(roles) > 1:
        raise SsoSeveralRoles()
    return roles.pop()


def _new_username(session: Session, claims: Mapping[str, Any], subject: str) -> str:
    """The provider's preferred_username when it is a valid, free username; else one from the
    subject. Never an existing account's: that is someone else's."""
    wanted = claims.get("preferred_username")
    if isinstance(wanted, str):
        name = normalise_username(wanted)
        taken = session.scalar(select(StaffUser.id).where(StaffUser.username == name))
        if USERNAME.fullmatch(name) and taken is None:
            return name
    return "sso." + hashlib.sha256(subject.encode()).hexdigest()[:16]


def sso_login(
    session: Session,
    claims: Mapping[str, Any],
    *,
    role_claim: str,
    role_map: Mapping[str, Role],
    origin: Actor,
) -> StaffUser:
    """The staff member of a checked ID token: found by ``sub`` or made, role from the claim.

    Refusals (SsoNoRole, SsoSeveralRoles, SsoAccountDisabled) are written to the audit log here
    before they are raised; the caller commits that with the refusal page.
    """
    subject = str(claims["sub"])
    user = session.scalars(
        select(StaffUser).where(StaffUser.sso_subject == subject).with_for_update()
    ).one_or_none()
    try:
        role = role_from_claims(claims, role_claim, role_map)
        if user is not None and not user.active:
            raise SsoAccountDisabled()
    except (SsoNoRole, SsoSeveralRoles, SsoAccountDisabled) as exc:
        record_refusal(session, exc.code, origin=origin, user=user)
        raise
    moment = clock.now()
    name = claims.get("name")
    display_name = name.strip()[:200] if isinstance(name, str) and name.strip() else subject[:200]
    if user is None:
        user = StaffUser(
            username=_new_username(session, claims, subject),
            display_name=display_name,
            email=None,
            role=role,
            password_hash=NO_PASSWORD,
            totp_secret_encrypted=b"",
            totp_last_step=None,
            failed_logins=0,
            locked_until=None,
            active=True,
            created_at=moment,
            sso_subject=subject,
        )
        session.add(user)
        session.flush()
        audit.record(
            session,
            action="staff.create",
            entity_type="staff_user",
            entity_id=str(user.id),
            changes=audit.changes_between(
                {},
                {"username": user.username, "display_name": display_name, "role": role.value},
            ),
            actor=origin,
        )
    elif user.role != role:
        before = user.role
        user.role = role
        audit.record(
            session,
            action="staff.role_change",
            entity_type="staff_user",
            entity_id=str(user.id),
            changes={"role": [before.value, role.value]},
            actor=origin,
        )
    user.last_login_at = moment
    session.flush()
    audit.record(
        session,
        action="staff.login",
        entity_type="staff_user",
        entity_id=str(user.id),
        changes={"method": "sso"},
        actor=origin.as_staff(user.username, user.role.value),
    )
    return user


def record_refusal(
    session: Session, reason: str, *, origin: Actor, user: StaffUser | None = None
) -> None:
    """``staff.sso_refused`` with the refusal's code; on the account when one was found."""
    audit.record(
        session,
        action="staff.sso_refused",
        entity_type="staff_user" if user is not None else None,
        entity_id=str(user.id) if user is not None else None,
        changes={"reason": reason},
        actor=origin,
    )
