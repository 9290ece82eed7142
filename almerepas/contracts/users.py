"""Partner users: a partner's own accounts, with the staff accounts' password and TOTP rules.

The hashing (argon2id through the Keyring), the password rule and the username rule are the
staff accounts' own (almerepas.staff.accounts); a manager always gets a TOTP secret, shown once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyotp
from sqlalchemy import select
from sqlalchemy.orm import Session

from almerepas.audit import log as audit
from almerepas.audit.log import Actor
from almerepas.contracts.errors import InvalidPartnerUser, field_error
from almerepas.contracts.models import Partner, PartnerRole, PartnerUser
from almerepas.contracts.partners import require_active
from almerepas.core.crypto import Keyring
from almerepas.core.text import is_plain
from almerepas.staff.accounts import USERNAME, check_password_rule, normalise_username
from almerepas.staff.errors import UsernameTaken


def create_partner_user(
    session: Session,
    partner: Partner,
    data: Mapping[str, Any],
    *,
    keys: Keyring,
    actor: Actor,
) -> tuple[PartnerUser, str | None]:
    """A new user of ``partner``, with its TOTP secret (to show once), or None for a cashier
    without a second factor. ``data``: username, display_name, role, password and, for a
    cashier, ``second_factor`` (default false)."""
    require_active(partner)
    username = normalise_username(str(data.get("username", "")))
    if not USERNAME.fullmatch(username):
        detail = "Een gebruikersnaam heeft 2 tot 80 tekens: kleine letters, cijfers, punt, - of _."
        raise InvalidPartnerUser(detail, **field_error("username", detail))
    display_name = str(data.get("display_name", "")).strip()
    if not display_name or not is_plain(display_name, 200):
        detail = "Vul een naam in van hoogstens 200 tekens."
        raise InvalidPartnerUser(detail, **field_error("display_name", detail))
    try:
        role = PartnerRole(str(data.get("role")))
    except ValueError:
        detail = "Kies een rol: cashier of manager."
        raise InvalidPartnerUser(detail, **field_error("role", detail)) from None
    raw_password = data.get("password")
    password = raw_password if isinstance(raw_password, str) else ""
    check_password_rule(password)
    if session.scalar(select(PartnerUser.id).where(PartnerUser.username == username)) is not None:
        raise UsernameTaken(**field_error("username", "Deze naam bestaat al."))
    secret = (
        pyotp.random_base32()
        if role is PartnerRole.manager or data.get("second_factor") is True
        else None
    )
    user = PartnerUser(
        partner=partner,
        username=username,
        display_name=display_name,
        role=role,
        password_hash=keys.password_hasher.hash(password),
        totp_secret_encrypted=None if secret is None else keys.encrypt(secret),
        failed_logins=0,
        active=True,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="partner.user_create",
        entity_type="partner_user",
        entity_id=user.id,
        changes=audit.changes_between(
            {},
            {
                "partner_id": partner.id,
                "username": username,
                "display_name": display_name,
                "role": role.value,
                "second_factor": secret is not None,
            },
        ),
    )
    return user, secret
