"""Staff logging in through the gemeente's identity provider (OpenID Connect; docs/login.md).

The ID token has been checked already (almerepas.core.oidc: its ``iss`` is the configured
issuer); here its claims become a staff account. An account is found by the provider's issuer
and subject together (``iss``, ``sub``): a ``sub`` is unique only within its issuer, so the same
``sub`` from another provider is another person. Never by a username, so a provider account
cannot take over a local (break-glass) account of the same name. An account made before the
issuer was stored (``sso_issuer`` NULL) is bound to the issuer of its next successful login,
once. The first login makes the account; every login sets its role from the role claim through
the configured role map; an account an administrator turned off stays off. Every login, binding
and refusal is in the audit log.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.core import clock
from almerepas.core.oidc import SsoClaimsMissing
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


def _new_username(session: Session, claims: Mapping[str, Any], issuer: str, subject: str) -> str:
    """The provider's preferred_username when it is a valid, free username; else one from the
    issuer and subject (the same subject at two issuers is two people). Never an existing
    account's: that is someone else's."""
    wanted = claims.get("preferred_username")
    if isinstance(wanted, str):
        name = normalise_username(wanted)
        taken = session.scalar(select(StaffUser.id).where(StaffUser.username == name))
        if USERNAME.fullmatch(name) and taken is None:
            return name
    return "sso." + hashlib.sha256(f"{issuer}\0{subject}".encode()).hexdigest()[:16]


def _identity(claims: Mapping[str, Any]) -> tuple[str, str]:
    """(iss, sub): together, never apart, they name the person (OpenID Connect Core 1.0, 2)."""
    issuer, subject = claims.get("iss"), claims.get("sub")
    if not isinstance(issuer, str) or not issuer or not isinstance(subject, str) or not subject:
        raise SsoClaimsMissing()
    return issuer, subject


def _find_account(session: Session, issuer: str, subject: str) -> StaffUser | None:
    """The account of (issuer, subject), locked; else the one of ``subject`` made before issuers
    were stored (issuer NULL), which only the provider configured then can have made.

    One query, the exact pair first: a second login racing the one that binds the old account
    still finds it on PostgreSQL (the locked row is re-checked against the whole condition).
    """
    return session.scalars(
        select(StaffUser)
        .where(
            StaffUser.sso_subject == subject,
            or_(StaffUser.sso_issuer == issuer, StaffUser.sso_issuer.is_(None)),
        )
        .order_by(StaffUser.sso_issuer.is_(None))
        .limit(1)
        .with_for_update()
    ).first()


def sso_login(
    session: Session,
    claims: Mapping[str, Any],
    *,
    role_claim: str,
    role_map: Mapping[str, Role],
    origin: Actor,
) -> StaffUser:
    """The staff member of a checked ID token: found by (``iss``, ``sub``) or made, role from
    the claim; an account from before issuers were stored is bound to ``iss`` here, once.

    Refusals (SsoClaimsMissing, SsoNoRole, SsoSeveralRoles, SsoAccountDisabled) are written to
    the audit log here before they are raised; the caller commits that with the refusal page.
    A refused login binds nothing.
    """
    user: StaffUser | None = None
    try:
        issuer, subject = _identity(claims)
        user = _find_account(session, issuer, subject)
        role = role_from_claims(claims, role_claim, role_map)
        if user is not None and not user.active:
            raise SsoAccountDisabled()
    except (SsoClaimsMissing, SsoNoRole, SsoSeveralRoles, SsoAccountDisabled) as exc:
        record_refusal(session, exc.code, origin=origin, user=user)
        raise
    moment = clock.now()
    name = claims.get("name")
    display_name = name.strip()[:200] if isinstance(name, str) and name.strip() else subject[:200]
    if user is None:
        user = StaffUser(
            username=_new_username(session, claims, issuer, subject),
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
            sso_issuer=issuer,
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
    else:
        if user.sso_issuer is None:
            _bind_issuer(session, user, issuer, origin=origin)
        if user.role != role:
            _change_role(session, user, role, origin=origin)
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


def _bind_issuer(session: Session, user: StaffUser, issuer: str, *, origin: Actor) -> None:
    """``staff.sso_bound``: from now on only ``issuer``'s tokens with this subject log in here."""
    user.sso_issuer = issuer
    audit.record(
        session,
        action="staff.sso_bound",
        entity_type="staff_user",
        entity_id=str(user.id),
        changes={"sso_issuer": [None, issuer]},
        actor=origin,
    )


def _change_role(session: Session, user: StaffUser, role: Role, *, origin: Actor) -> None:
    """``staff.role_change``: the group claim maps to another role than the account had."""
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
