"""POST /tokens (log in) and DELETE /tokens/current (log out): bearer tokens for the staff API."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from almerepas.core.session import get_session, transactional
from almerepas.http.guard import attempt_login, bearer_token, current_actor, require_role
from almerepas.http.rest import Blueprint
from almerepas.http.schemas import matching
from almerepas.staff.accounts import MAX_PASSWORD_LENGTH
from almerepas.staff.models import StaffUser
from almerepas.staff.permissions import SIGNED_IN
from almerepas.staff.tokens import issue_token, log_out, token_record

blp = Blueprint("tokens", __name__, description="Inloggen en uitloggen voor medewerkers")


class TokenRequestSchema(ma.Schema):
    username = matching(r"^[A-Za-z0-9._-]{1,80}$", required=True, metadata={"example": "j.jansen"})
    password = fields.String(
        required=True, validate=validate.Length(min=1, max=MAX_PASSWORD_LENGTH)
    )
    totp_code = matching(
        r"^[0-9]{6}$",
        required=True,
        metadata={"description": "De code van 6 cijfers uit de authenticator-app"},
    )


class TokenSchema(ma.Schema):
    token = fields.String(
        required=True, metadata={"description": "Stuur mee als Authorization: Bearer <token>"}
    )
    expires_at = fields.AwareDateTime(required=True, metadata={"description": "Geldig tot (UTC)"})


@blp.route("/tokens", methods=["POST"], operation_id="createToken")
@blp.arguments(TokenRequestSchema)
@blp.response(201, TokenSchema)
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(403, response="FORBIDDEN")
@transactional
def create_token(body: dict[str, Any]) -> dict[str, Any]:
    """Log in met gebruikersnaam, wachtwoord en TOTP-code; geeft een token dat 8 uur geldig is.

    Na 5 mislukte pogingen op rij is het account 15 minuten geblokkeerd (code account_locked).
    Staat inloggen met een wachtwoord uit (single sign-on), dan 403 local_login_disabled.
    """
    user_id = attempt_login(body["username"], body["password"], body["totp_code"])
    session = get_session()
    user = session.get_one(StaffUser, user_id)
    token = issue_token(session, user)
    record = token_record(session, token)
    assert record is not None  # noqa: S101 - just issued
    return {"token": token, "expires_at": record.expires_at}


@blp.route("/tokens/current", methods=["DELETE"], operation_id="deleteToken")
@require_role(SIGNED_IN)
@blp.response(204)
@transactional
def delete_current_token() -> None:
    """Log uit: het token waarmee u dit verzoek doet werkt daarna niet meer."""
    session = get_session()
    token = bearer_token()
    if token is not None:
        log_out(session, token, actor=current_actor())
