"""Staff accounts for the administrator (``staff.manage``): list, create, change, reset, unlock.

Every change is a domain operation in almerepas.staff (admin.py, accounts.py), which checks it
and writes its audit row. A new account's one-time password and TOTP secret, and a reset's new
secret, are in the answer to the request that made them, and never again; no answer ever holds
a password hash or an encrypted secret.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields

from almerepas.core import clock
from almerepas.core.session import get_keys, get_session, transactional
from almerepas.http.guard import current_actor, current_staff, require_role
from almerepas.http.rest import Blueprint
from almerepas.http.schemas import text
from almerepas.staff import admin
from almerepas.staff.accounts import create_staff_user, provisioning_uri
from almerepas.staff.models import Role, StaffUser

blp = Blueprint("staff_users", __name__, description="Accounts van medewerkers (voor beheerders)")


class StaffUserSchema(ma.Schema):
    """An account as the administrator sees it: never its password hash or TOTP secret."""

    id = fields.Integer(dump_only=True)
    username = fields.String(dump_only=True)
    display_name = fields.String(dump_only=True)
    email = fields.String(dump_only=True, allow_none=True)
    role = fields.Enum(Role, by_value=True, dump_only=True)
    active = fields.Boolean(dump_only=True)
    locked = fields.Boolean(
        dump_only=True, metadata={"description": "Geblokkeerd na te vaak mislukt inloggen"}
    )
    failed_logins = fields.Integer(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)
    last_login_at = fields.AwareDateTime(dump_only=True, allow_none=True)


class StaffUserListSchema(ma.Schema):
    items = fields.List(fields.Nested(StaffUserSchema), required=True)


class StaffUserInSchema(ma.Schema):
    username = text(80, metadata={"example": "j.jansen"})
    display_name = text(200, metadata={"example": "Jan Jansen"})
    email = text(254, required=False, allow_none=True, load_default=None)
    role = fields.Enum(Role, by_value=True, required=True)


class SecondFactorSchema(ma.Schema):
    totp_secret = fields.String(
        metadata={"description": "De TOTP-sleutel: alleen nu getoond, nooit meer"}
    )
    provisioning_uri = fields.String(metadata={"description": "otpauth://-URI voor een QR-code"})


class NewStaffUserSchema(StaffUserSchema, SecondFactorSchema):
    initial_password = fields.String(
        metadata={"description": "Het eerste wachtwoord: alleen nu getoond, nooit meer"}
    )


class StaffUserChangeSchema(ma.Schema):
    role = fields.Enum(Role, by_value=True)
    active = fields.Boolean()


def _user(user: StaffUser) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "role": user.role,
        "active": user.active,
        "locked": admin.is_locked(user, clock.now()),
        "failed_logins": user.failed_logins,
        "created_at": user.created_at,
        "last_login_at": user.last_login_at,
    }


@blp.route("/staff-users", operation_id="listStaffUsers")
@require_role("staff.manage")
@blp.response(200, StaffUserListSchema)
@transactional
def list_staff_users() -> dict[str, Any]:
    """Alle accounts van medewerkers, op gebruikersnaam."""
    return {"items": [_user(u) for u in admin.list_staff_users(get_session())]}


@blp.route("/staff-users", methods=["POST"], operation_id="createStaffUser")
@require_role("staff.manage")
@blp.arguments(StaffUserInSchema)
@blp.response(201, NewStaffUserSchema)
@transactional
def create_staff_account(body: dict[str, Any]) -> dict[str, Any]:
    """Maak een account. Het eerste wachtwoord en de TOTP-sleutel staan alleen in dit antwoord."""
    password = admin.initial_password()
    user, secret = create_staff_user(
        get_session(), **body, password=password, keys=get_keys(), actor=current_actor()
    )
    return {
        **_user(user),
        "initial_password": password,
        "totp_secret": secret,
        "provisioning_uri": provisioning_uri(secret, user.username),
    }


@blp.route("/staff-users/<int:user_id>", operation_id="getStaffUser")
@require_role("staff.manage")
@blp.response(200, StaffUserSchema)
@transactional
def get_staff_account(user_id: int) -> dict[str, Any]:
    """Eén account."""
    return _user(admin.get_staff_user(get_session(), user_id))


@blp.route("/staff-users/<int:user_id>", methods=["PATCH"], operation_id="changeStaffUser")
@require_role("staff.manage")
@blp.arguments(StaffUserChangeSchema)
@blp.response(200, StaffUserSchema)
@transactional
def change_staff_account(body: dict[str, Any], user_id: int) -> dict[str, Any]:
    """Wijzig de rol, of zet een account uit (``active: false``) of weer aan. Uw eigen rol
    wijzigen en uw eigen account uitzetten kan niet (own_role_change, own_account_disable);
    de laatste actieve beheerder blijft beheerder (last_administrator)."""
    session, actor, by = get_session(), current_actor(), current_staff()
    user = admin.get_staff_user(session, user_id)
    if "role" in body:
        admin.change_role(session, user, body["role"], by=by, actor=actor)
    if body.get("active") is False:
        admin.disable_staff_user(session, user, by=by, actor=actor)
    elif body.get("active") is True:
        admin.enable_staff_user(session, user, actor=actor)
    return _user(user)


@blp.route(
    "/staff-users/<int:user_id>/second-factor-reset",
    methods=["POST"],
    operation_id="replaceStaffUserSecondFactor",
)
@require_role("staff.manage")
@blp.response(200, SecondFactorSchema)
@transactional
def reset_second_factor(user_id: int) -> dict[str, Any]:
    """Geef een account een nieuwe TOTP-sleutel, bijvoorbeeld na een verloren telefoon. De oude
    codes werken niet meer en de sessies van het account stoppen. De sleutel staat alleen in dit
    antwoord."""
    session = get_session()
    user = admin.get_staff_user(session, user_id)
    secret = admin.reset_second_factor(session, user, keys=get_keys(), actor=current_actor())
    return {"totp_secret": secret, "provisioning_uri": provisioning_uri(secret, user.username)}


@blp.route("/staff-users/<int:user_id>/unlock", methods=["POST"], operation_id="endStaffUserLock")
@require_role("staff.manage")
@blp.response(200, StaffUserSchema)
@transactional
def unlock_staff_account(user_id: int) -> dict[str, Any]:
    """Hef de blokkade na te vaak mislukt inloggen meteen op."""
    session = get_session()
    user = admin.get_staff_user(session, user_id)
    admin.unlock_staff_user(session, user, actor=current_actor())
    return _user(user)
