"""Public keys, the validator bundle, and checking a pass code at the desk.

- ``GET /keys``: the JWKS of the phone and card keys (public halves only), cacheable.
- ``GET /validator/bundle?since=``: the signed, numbered bundle an offline validator applies.
  Public for now: nothing in it is personal, its signature makes a second-hand copy
  trustworthy. Partner devices authenticate to it once issue 11 gives them device keys.
- ``POST /codes/verify``: staff with ``passes.read`` check a code (phone or card). The answer
  says only that it is valid, which kind, and the pass number; never a tier or an entitlement.
  A refused code is a 422 problem with the refusal's code.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, jsonify
from marshmallow import fields, validate

from almerepas.core import clock
from almerepas.core.session import get_keys, get_session, transactional
from almerepas.http.guard import require_role
from almerepas.http.rest import Blueprint
from almerepas.passes import bundle
from almerepas.passes import keys as signing
from almerepas.passes.credential_models import KeyFamily
from almerepas.passes.verify import verify_code

blp = Blueprint("keys", __name__, description="Sleutels, validatorbundel en passcodes controleren")

#: How long a client may cache the key set (a new key is published days before it signs).
JWKS_MAX_AGE = 3600
#: Longer than any code: a code is at most about 410 characters; what is longer is refused by
#: verification itself (credential_malformed), so a 10 kB code gets its code, not a 400.
MAX_CODE_FIELD = 20_000


class JwkSchema(ma.Schema):
    kty = fields.String(required=True, metadata={"example": "EC"})
    crv = fields.String(required=True, metadata={"example": "P-256"})
    x = fields.String(required=True)
    y = fields.String(required=True)
    kid = fields.String(required=True, metadata={"example": "P1"})
    alg = fields.String(required=True, metadata={"example": "ES256"})
    use = fields.String(required=True, metadata={"example": "sig"})
    family = fields.String(required=True, metadata={"description": "phone of card"})
    status = fields.String(required=True, metadata={"description": "active, retired of revoked"})
    issue_from = fields.Integer(required=True, metadata={"description": "Unix-seconden"})
    issue_until = fields.Integer(allow_none=True, metadata={"description": "Unix-seconden"})
    verify_until = fields.Integer(allow_none=True, metadata={"description": "Unix-seconden"})


class JwksSchema(ma.Schema):
    keys = fields.List(fields.Nested(JwkSchema), required=True)


class BundleArgsSchema(ma.Schema):
    since = fields.Integer(
        validate=validate.Range(min=0, max=2**40),
        metadata={"description": "De cursor uit de vorige bundel; zonder: een volledige bundel"},
    )


class BundleSchema(ma.Schema):
    bundle = fields.String(
        required=True,
        metadata={"description": "JWS (ES256) met seq, generated_at, keys, revocations, cursor"},
    )


class CodeSchema(ma.Schema):
    code = fields.String(
        required=True,
        validate=validate.Length(min=1, max=MAX_CODE_FIELD),
        metadata={"description": "De tekst van de QR-code (telefoon of pas)"},
    )


class VerifiedSchema(ma.Schema):
    valid = fields.Boolean(required=True, metadata={"example": True})
    kind = fields.String(required=True, metadata={"description": "phone of card"})
    pass_number = fields.String(required=True, metadata={"example": "4821390712654"})


@blp.route("/keys", operation_id="getPublicKeys")
@blp.response(200, JwksSchema)
@transactional
def public_keys() -> Response:
    """De openbare sleutels van telefoon- en pascodes (JWKS), met status en geldigheid."""
    document = signing.jwks(get_session(), (KeyFamily.phone, KeyFamily.card), now=clock.now())
    response = jsonify(JwksSchema().dump(document))
    response.headers["Cache-Control"] = f"public, max-age={JWKS_MAX_AGE}"
    return response


@blp.route("/validator/bundle", operation_id="getValidatorBundle")
@blp.arguments(BundleArgsSchema, location="query", as_kwargs=True)
@blp.response(200, BundleSchema)
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
@transactional
def validator_bundle(since: int | None = None) -> Response:
    """De ondertekende bundel voor validators: sleutels en intrekkingen (sinds de cursor)."""
    signed = bundle.build_bundle(get_session(), since=since, now=clock.now(), keys=get_keys())
    response = jsonify({"bundle": signed})
    response.headers["Cache-Control"] = "no-cache"
    return response


@blp.route("/codes/verify", methods=["POST"], operation_id="verifyCode")
@require_role("passes.read")
@blp.arguments(CodeSchema)
@blp.response(200, VerifiedSchema)
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
@transactional
def verify(body: dict[str, Any]) -> dict[str, Any]:
    """Controleer een code van een pas (telefoon of kaart): geldig, of een weigering met code.

    Een telefooncode werkt één keer per 30 seconden (een tweede keer: credential_replayed).
    """
    verified = verify_code(get_session(), body["code"], now=clock.now(), keys=get_keys())
    return {"valid": True, "kind": verified.kind, "pass_number": verified.pass_number}
