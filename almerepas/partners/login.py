"""POST /partner/tokens (log in) and DELETE /partner/tokens/current (log out) for partner users.

The token is sent as ``Authorization: Bearer almpu_...`` on the partner API, as a device sends
its key. The login rules are the staff login's: a manager always gives the code from the app.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from almerepas.contracts import logins
from almerepas.contracts.models import PartnerUser
from almerepas.core import clock
from almerepas.core.session import get_session, transactional
from almerepas.http.errors import Forbidden
from almerepas.http.guard import bearer_token
from almerepas.http.rest import Blueprint
from almerepas.http.schemas import matching
from almerepas.partners.auth import Principal, attempt_partner_login, require_partner
from almerepas.partners.schemas import PartnerRef
from almerepas.staff.accounts import MAX_PASSWORD_LENGTH

blp = Blueprint("partner_tokens", __name__, description="Inloggen en uitloggen voor partners")


class PartnerTokenRequestSchema(ma.Schema):
    username = matching(
        r"^[A-Za-z0-9._-]{1,80}$", required=True, metadata={"example": "kassa.sporthal"}
    )
    password = fields.String(
        required=True, validate=validate.Length(min=1, max=MAX_PASSWORD_LENGTH)
    )
    totp_code = matching(
        r"^[0-9]{6}$",
        metadata={
            "description": "De code van 6 cijfers uit de authenticator-app; verplicht voor een "
            "beheerder en voor een kassamedewerker met een app"
        },
    )


class PartnerTokenSchema(ma.Schema):
    token = fields.String(
        required=True, metadata={"description": "Stuur mee als Authorization: Bearer <token>"}
    )
    expires_at = fields.AwareDateTime(required=True, metadata={"description": "Geldig tot (UTC)"})
    partner = fields.Nested(PartnerRef, required=True)
    role = fields.String(
        required=True, metadata={"description": "cashier (kassa) of manager (beheerder)"}
    )


@blp.route("/partner/tokens", methods=["POST"], operation_id="createPartnerToken")
@blp.arguments(PartnerTokenRequestSchema)
@blp.response(201, PartnerTokenSchema)
@blp.alt_response(401, response="UNAUTHORIZED")
@transactional
def create_partner_token(body: dict[str, Any]) -> dict[str, Any]:
    """Log in als gebruiker van een partner; geeft een token dat 8 uur geldig is.

    Een beheerder stuurt altijd de code uit de app mee. Na 5 mislukte pogingen op rij is het
    account 15 minuten geblokkeerd (code account_locked).
    """
    user_id = attempt_partner_login(body["username"], body["password"], body.get("totp_code"))
    db = get_session()
    user = db.get_one(PartnerUser, user_id)
    issued = logins.issue_token(db, user, now=clock.now())
    return {
        "token": issued.token,
        "expires_at": issued.expires_at,
        "partner": {"id": user.partner.id, "name": user.partner.name},
        "role": user.role.value,
    }


@blp.route("/partner/tokens/current", methods=["DELETE"], operation_id="deletePartnerToken")
@require_partner()  # documents 401, 403 and the bearer scheme
@blp.response(204)
@transactional
def delete_current_partner_token(principal: Principal) -> None:
    """Log uit: het token waarmee u dit verzoek doet werkt daarna niet meer.

    Alleen voor een gebruiker; de sleutel van een apparaat trekt de gemeente in.
    """
    token = bearer_token()
    if principal.user is None or token is None:
        raise Forbidden()
    logins.log_out(get_session(), token, now=clock.now(), actor=principal.actor)
